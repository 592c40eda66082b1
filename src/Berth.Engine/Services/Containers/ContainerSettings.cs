using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Engine.Images;

namespace Berth.Engine.Services.Containers;

/// <summary>What `create` decided for a container (Docker's Config and HostConfig plus Berth's extras); stored as JSON in its row.</summary>
public sealed record ContainerSettings
{
    /// <summary>The image as the user named it (ps IMAGE column, Config.Image).</summary>
    public string ImageName { get; init; } = "";
    /// <summary>The program (first of entrypoint + cmd) and its arguments.</summary>
    public string Path { get; init; } = "";
    public IReadOnlyList<string> Args { get; init; } = [];
    public ContainerConfig Config { get; init; } = ContainerConfig.Default;
    public HostSettings HostConfig { get; init; } = HostSettings.Default;
    /// <summary>Mounts as resolved at create: binds, volumes and tmpfs.</summary>
    public IReadOnlyList<ContainerMount> Mounts { get; init; } = [];
    /// <summary>Ports published with -p, host ports chosen at create.</summary>
    public IReadOnlyList<Berth.Engine.Containers.Ports.PortBinding> Ports { get; init; } = [];

    public string ToJson() => ContainerSettingsJson.Write(this);
    public static ContainerSettings FromJson(ReadOnlySpan<byte> utf8Json) => ContainerSettingsJson.Read(utf8Json);
}

/// <summary>Docker's HostConfig fields Berth supports.</summary>
public sealed record HostSettings
{
    /// <summary>Every setting at its default (what a missing JSON property reads as).</summary>
    public static HostSettings Default { get; } = new();

    public IReadOnlyList<string> Binds { get; init; } = [];
    /// <summary>"default", "none" or "host".</summary>
    public string NetworkMode { get; init; } = "default";
    public bool AutoRemove { get; init; }
    public bool Privileged { get; init; }
    public bool ReadonlyRootfs { get; init; }
    public IReadOnlyList<string> CapAdd { get; init; } = [];
    public IReadOnlyList<string> CapDrop { get; init; } = [];
    public IReadOnlyList<string> SecurityOpt { get; init; } = [];
    public long Memory { get; init; }
    public long NanoCpus { get; init; }
    public long? PidsLimit { get; init; }
    public IReadOnlyDictionary<string, string> Tmpfs { get; init; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;
    public bool Init { get; init; }
    public string Runtime { get; init; } = "runc";
    /// <summary>--add-host entries as "name:address" (Docker's form, whichever separator was typed).</summary>
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];
    /// <summary>--dns servers; empty keeps the host's (as filtered for the container's network).</summary>
    public IReadOnlyList<string> Dns { get; init; } = [];
    /// <summary>--dns-search domains; "." alone means none.</summary>
    public IReadOnlyList<string> DnsSearch { get; init; } = [];
    public IReadOnlyList<string> DnsOptions { get; init; } = [];
    public IReadOnlyList<ContainerUlimit> Ulimits { get; init; } = [];
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;
    /// <summary>Size of the container's /dev/shm in bytes (Docker's default 64 MiB).</summary>
    public long ShmSize { get; init; } = DefaultShmSize;
    /// <summary>--cpu-shares, relative CPU weight; 0 leaves the kernel's default (1024).</summary>
    public long CpuShares { get; init; }
    public string CpusetCpus { get; init; } = "";
    public string CpusetMems { get; init; } = "";
    /// <summary>"" (a PID namespace of its own) or "host".</summary>
    public string PidMode { get; init; } = "";
    /// <summary>"private" or "shareable" (an IPC namespace and /dev/shm of its own), "none" (no /dev/shm) or "host".</summary>
    public string IpcMode { get; init; } = "private";
    /// <summary>"" (a UTS namespace of its own) or "host".</summary>
    public string UTSMode { get; init; } = "";
    /// <summary>-P: every exposed port was published on a port the host chose.</summary>
    public bool PublishAllPorts { get; init; }
    /// <summary>--memory-swap in bytes (memory plus swap; -1 unlimited, 0 Docker's default of twice the memory).</summary>
    public long MemorySwap { get; init; }
    /// <summary>--memory-reservation in bytes (a soft limit), 0 for none.</summary>
    public long MemoryReservation { get; init; }
    /// <summary>--device mappings, Docker's DeviceMapping.</summary>
    public IReadOnlyList<ContainerDevice> Devices { get; init; } = [];
    /// <summary>--device-cgroup-rule: devices-cgroup rules added to the default ones ("c 1:3 rwm", "*" for any number).</summary>
    public IReadOnlyList<string> DeviceCgroupRules { get; init; } = [];
    /// <summary>--oom-kill-disable: the kernel's OOM killer spares the container at its memory limit (cgroup v1 only).</summary>
    public bool OomKillDisable { get; init; }
    /// <summary>--blkio-weight: the container's relative block I/O weight (10-1000), 0 for none.</summary>
    public ushort BlkioWeight { get; init; }
    /// <summary>--blkio-weight-device: relative weights on single devices.</summary>
    public IReadOnlyList<BlkioWeightDevice> BlkioWeightDevice { get; init; } = [];
    /// <summary>--device-read-bps: bytes per second read from single devices.</summary>
    public IReadOnlyList<BlkioThrottleDevice> BlkioDeviceReadBps { get; init; } = [];
    /// <summary>--device-write-bps: bytes per second written to single devices.</summary>
    public IReadOnlyList<BlkioThrottleDevice> BlkioDeviceWriteBps { get; init; } = [];
    /// <summary>--device-read-iops: reads per second from single devices.</summary>
    public IReadOnlyList<BlkioThrottleDevice> BlkioDeviceReadIOps { get; init; } = [];
    /// <summary>--device-write-iops: writes per second to single devices.</summary>
    public IReadOnlyList<BlkioThrottleDevice> BlkioDeviceWriteIOps { get; init; } = [];
    /// <summary>--restart: what conmon's exit command does when the container's process ends (see <see cref="RestartPolicies"/>).</summary>
    public ContainerRestartPolicy RestartPolicy { get; init; } = ContainerRestartPolicy.None;

    public const long DefaultShmSize = 64L * 1024 * 1024;
}

/// <summary>Docker's RestartPolicy: "no", "always", "unless-stopped" or "on-failure" (with at most MaximumRetryCount restarts, 0 for no limit).</summary>
public sealed record ContainerRestartPolicy(string Name, int MaximumRetryCount)
{
    public static readonly ContainerRestartPolicy None = new("no", 0);
}

/// <summary>One --device: a host device node, where it appears in the container, and the cgroup access (r, w, m).</summary>
public sealed record ContainerDevice(string PathOnHost, string PathInContainer, string CgroupPermissions);

/// <summary>A block device's relative I/O weight, Docker's WeightDevice (0 lets the container's weight apply).</summary>
public sealed record BlkioWeightDevice(string Path, ushort Weight);

/// <summary>A limit on a block device in bytes or operations per second, Docker's ThrottleDevice.</summary>
public sealed record BlkioThrottleDevice(string Path, ulong Rate);

/// <summary>One --ulimit: a resource name as Docker spells it (nofile, nproc, ...) and its limits, -1 for unlimited.</summary>
public sealed record ContainerUlimit(string Name, long Soft, long Hard);

/// <summary>One mount of a container: a host directory (bind), a volume, or a tmpfs.</summary>
/// <param name="Type">"bind", "volume" or "tmpfs".</param>
/// <param name="Name">The volume's name (volumes only).</param>
/// <param name="Anonymous">A volume made for this container (removed by `rm -v`).</param>
public sealed record ContainerMount(string Type, string Source, string Destination, bool ReadWrite, string? Name = null, bool Anonymous = false, string Options = "");

/// <summary>
/// The serializer's form of container settings: what <see cref="ContainerSettingsJson"/> writes and reads by hand must
/// match it byte for byte (its tests compare the two); case-insensitive as <see cref="Images.ImageJsonContext"/>.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(ContainerSettings))]
public sealed partial class ContainerJsonContext : JsonSerializerContext;
