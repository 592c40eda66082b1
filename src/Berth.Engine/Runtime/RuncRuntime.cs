namespace Berth.Engine.Runtime;

/// <summary>runc, Berth's default runtime: works with cgroup v1, hybrid and v2 layouts.</summary>
public sealed class RuncRuntime(string? binaryPath = null, string? stateRoot = null)
    : OciRuntime("runc", ResolveBinary(binaryPath), stateRoot ?? "/run/berth/runc")
{
    // JSON log lines on stderr let ErrorMessage pick out the runtime's own error text.
    public override IReadOnlyList<string> GlobalArgs => ["--root", StateRoot, "--log-format", "json"];

    /// <summary>
    /// runc's create reads config.json with os.Open and one json.Decoder.Decode (runc 1.1 loadSpec), which returns at the
    /// end of the value, so a FIFO holding the spec serves as well as a file (crun reads to the end of the file).
    /// </summary>
    public override bool ReadsSpecFromFifo => true;

    /// <summary>`runc start`'s own work done in this process when the container is as runc leaves it (see <see cref="RuncExecFifo"/>).</summary>
    public override Task StartAsync(string id, int initPid = 0, CancellationToken cancellationToken = default) =>
        RuncExecFifo.TryStart(StateRoot, id, cancellationToken, initPid) ? Task.CompletedTask : base.StartAsync(id, initPid, cancellationToken);

    /// <summary>`runc delete`'s own work for a stopped container done in this process (see <see cref="StoppedContainerDelete"/>).</summary>
    public override bool TryDeleteStopped(string id, IEnumerable<string> cgroupDirectories) =>
        StoppedContainerDelete.TryDelete(StateRoot, id, cgroupDirectories);

    private static string ResolveBinary(string? path) =>
        FindBinary(path ?? "runc") ?? throw new RuntimeException("runc not found: install it (scripts/install-deps.sh)");
}
