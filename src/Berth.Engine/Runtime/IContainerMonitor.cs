namespace Berth.Engine.Runtime;

/// <summary>How to start the monitor of one container.</summary>
public sealed record MonitorOptions
{
    public required string ContainerId { get; init; }
    /// <summary>Bundle directory holding config.json; the monitor also puts its ctl/winsz fifos and attach socket there.</summary>
    public required string BundlePath { get; init; }
    /// <summary>The spec just written to the bundle's config.json, when the caller has it (saves reading it back).</summary>
    public RuntimeSpec? Spec { get; init; }
    /// <summary>
    /// Writes the bundle (root file system, config.json) and returns its spec, called once the monitor has been started
    /// and before it is let go to create the container: the monitor's own start-up overlaps the bundle's preparation.
    /// When it throws, the monitor is killed before it created anything. Used instead of <see cref="Spec"/>.
    /// </summary>
    public Func<RuntimeSpec>? PrepareBundle { get; init; }
    /// <summary>The container's log file (k8s-file format).</summary>
    public required string LogPath { get; init; }
    /// <summary>Directory where the exit file (named by container id, holding the exit code) is written.</summary>
    public required string ExitDir { get; init; }
    public string? Name { get; init; }
    /// <summary>Allocate a pseudo-terminal (the spec's process.terminal must be true too).</summary>
    public bool Terminal { get; init; }
    /// <summary>Keep a stdin pipe open so an attached client can write to the container (<c>-i</c>).</summary>
    public bool Stdin { get; init; }
    /// <summary>Keep the container's stdin open when an attached client goes away.</summary>
    public bool LeaveStdinOpen { get; init; }
    /// <summary>Program the monitor runs after the container exits (e.g. <c>berth container cleanup ID</c> for --rm).</summary>
    public string? ExitCommand { get; init; }
    public IReadOnlyList<string> ExitCommandArgs { get; init; } = [];
    public int? ExitDelaySeconds { get; init; }
    public long? LogSizeMax { get; init; }
    /// <summary>Extra directory for conmon's "exit" and "oom" files.</summary>
    public string? PersistDir { get; init; }
    /// <summary>
    /// The caller waits in this process for the container to end (an attached run): the monitor may stay its child instead
    /// of leaving it (see <see cref="ConmonMonitor"/>). A long-lived container's monitor leaves, so that it never waits as
    /// a zombie of a long-lived caller for someone to reap it.
    /// </summary>
    public bool WaitedForHere { get; init; }
    /// <summary>
    /// Where the bundle's root file system is mounted while <see cref="PrepareBundle"/> runs. A runtime that works in a mount
    /// namespace of its own made when it starts (<see cref="IOciRuntime.SeesLaterMountsOnlyByPropagation"/>) is started
    /// before the bundle is ready only when this is given: it is made a shared mount point first, so the mount reaches it.
    /// </summary>
    public string? RootfsMountPoint { get; init; }
    /// <summary>
    /// Where a shareable /dev/shm is mounted while <see cref="PrepareBundle"/> runs (`--ipc shareable`): made a shared
    /// mount point together with <see cref="RootfsMountPoint"/>, for the same reason.
    /// </summary>
    public string? ShmMountPoint { get; init; }
}

/// <summary>A container created under a monitor, stopped before its process runs until the runtime's start.</summary>
/// <param name="Pid">Host pid of the container's init process.</param>
/// <param name="MonitorPid">Pid of the monitor (conmon) process.</param>
/// <param name="AttachSocketPath">Unix socket to attach to the container's stdio.</param>
/// <param name="ControlPath">Fifo accepting "1 ROWS COLS" resize and "2 0 0" reopen-log messages.</param>
public sealed record MonitoredContainer(string ContainerId, int Pid, int MonitorPid, string AttachSocketPath, string ControlPath);

/// <summary>How to run a process in a running container.</summary>
public sealed record ExecOptions
{
    public required string ContainerId { get; init; }
    /// <summary>The container's bundle; the session's files go to &lt;bundle&gt;/exec/&lt;session id&gt;.</summary>
    public required string BundlePath { get; init; }
    public required OciProcess Process { get; init; }
    /// <summary>Do not wait: return once the process runs (<c>exec -d</c>).</summary>
    public bool Detach { get; init; }
    public bool Stdin { get; init; }
    public string? SessionId { get; init; }
}

/// <summary>An exec session: its id and directory (log, exit file), the process pid, and its exit code unless detached.</summary>
public sealed record ExecResult(string SessionId, string SessionDir, int Pid, int? ExitCode);

/// <summary>The per-container monitor: owns the container's stdio, log and exit code while nothing else runs.</summary>
public interface IContainerMonitor
{
    /// <summary>Starts the monitor, which creates the container through the runtime; returns once it is created.</summary>
    Task<MonitoredContainer> CreateAsync(MonitorOptions options, CancellationToken cancellationToken = default);

    /// <summary>Connects to a container's stdio; pump it with <see cref="ConmonAttach.PumpAsync"/> (or, output only, on the calling thread with <see cref="ConmonAttach.Pump"/>).</summary>
    Task<ConmonAttach> AttachAsync(string attachSocketPath, CancellationToken cancellationToken = default);

    /// <summary>Resizes the container's terminal.</summary>
    Task ResizeAsync(string controlPath, int rows, int columns, CancellationToken cancellationToken = default);

    /// <summary>Runs a process in the container: attached to <paramref name="streams"/> and waited for, or detached.</summary>
    Task<ExecResult> ExecAsync(ExecOptions options, AttachStreams? streams = null, CancellationToken cancellationToken = default);

    /// <summary>Waits until the exit file of a container appears and returns its code.</summary>
    Task<int> WaitForExitAsync(string exitDir, string containerId, CancellationToken cancellationToken = default);
}
