namespace Berth.Engine.Runtime;

/// <summary>How a container is networked.</summary>
public enum NetworkMode
{
    /// <summary>Own network namespace with only loopback (runc and crun bring <c>lo</c> up in a new namespace).</summary>
    None,
    /// <summary>The host's network namespace.</summary>
    Host,
    /// <summary>Own network namespace with loopback up, to be wired to a network later (veth, slirp).</summary>
    Private,
}

/// <summary>A device node made in the container, with the cgroup access (r, w, m) to it.</summary>
public sealed record DeviceGrant(OciDevice Node, string Access);

/// <summary>A host path bind-mounted into the container.</summary>
/// <param name="Propagation">rprivate (default), private, rshared, shared, rslave or slave.</param>
public sealed record BindMount(string Source, string Destination, bool ReadOnly = false, string? Propagation = null, bool Recursive = true);

/// <summary>A tmpfs mounted into the container; <paramref name="Options"/> as for <c>--tmpfs /path:size=64m,mode=1777</c>.</summary>
public sealed record TmpfsMount(string Destination, IReadOnlyList<string>? Options = null);

/// <summary>Everything needed to produce a container's runtime spec; image and CLI defaults are already merged.</summary>
public sealed record ContainerRunSpec
{
    /// <summary>Absolute path of the prepared root file system (an overlay mount point or a plain directory).</summary>
    public required string RootfsPath { get; init; }
    public bool ReadOnlyRootfs { get; init; }

    /// <summary>Final argv (entrypoint + cmd); the first element is the program.</summary>
    public required IReadOnlyList<string> Args { get; init; }
    /// <summary>Final environment as KEY=VALUE; PATH is added when missing, as Docker does.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];
    public string WorkingDir { get; init; } = "/";
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public IReadOnlyList<uint> AdditionalGids { get; init; } = [];
    public string? Hostname { get; init; }
    public bool Terminal { get; init; }
    /// <summary>Initial terminal size (rows, columns) when <see cref="Terminal"/> is set.</summary>
    public OciConsoleSize? ConsoleSize { get; init; }
    /// <summary>Signal <c>stop</c> sends first (<c>--stop-signal</c>); recorded as an annotation, the runtime ignores it.</summary>
    public string? StopSignal { get; init; }

    public NetworkMode Network { get; init; } = NetworkMode.Private;
    /// <summary>Another container's network namespace to join (/proc/PID/ns/net) instead of a new one; not with <see cref="NetworkMode.Host"/>.</summary>
    public string? NetworkNamespacePath { get; init; }
    /// <summary>Another container's PID namespace to join (/proc/PID/ns/pid) instead of a new one; not with <see cref="HostPid"/>.</summary>
    public string? PidNamespacePath { get; init; }
    public IReadOnlyList<BindMount> Binds { get; init; } = [];
    public IReadOnlyList<TmpfsMount> Tmpfs { get; init; } = [];
    /// <summary>Files the engine writes in the container directory: bind-mounted over /etc/hosts, /etc/hostname, /etc/resolv.conf.</summary>
    public string? HostsFile { get; init; }
    public string? HostnameFile { get; init; }
    public string? ResolvConfFile { get; init; }

    public IReadOnlyList<string> CapAdd { get; init; } = [];
    public IReadOnlyList<string> CapDrop { get; init; } = [];
    public bool Privileged { get; init; }
    public bool NoNewPrivileges { get; init; }
    /// <summary>Apply Docker's default seccomp profile (ignored when privileged).</summary>
    public bool Seccomp { get; init; } = true;

    /// <summary>Memory limit in bytes (<c>--memory</c>); swap becomes twice it when the kernel accounts swap, as Docker does.</summary>
    public long? MemoryBytes { get; init; }
    /// <summary>Memory+swap in bytes (<c>--memory-swap</c>); -1 means unlimited swap.</summary>
    public long? MemorySwapBytes { get; init; }
    /// <summary>Soft memory limit in bytes (<c>--memory-reservation</c>).</summary>
    public long? MemoryReservationBytes { get; init; }
    /// <summary>CPUs in billionths (<c>--cpus 1.5</c> = 1_500_000_000).</summary>
    public long? NanoCpus { get; init; }
    public ulong? CpuShares { get; init; }
    public long? PidsLimit { get; init; }
    public int OomScoreAdj { get; init; }
    public long ShmSizeBytes { get; init; } = 64 * 1024 * 1024;
    /// <summary><c>--cpuset-cpus</c> and <c>--cpuset-mems</c> lists ("0-2,4"), null for all.</summary>
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    /// <summary>Resource limits set with <c>--ulimit</c> (RLIMIT_NOFILE replaces the default one).</summary>
    public IReadOnlyList<OciRlimit> Rlimits { get; init; } = [];

    /// <summary>Namespaces shared with the host instead of the container's own (<c>--pid host</c>, <c>--ipc host</c>, <c>--uts host</c>).</summary>
    public bool HostPid { get; init; }
    public bool HostIpc { get; init; }
    public bool HostUts { get; init; }
    /// <summary>Host devices made in the container (<c>--device</c>): the node as it appears there and the cgroup access allowed.</summary>
    public IReadOnlyList<DeviceGrant> Devices { get; init; } = [];
    /// <summary>Devices-cgroup rules allowed besides the default ones (--device-cgroup-rule).</summary>
    public IReadOnlyList<OciDeviceRule> DeviceRules { get; init; } = [];
    /// <summary>--oom-kill-disable.</summary>
    public bool DisableOomKiller { get; init; }
    /// <summary>--blkio-weight*, --device-{read,write}-{bps,iops}, with the devices' numbers; null when none is set.</summary>
    public OciBlockIo? BlockIo { get; init; }
    /// <summary><c>--ipc none</c>: no /dev/shm at all.</summary>
    public bool NoShm { get; init; }
    /// <summary><c>--ipc container:NAME</c>: the IPC namespace to join (/proc/PID/ns/ipc of that container's process).</summary>
    public string? IpcNamespacePath { get; init; }
    /// <summary>A host directory (a shareable container's tmpfs) bound at /dev/shm instead of a tmpfs of the container's own.</summary>
    public string? ShmSource { get; init; }

    /// <summary>Host path of an init (tini / docker-init) bind-mounted at /sbin/docker-init and run as PID 1 before Args.</summary>
    public string? InitPath { get; init; }

    /// <summary>Cgroup path (cgroupfs style); defaults to <c>/&lt;CgroupParent or "berth"&gt;/&lt;ContainerId&gt;</c>.</summary>
    public string? CgroupsPath { get; init; }
    public string CgroupParent { get; init; } = "/berth";
    public string? ContainerId { get; init; }

    /// <summary>User-namespace mappings; none means no user namespace.</summary>
    public IReadOnlyList<OciIdMapping> UidMappings { get; init; } = [];
    public IReadOnlyList<OciIdMapping> GidMappings { get; init; } = [];

    /// <summary>Extra sysctls (net.* only make sense with an own network namespace).</summary>
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}
