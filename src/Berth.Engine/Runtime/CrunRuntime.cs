namespace Berth.Engine.Runtime;

/// <summary>
/// crun: faster than runc. crun 1.x refuses the hybrid cgroup layout (v1 controllers plus a cgroup2 mount with a controller
/// on it), so there it runs through <see cref="CgroupV1ViewLauncher"/> and manages the v1 controllers as on a v1 host.
/// </summary>
public sealed class CrunRuntime(string? binaryPath = null, string? stateRoot = null, Func<CgroupMode>? cgroupMode = null)
    : OciRuntime("crun", Launcher(ResolveBinary(binaryPath), stateRoot ?? DefaultStateRoot, cgroupMode ?? (() => CgroupLayout.Mode)),
        stateRoot ?? DefaultStateRoot)
{
    private const string DefaultStateRoot = "/run/berth/crun";

    /// <summary>The crun binary itself (<see cref="OciRuntime.BinaryPath"/> is the launcher on a hybrid layout).</summary>
    public string CrunPath { get; } = ResolveBinary(binaryPath);

    /// <summary>
    /// crun 1.8 reads config.json with read_all_file: a read loop until end of file, whatever fstat says of its size. From a
    /// FIFO it gets the spec, then its end of file once the writer closes (see <see cref="SpecFifoNeedsEndOfFile"/>).
    /// </summary>
    public override bool ReadsSpecFromFifo => true;

    public override bool SpecFifoNeedsEndOfFile => true;

    public override bool SeesLaterMountsOnlyByPropagation => BinaryPath != CrunPath;

    /// <summary>`crun start`'s own work done in this process when the container is as crun leaves it (see <see cref="CrunExecFifo"/>).</summary>
    public override Task StartAsync(string id, int initPid = 0, CancellationToken cancellationToken = default) =>
        CrunExecFifo.TryStart(StateRoot, id) ? Task.CompletedTask : base.StartAsync(id, initPid, cancellationToken);

    /// <summary>`crun delete`'s own work for a stopped container done in this process (see <see cref="StoppedContainerDelete"/>).</summary>
    public override bool TryDeleteStopped(string id, IEnumerable<string> cgroupDirectories) =>
        StoppedContainerDelete.TryDelete(StateRoot, id, cgroupDirectories);

    private static string ResolveBinary(string? path) =>
        FindBinary(path ?? "crun") ?? throw new RuntimeException("crun not found: install it (scripts/install-deps.sh)");

    private static string Launcher(string crun, string stateRoot, Func<CgroupMode> mode) =>
        mode() == CgroupMode.Hybrid ? CgroupV1ViewLauncher.Ensure(stateRoot.TrimEnd('/') + "-v1-view.sh", crun) : crun;
}
