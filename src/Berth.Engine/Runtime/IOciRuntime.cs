namespace Berth.Engine.Runtime;

/// <summary>What a runtime command printed and how it exited.</summary>
public sealed record RuntimeResult(int ExitCode, string Stdout, string Stderr);

/// <summary>An OCI runtime binary (runc, crun) driven through its command line, with its state under <see cref="StateRoot"/>.</summary>
public interface IOciRuntime
{
    /// <summary>"runc" or "crun".</summary>
    string Name { get; }
    /// <summary>Absolute path of the binary.</summary>
    string BinaryPath { get; }
    /// <summary>The runtime's state directory (<c>--root</c>), e.g. /run/berth/runc.</summary>
    string StateRoot { get; }
    /// <summary>Arguments placed before every command (<c>--root DIR</c>); the monitor passes them on too.</summary>
    IReadOnlyList<string> GlobalArgs { get; }

    /// <summary>
    /// Whether <c>create</c> may be started before the bundle is ready, with config.json a FIFO filled later: the runtime
    /// opens it as a file and reads the spec from it (see <see cref="SpecFifoNeedsEndOfFile"/>).
    /// </summary>
    bool ReadsSpecFromFifo { get; }

    /// <summary>
    /// Whether the runtime reads config.json to its end (crun), so a spec FIFO's writer must close it once the runtime has
    /// drained it; runc decodes one JSON value and needs no end of file.
    /// </summary>
    bool SpecFifoNeedsEndOfFile { get; }

    /// <summary>
    /// Whether the runtime works in a mount namespace of its own, made when it starts (crun through
    /// <see cref="CgroupV1ViewLauncher"/>): a mount the host makes later reaches it only by propagation from a shared mount.
    /// </summary>
    bool SeesLaterMountsOnlyByPropagation { get; }

    /// <summary>Throws a <see cref="RuntimeException"/> explaining why this runtime cannot run the spec on this machine.</summary>
    void Validate(RuntimeSpec spec);

    /// <summary><c>create</c>: sets up the container and stops before the user process runs. Output goes to /dev/null.</summary>
    Task CreateAsync(string id, string bundlePath, string? pidFile = null, string? consoleSocket = null, CancellationToken cancellationToken = default);
    /// <summary>
    /// <c>start</c>: runs the user process of a created container. <paramref name="initPid"/>, when the caller knows it (the
    /// monitor reported it), spares a runtime that needs it a read of its own state.
    /// </summary>
    Task StartAsync(string id, int initPid = 0, CancellationToken cancellationToken = default);
    /// <summary><c>run</c> in the foreground without a monitor, streaming the container's output; returns its exit code.</summary>
    Task<int> RunAsync(string id, string bundlePath, Stream? stdout = null, Stream? stderr = null, CancellationToken cancellationToken = default);
    /// <summary><c>state</c>, or null when the runtime does not know the container.</summary>
    Task<OciState?> StateAsync(string id, CancellationToken cancellationToken = default);
    /// <summary><c>list</c>: every container in <see cref="StateRoot"/>.</summary>
    Task<IReadOnlyList<OciState>> ListAsync(CancellationToken cancellationToken = default);
    /// <summary><c>kill</c>: signal by name ("TERM", "SIGKILL") or number; <paramref name="all"/> signals every process in the container.</summary>
    Task KillAsync(string id, string signal = "TERM", bool all = false, CancellationToken cancellationToken = default);
    /// <summary><c>delete</c>; <paramref name="force"/> kills a running container first. A container the runtime does not know is not an error.</summary>
    Task DeleteAsync(string id, bool force = false, CancellationToken cancellationToken = default);
    /// <summary>
    /// <c>delete</c> of a container whose processes have all ended, done in this process where that is all the runtime's
    /// delete would do (runc, crun; <paramref name="cgroupDirectories"/> are the container's cgroups); false when nothing or not
    /// all of it was done, and <see cref="DeleteAsync"/> is needed.
    /// </summary>
    bool TryDeleteStopped(string id, IEnumerable<string> cgroupDirectories);
    Task PauseAsync(string id, CancellationToken cancellationToken = default);
    Task ResumeAsync(string id, CancellationToken cancellationToken = default);
    /// <summary><c>exec --process</c> without a monitor: waits and captures output, or with <paramref name="detach"/> returns at once (exit code 0).</summary>
    Task<RuntimeResult> ExecAsync(string id, OciProcess process, bool detach = false, string? pidFile = null, CancellationToken cancellationToken = default);
    /// <summary><c>ps</c>: host pids of the container's processes.</summary>
    Task<IReadOnlyList<int>> PsAsync(string id, CancellationToken cancellationToken = default);
    /// <summary><c>update --resources</c>: changes cgroup limits of a running container.</summary>
    Task UpdateAsync(string id, OciResources resources, CancellationToken cancellationToken = default);
}
