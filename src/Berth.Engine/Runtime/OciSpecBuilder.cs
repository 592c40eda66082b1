using System.Globalization;

namespace Berth.Engine.Runtime;

/// <summary>Turns a <see cref="ContainerRunSpec"/> into a runtime spec with Docker's security defaults (moby daemon/pkg/oci/defaults.go).</summary>
public sealed class OciSpecBuilder
{
    public const string DefaultPathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    public const string StopSignalAnnotation = "org.opencontainers.image.stopSignal";
    public const string InitPathInContainer = "/sbin/docker-init";

    /// <summary>
    /// Docker's NOFILE limit for containers: dockerd's systemd unit runs with LimitNOFILE=infinity (1048576 soft and hard)
    /// and containers inherit it. A runtime cannot raise a limit above its own hard limit, so Berth uses the smaller of
    /// 1048576 and its own hard limit.
    /// </summary>
    public static ulong DefaultNofile { get; } = Math.Min(1048576UL, OwnHardNofile() ?? 1048576UL);

    private static ulong? OwnHardNofile()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                var parts = line[14..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && ulong.TryParse(parts[1], CultureInfo.InvariantCulture, out ulong hard)) return hard;
                return null;
            }
        }
        catch (IOException) { }
        return null;
    }

    /// <summary>Paths hidden from unprivileged containers (/dev/null bound over files, empty read-only tmpfs over directories).</summary>
    public static readonly IReadOnlyList<string> DefaultMaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap",
        "/sys/firmware",
    ];

    /// <summary>Paths remounted read-only in unprivileged containers.</summary>
    public static readonly IReadOnlyList<string> DefaultReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>The devices cgroup: deny everything, then allow the standard character devices (mknod of null, zero, full,
    /// random, urandom, tty, console, ptmx) and deny /dev/net/tun (10:229).</summary>
    public static readonly IReadOnlyList<OciDeviceRule> DefaultDeviceRules =
    [
        new(false, Access: "rwm"),
        new(true, "c", 1, 5, "rwm"),
        new(true, "c", 1, 3, "rwm"),
        new(true, "c", 1, 9, "rwm"),
        new(true, "c", 1, 8, "rwm"),
        new(true, "c", 5, 0, "rwm"),
        new(true, "c", 5, 1, "rwm"),
        new(false, "c", 10, 229, "rwm"),
    ];

    private readonly SeccompProfile _seccomp;
    private readonly Func<bool> _swapAccounting;

    public OciSpecBuilder(SeccompProfile? seccomp = null, Func<bool>? swapAccounting = null)
    {
        _seccomp = seccomp ?? SeccompProfile.DockerDefault;
        _swapAccounting = swapAccounting ?? CgroupLayout.SwapAccountingEnabled;
    }

    public RuntimeSpec Build(ContainerRunSpec run)
    {
        if (run.Args.Count == 0)
            throw new InvalidInputException("no command specified");
        if (!Path.IsPathRooted(run.RootfsPath))
            throw new InvalidInputException($"rootfs path must be absolute: {run.RootfsPath}");

        var caps = Capabilities.Resolve(run.CapAdd, run.CapDrop, run.Privileged);
        bool userns = run.UidMappings.Count > 0;
        string hostname = run.Hostname
            ?? (run.Network == NetworkMode.Host ? Environment.MachineName
                : run.ContainerId is { Length: > 0 } id ? id[..Math.Min(12, id.Length)] : "localhost");

        var process = new OciProcess
        {
            Terminal = run.Terminal ? true : null,
            ConsoleSize = run.Terminal ? run.ConsoleSize : null,
            User = new OciUser
            {
                Uid = run.Uid,
                Gid = run.Gid,
                AdditionalGids = run.AdditionalGids.Count > 0 ? run.AdditionalGids : null,
            },
            Args = run.InitPath is null ? run.Args : [InitPathInContainer, "--", .. run.Args],
            Env = BuildEnv(run, hostname),
            Cwd = string.IsNullOrEmpty(run.WorkingDir) ? "/" : run.WorkingDir,
            // Docker 20.10.14+ leaves inheritable (and ambient) empty: CVE-2022-24769.
            Capabilities = new OciCapabilities { Bounding = caps, Effective = caps, Permitted = caps },
            Rlimits = [.. (run.Rlimits.Any(r => r.Type == "RLIMIT_NOFILE") ? [] : new[] { new OciRlimit("RLIMIT_NOFILE", DefaultNofile, DefaultNofile) }), .. run.Rlimits],
            NoNewPrivileges = run.NoNewPrivileges ? true : null,
            OomScoreAdj = run.OomScoreAdj,
        };

        var namespaces = new List<OciNamespace>();
        if (!run.HostPid) namespaces.Add(new("pid", run.PidNamespacePath));
        if (!run.HostIpc) namespaces.Add(new("ipc", run.IpcNamespacePath));
        if (!run.HostUts) namespaces.Add(new("uts"));
        namespaces.Add(new("mount"));
        if (run.Network != NetworkMode.Host) namespaces.Add(new OciNamespace("network", run.NetworkNamespacePath));
        if (userns) namespaces.Add(new OciNamespace("user"));

        var sysctls = new Dictionary<string, string>();
        // Not in another container's network namespace: that one's owner set it up.
        if (run.Network != NetworkMode.Host && run.NetworkNamespacePath is null)
        {
            // Docker 20.10+: unprivileged ports and ping sockets inside a container's own network namespace.
            sysctls["net.ipv4.ip_unprivileged_port_start"] = "0";
            // The range must consist of gids mapped in the user namespace; without one every gid is.
            if (!userns) sysctls["net.ipv4.ping_group_range"] = "0 2147483647";
        }
        foreach (var (k, v) in run.Sysctls) sysctls[k] = v;

        var annotations = new Dictionary<string, string>(run.Annotations);
        if (run.StopSignal is { Length: > 0 } stop) annotations[StopSignalAnnotation] = stop;

        var linux = new OciLinux
        {
            UidMappings = userns ? run.UidMappings : null,
            GidMappings = userns ? (run.GidMappings.Count > 0 ? run.GidMappings : run.UidMappings) : null,
            Sysctl = sysctls.Count > 0 ? sysctls : null,
            Resources = BuildResources(run),
            CgroupsPath = run.CgroupsPath
                ?? (run.ContainerId is { Length: > 0 } cid ? "/" + run.CgroupParent.Trim('/') + "/" + cid : null),
            Namespaces = namespaces,
            Devices = run.Privileged ? HostDeviceNodes.All() : run.Devices.Count > 0 ? [.. run.Devices.Select(d => d.Node)] : null,
            Seccomp = run.Privileged || !run.Seccomp ? null : _seccomp.Resolve(caps),
            RootfsPropagation = RootfsPropagation(run.Binds),
            MaskedPaths = run.Privileged ? null : MaskedPaths(),
            ReadonlyPaths = run.Privileged ? null : DefaultReadonlyPaths,
        };

        return new RuntimeSpec
        {
            Process = process,
            Root = new OciRoot(run.RootfsPath, run.ReadOnlyRootfs ? true : null),
            // The runtime sets the hostname only in a UTS namespace of the container's own.
            Hostname = run.HostUts ? null : hostname,
            Mounts = BuildMounts(run, userns),
            Linux = linux,
            Annotations = annotations.Count > 0 ? annotations : null,
        };
    }

    /// <summary>The process.json for <c>exec</c>: the container's user and capabilities unless overridden.</summary>
    public static OciProcess BuildExecProcess(RuntimeSpec container, IReadOnlyList<string> args, IReadOnlyList<string>? extraEnv = null,
        bool terminal = false, string? workingDir = null, OciUser? user = null, bool privileged = false)
    {
        var baseProcess = container.Process ?? throw new InvalidInputException("container spec has no process");
        var env = new List<string>(baseProcess.Env ?? []);
        foreach (var e in extraEnv ?? [])
        {
            string key = e.Split('=', 2)[0];
            env.RemoveAll(x => x.Split('=', 2)[0] == key);
            env.Add(e);
        }
        var caps = privileged ? Capabilities.KnownToKernel : null;
        return baseProcess with
        {
            Args = args,
            Env = env,
            Terminal = terminal ? true : null,
            ConsoleSize = null,
            Cwd = workingDir ?? baseProcess.Cwd,
            User = user ?? baseProcess.User,
            Capabilities = caps is null ? baseProcess.Capabilities : new OciCapabilities { Bounding = caps, Effective = caps, Permitted = caps },
        };
    }

    private static List<string> BuildEnv(ContainerRunSpec run, string hostname)
    {
        var env = new List<string>();
        bool Has(string key) => run.Env.Any(e => e.StartsWith(key + "=", StringComparison.Ordinal));
        if (!Has("PATH")) env.Add(DefaultPathEnv);
        if (!Has("HOSTNAME")) env.Add("HOSTNAME=" + hostname);
        if (run.Terminal && !Has("TERM")) env.Add("TERM=xterm");
        env.AddRange(run.Env);
        return env;
    }

    /// <summary>The cgroup limits of <paramref name="run"/> alone, as `update` hands them to a running container's runtime (no device rules).</summary>
    public OciResources Limits(ContainerRunSpec run) => BuildResources(run) with { Devices = null };

    private OciResources BuildResources(ContainerRunSpec run)
    {
        OciMemory? memory = null;
        if (run.MemoryBytes is > 0)
        {
            long? swap = run.MemorySwapBytes switch
            {
                -1 => -1,
                > 0 and var s => s,
                _ => run.MemoryBytes * 2, // Docker: unset --memory-swap means memory + as much swap
            };
            memory = new OciMemory { Limit = run.MemoryBytes, Swap = _swapAccounting() ? swap : null };
        }
        if (run.MemoryReservationBytes is > 0)
            memory = (memory ?? new OciMemory()) with { Reservation = run.MemoryReservationBytes };
        if (run.DisableOomKiller) memory = (memory ?? new OciMemory()) with { DisableOomKiller = true };

        OciCpu? cpu = null;
        if (run.NanoCpus is > 0 || run.CpuShares is > 0 || run.CpusetCpus is { Length: > 0 } || run.CpusetMems is { Length: > 0 })
        {
            const ulong period = 100_000; // Docker's fixed CFS period for --cpus, in microseconds
            cpu = new OciCpu
            {
                Shares = run.CpuShares is > 0 ? run.CpuShares : null,
                Period = run.NanoCpus is > 0 ? period : null,
                Quota = run.NanoCpus is > 0 ? run.NanoCpus.Value * (long)period / 1_000_000_000 : null,
                Cpus = run.CpusetCpus is { Length: > 0 } cpus ? cpus : null,
                Mems = run.CpusetMems is { Length: > 0 } mems ? mems : null,
            };
        }

        return new OciResources
        {
            Devices = run.Privileged ? [new OciDeviceRule(true, Access: "rwm")]
                : run.Devices.Count == 0 && run.DeviceRules.Count == 0 ? DefaultDeviceRules
                : [.. DefaultDeviceRules, .. run.Devices.Select(d => new OciDeviceRule(true, d.Node.Type, d.Node.Major, d.Node.Minor, d.Access)), .. run.DeviceRules],
            Memory = memory,
            Cpu = cpu,
            Pids = run.PidsLimit is { } p && p != 0 ? new OciPids(p) : null,
            BlockIo = run.BlockIo,
        };
    }

    private static List<OciMount> BuildMounts(ContainerRunSpec run, bool userns)
    {
        string[] sysOptions = run.Privileged ? ["nosuid", "noexec", "nodev"] : ["nosuid", "noexec", "nodev", "ro"];
        string[] cgroupOptions = run.Privileged ? ["nosuid", "noexec", "nodev"] : ["ro", "nosuid", "noexec", "nodev"];
        var mounts = new List<OciMount>
        {
            new() { Destination = "/proc", Type = "proc", Source = "proc", Options = ["nosuid", "noexec", "nodev"] },
            new() { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            new() { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
            // sysfs cannot be mounted in a user namespace that does not own the network namespace: bind the host's instead.
            userns && run.Network == NetworkMode.Host
                ? new OciMount { Destination = "/sys", Type = "bind", Source = "/sys", Options = ["rbind", "nosuid", "noexec", "nodev", "ro"] }
                : new OciMount { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = sysOptions },
            new() { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = cgroupOptions },
            new() { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
        };
        // /dev/shm: the host's own with --ipc host (Docker binds it), none with --ipc none, else a tmpfs of --shm-size.
        if (run.HostIpc) mounts.Add(new() { Destination = "/dev/shm", Type = "bind", Source = "/dev/shm", Options = ["rbind", "rw", "rprivate"] });
        else if (run.ShmSource is { } shared) mounts.Add(new() { Destination = "/dev/shm", Type = "bind", Source = shared, Options = ["rbind", "rw", "rprivate"] });
        else if (!run.NoShm) mounts.Add(new() { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=" + (run.ShmSizeBytes / 1024).ToString(CultureInfo.InvariantCulture) + "k"] });

        var user = new List<OciMount>();
        void Bind(string source, string destination, bool readOnly, string? propagation = null, bool recursive = true) =>
            user.Add(new OciMount
            {
                Destination = destination,
                Type = "bind",
                Source = source,
                Options = [recursive ? "rbind" : "bind", readOnly ? "ro" : "rw", propagation ?? "rprivate"],
            });

        if (run.ResolvConfFile is { } resolv) Bind(resolv, "/etc/resolv.conf", run.ReadOnlyRootfs);
        if (run.HostnameFile is { } hn) Bind(hn, "/etc/hostname", run.ReadOnlyRootfs);
        if (run.HostsFile is { } hosts) Bind(hosts, "/etc/hosts", run.ReadOnlyRootfs);
        if (run.InitPath is { } init) Bind(init, InitPathInContainer, true);
        foreach (var b in run.Binds)
        {
            if (!Path.IsPathRooted(b.Destination))
                throw new InvalidInputException($"invalid mount destination \"{b.Destination}\": must be an absolute path");
            Bind(b.Source, b.Destination, b.ReadOnly, b.Propagation, b.Recursive);
        }
        foreach (var t in run.Tmpfs)
        {
            if (!Path.IsPathRooted(t.Destination))
                throw new InvalidInputException($"invalid tmpfs destination \"{t.Destination}\": must be an absolute path");
            var options = new List<string> { "noexec", "nosuid", "nodev" };
            foreach (var o in t.Options ?? [])
                if (!options.Contains(o)) options.Add(o);
            user.Add(new OciMount { Destination = t.Destination, Type = "tmpfs", Source = "tmpfs", Options = options });
        }

        // A user mount replaces a default one at the same place (e.g. -v /host/shm:/dev/shm).
        mounts.RemoveAll(m => user.Any(u => u.Destination.TrimEnd('/') == m.Destination));
        // Parents before children, as Docker sorts mounts by path depth.
        mounts.AddRange(user.OrderBy(m => m.Destination.TrimEnd('/').Count(c => c == '/')));
        return mounts;
    }

    private static string? RootfsPropagation(IReadOnlyList<BindMount> binds)
    {
        if (binds.Any(b => b.Propagation is "shared" or "rshared")) return "rshared";
        if (binds.Any(b => b.Propagation is "slave" or "rslave")) return "rslave";
        return null;
    }

    private static List<string> MaskedPaths()
    {
        var paths = new List<string>(DefaultMaskedPaths);
        // moby GHSA-6fw5-f8r9-fgfm: thermal_throttle counters leak host activity.
        for (int cpu = 0; cpu < Environment.ProcessorCount * 4 && cpu < 4096; cpu++)
        {
            string p = $"/sys/devices/system/cpu/cpu{cpu}/thermal_throttle";
            if (Directory.Exists(p)) paths.Add(p);
            else if (!Directory.Exists($"/sys/devices/system/cpu/cpu{cpu}")) break;
        }
        return paths;
    }
}
