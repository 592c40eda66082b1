namespace Berth.Engine.Runtime;

/// <summary>Linux capability names and numbers, Docker's default set, and Docker's --cap-add/--cap-drop rules.</summary>
public static class Capabilities
{
    /// <summary>All capabilities by number (linux/capability.h), up to CAP_CHECKPOINT_RESTORE (40).</summary>
    public static readonly IReadOnlyList<string> All =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>Docker's default set (moby daemon/pkg/oci/caps/defaults.go), granted as bounding, effective and permitted.</summary>
    public static readonly IReadOnlyList<string> DockerDefault =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ];

    /// <summary>The capabilities this kernel knows (<c>/proc/sys/kernel/cap_last_cap</c>), which "ALL" and --privileged mean.</summary>
    public static IReadOnlyList<string> KnownToKernel { get; } = ReadKernelCapabilities();

    private static IReadOnlyList<string> ReadKernelCapabilities()
    {
        try
        {
            int last = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            return All.Take(Math.Min(last + 1, All.Count)).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return All;
        }
    }

    /// <summary>"net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all become "CAP_NET_ADMIN"; "all" becomes "ALL".</summary>
    public static string Normalize(string name)
    {
        string upper = name.Trim().ToUpperInvariant();
        if (upper == "ALL") return "ALL";
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
    }

    /// <summary>Bit number of a capability, or -1 when unknown.</summary>
    public static int Number(string name)
    {
        for (int i = 0; i < All.Count; i++)
            if (All[i] == name) return i;
        return -1;
    }

    /// <summary>The CapEff-style bit mask of a set of capabilities (as /proc/PID/status prints it).</summary>
    public static ulong Mask(IEnumerable<string> names)
    {
        ulong mask = 0;
        foreach (var name in names)
        {
            int n = Number(name);
            if (n >= 0) mask |= 1UL << n;
        }
        return mask;
    }

    /// <summary>
    /// The final set after Docker's rules (moby caps.TweakCapabilities): "ALL" in adds means every capability except
    /// the drops; otherwise "ALL" in drops means only the adds; otherwise the default set minus the drops plus the adds
    /// (an add beats a drop of the same name). Unknown names are an error.
    /// </summary>
    public static IReadOnlyList<string> Resolve(IEnumerable<string> add, IEnumerable<string> drop, bool privileged = false)
    {
        var known = KnownToKernel;
        if (privileged) return known;

        var adds = add.Select(Normalize).Distinct().ToList();
        var drops = drop.Select(Normalize).Distinct().ToList();
        foreach (var name in adds.Concat(drops))
            if (name != "ALL" && Number(name) < 0)
                throw new InvalidInputException($"unknown capability: \"{name}\"");

        if (adds.Contains("ALL"))
            return known.Where(c => !drops.Contains(c)).ToList();
        if (drops.Contains("ALL"))
            return adds;
        var result = DockerDefault.Where(c => !drops.Contains(c)).ToList();
        foreach (var name in adds)
            if (!result.Contains(name)) result.Add(name);
        return result;
    }
}
