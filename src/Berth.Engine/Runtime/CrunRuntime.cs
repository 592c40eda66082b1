namespace Berth.Engine.Runtime;

/// <summary>
/// crun: faster than runc, but crun 1.x does not support the hybrid cgroup layout (v1 controllers plus a cgroup2 mount):
/// it refuses to run when the cgroup2 side has any controller, and cannot apply limits there at all.
/// </summary>
public sealed class CrunRuntime(string? binaryPath = null, string? stateRoot = null, Func<CgroupMode>? cgroupMode = null, Func<string>? unifiedControllers = null)
    : OciRuntime("crun", ResolveBinary(binaryPath), stateRoot ?? "/run/berth/crun")
{
    public const string HybridLimitsMessage =
        "crun cannot apply resource limits on this machine's hybrid cgroup v1/v2 layout; use --runtime runc";

    private readonly Func<CgroupMode> _mode = cgroupMode ?? (() => CgroupLayout.Mode);
    private readonly Func<string> _controllers = unifiedControllers ?? ReadUnifiedControllers;

    private static string ResolveBinary(string? path) =>
        FindBinary(path ?? "crun") ?? throw new RuntimeException("crun not found: install it (scripts/install-deps.sh)");

    public override void Validate(RuntimeSpec spec)
    {
        if (_mode() != CgroupMode.Hybrid) return;
        if (spec.Linux?.Resources?.HasLimits == true)
            throw new RuntimeException(HybridLimitsMessage);
        string controllers = _controllers().Trim();
        if (controllers.Length > 0)
            throw new RuntimeException(
                $"crun cannot run containers on this machine's hybrid cgroup v1/v2 layout: the cgroup2 mount has controllers ({controllers}) and crun refuses that; use --runtime runc");
    }

    private static string ReadUnifiedControllers()
    {
        try { return File.ReadAllText("/sys/fs/cgroup/unified/cgroup.controllers"); }
        catch (IOException) { return ""; }
    }
}
