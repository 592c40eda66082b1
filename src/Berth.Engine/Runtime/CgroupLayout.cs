namespace Berth.Engine.Runtime;

/// <summary>Which cgroup hierarchy the machine uses: v2 only (unified), v1 only, or v1 with a cgroup2 mount beside it (hybrid).</summary>
public enum CgroupMode { V1, Hybrid, Unified }

/// <summary>Facts about the host's cgroup mounts, read from /proc/self/mountinfo.</summary>
public static class CgroupLayout
{
    private static readonly Lazy<CgroupMode> s_mode = new(() => Detect(ReadMountInfo()));

    /// <summary>The layout of this machine.</summary>
    public static CgroupMode Mode => s_mode.Value;

    /// <summary>
    /// Classifies a mountinfo text: cgroup2 mounted at /sys/fs/cgroup is unified; cgroup2 elsewhere (e.g.
    /// /sys/fs/cgroup/unified) next to v1 controllers is hybrid; v1 controllers alone is v1.
    /// </summary>
    public static CgroupMode Detect(string mountInfo)
    {
        bool v1 = false, v2Root = false, v2Elsewhere = false;
        foreach (var (mountPoint, type) in MountTable.Entries(mountInfo.Split('\n')))
        {
            switch (type)
            {
                case "cgroup2" when mountPoint == "/sys/fs/cgroup": v2Root = true; break;
                case "cgroup2": v2Elsewhere = true; break;
                case "cgroup": v1 = true; break;
            }
        }
        if (v2Root) return CgroupMode.Unified;
        return v1 && v2Elsewhere ? CgroupMode.Hybrid : v1 ? CgroupMode.V1 : CgroupMode.Unified;
    }

    /// <summary>True when the v1 memory controller accounts swap (memory.memsw.* exists), so a swap limit can be set.</summary>
    public static bool SwapAccountingEnabled() =>
        Mode == CgroupMode.Unified
            ? Directory.EnumerateDirectories("/sys/fs/cgroup").Any(d => File.Exists(Path.Combine(d, "memory.swap.max")))
            : File.Exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");

    /// <summary>The directory of a cgroup (cgroupfs path such as /berth/ID) for a v1 controller, or the unified directory on v2.</summary>
    public static string ControllerPath(string controller, string cgroupsPath) =>
        Mode == CgroupMode.Unified
            ? Path.Combine("/sys/fs/cgroup", cgroupsPath.TrimStart('/'))
            : Path.Combine("/sys/fs/cgroup", controller, cgroupsPath.TrimStart('/'));

    private static string ReadMountInfo()
    {
        try { return File.ReadAllText("/proc/self/mountinfo"); }
        catch (IOException) { return ""; }
    }
}
