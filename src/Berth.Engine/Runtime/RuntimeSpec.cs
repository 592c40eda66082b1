using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Engine.Runtime;

// The OCI runtime-spec config.json (opencontainers/runtime-spec 1.0.x), only the parts Berth writes.
// Property names follow the spec's camelCase; a few spell acronyms in capitals and say so explicitly.

/// <summary>An OCI runtime bundle's <c>config.json</c>.</summary>
public sealed record RuntimeSpec
{
    public string OciVersion { get; init; } = "1.0.2-dev";
    public OciProcess? Process { get; init; }
    public OciRoot? Root { get; init; }
    public string? Hostname { get; init; }
    public IReadOnlyList<OciMount>? Mounts { get; init; }
    public OciLinux? Linux { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public string ToJson() => RuntimeSpecJson.Write(this);
    public static RuntimeSpec FromJson(string json) =>
        JsonSerializer.Deserialize(json, RuntimeSpecJsonContext.Default.RuntimeSpec)
        ?? throw new InvalidInputException("runtime spec JSON is null");
}

/// <summary>The process a container (or an exec session) runs; also the content of an exec <c>process.json</c>.</summary>
public sealed record OciProcess
{
    public bool? Terminal { get; init; }
    public OciConsoleSize? ConsoleSize { get; init; }
    public required OciUser User { get; init; }
    public required IReadOnlyList<string> Args { get; init; }
    public IReadOnlyList<string>? Env { get; init; }
    public required string Cwd { get; init; }
    public OciCapabilities? Capabilities { get; init; }
    public IReadOnlyList<OciRlimit>? Rlimits { get; init; }
    public bool? NoNewPrivileges { get; init; }
    public string? ApparmorProfile { get; init; }
    public int? OomScoreAdj { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, RuntimeSpecJsonContext.Default.OciProcess);
}

/// <summary>Terminal size in rows and columns.</summary>
public sealed record OciConsoleSize(uint Height, uint Width);

/// <summary>Numeric user the process runs as (names are resolved before this point).</summary>
public sealed record OciUser
{
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public uint? Umask { get; init; }
    public IReadOnlyList<uint>? AdditionalGids { get; init; }
}

/// <summary>Capability sets as <c>CAP_*</c> names.</summary>
public sealed record OciCapabilities
{
    public IReadOnlyList<string>? Bounding { get; init; }
    public IReadOnlyList<string>? Effective { get; init; }
    public IReadOnlyList<string>? Inheritable { get; init; }
    public IReadOnlyList<string>? Permitted { get; init; }
    public IReadOnlyList<string>? Ambient { get; init; }
}

/// <summary>A POSIX resource limit such as <c>RLIMIT_NOFILE</c>.</summary>
public sealed record OciRlimit(string Type, ulong Hard, ulong Soft);

/// <summary>The container's root file system.</summary>
public sealed record OciRoot(string Path, bool? Readonly = null);

/// <summary>One mount, in the order the runtime performs them.</summary>
public sealed record OciMount
{
    public required string Destination { get; init; }
    public string? Type { get; init; }
    public string? Source { get; init; }
    public IReadOnlyList<string>? Options { get; init; }
}

/// <summary>Linux-specific configuration.</summary>
public sealed record OciLinux
{
    public IReadOnlyList<OciIdMapping>? UidMappings { get; init; }
    public IReadOnlyList<OciIdMapping>? GidMappings { get; init; }
    public IReadOnlyDictionary<string, string>? Sysctl { get; init; }
    public OciResources? Resources { get; init; }
    public string? CgroupsPath { get; init; }
    public IReadOnlyList<OciNamespace>? Namespaces { get; init; }
    public IReadOnlyList<OciDevice>? Devices { get; init; }
    public OciSeccomp? Seccomp { get; init; }
    public string? RootfsPropagation { get; init; }
    public IReadOnlyList<string>? MaskedPaths { get; init; }
    public IReadOnlyList<string>? ReadonlyPaths { get; init; }
}

/// <summary>A user-namespace id range: container ids [ContainerId, ContainerId+Size) map to host ids from HostId.</summary>
public sealed record OciIdMapping(
    [property: JsonPropertyName("containerID")] uint ContainerId,
    [property: JsonPropertyName("hostID")] uint HostId,
    uint Size);

/// <summary>A namespace to create (no path) or join (path).</summary>
public sealed record OciNamespace(string Type, string? Path = null);

/// <summary>A device node the runtime creates in the container.</summary>
public sealed record OciDevice
{
    public required string Path { get; init; }
    public required string Type { get; init; }
    public long Major { get; init; }
    public long Minor { get; init; }
    public uint? FileMode { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
}

/// <summary>Cgroup settings.</summary>
public sealed record OciResources
{
    public IReadOnlyList<OciDeviceRule>? Devices { get; init; }
    public OciMemory? Memory { get; init; }
    public OciCpu? Cpu { get; init; }
    public OciPids? Pids { get; init; }
    [JsonPropertyName("blockIO")] public OciBlockIo? BlockIo { get; init; }

    /// <summary>True when any cgroup limit is set (device rules alone do not count).</summary>
    [JsonIgnore]
    public bool HasLimits =>
        Memory is { } m && (m.Limit is not null || m.Reservation is not null || m.Swap is not null)
        || Cpu is { } c && (c.Shares is not null || c.Quota is not null || c.Period is not null || c.Cpus is not null || c.Mems is not null)
        || Pids?.Limit is not null
        || BlockIo is not null;

    public string ToJson() => JsonSerializer.Serialize(this, RuntimeSpecJsonContext.Default.OciResources);
}

/// <summary>A devices-cgroup allow/deny rule.</summary>
public sealed record OciDeviceRule(bool Allow, string? Type = null, long? Major = null, long? Minor = null, string? Access = null);

/// <summary>Memory cgroup limits in bytes.</summary>
public sealed record OciMemory
{
    public long? Limit { get; init; }
    public long? Reservation { get; init; }
    public long? Swap { get; init; }
    /// <summary>Keeps the kernel's OOM killer away from the cgroup at its limit (cgroup v1's memory.oom_control).</summary>
    [JsonPropertyName("disableOOMKiller")] public bool? DisableOomKiller { get; init; }
}

/// <summary>CPU cgroup settings (CFS quota and period in microseconds).</summary>
public sealed record OciCpu
{
    public ulong? Shares { get; init; }
    public long? Quota { get; init; }
    public ulong? Period { get; init; }
    public string? Cpus { get; init; }
    public string? Mems { get; init; }
}

/// <summary>Pids cgroup limit.</summary>
public sealed record OciPids(long Limit);

/// <summary>Block I/O cgroup settings: a relative weight (10-1000), per device too, and per-device limits.</summary>
public sealed record OciBlockIo
{
    public ushort? Weight { get; init; }
    public IReadOnlyList<OciWeightDevice>? WeightDevice { get; init; }
    public IReadOnlyList<OciThrottleDevice>? ThrottleReadBpsDevice { get; init; }
    public IReadOnlyList<OciThrottleDevice>? ThrottleWriteBpsDevice { get; init; }
    [JsonPropertyName("throttleReadIOPSDevice")] public IReadOnlyList<OciThrottleDevice>? ThrottleReadIopsDevice { get; init; }
    [JsonPropertyName("throttleWriteIOPSDevice")] public IReadOnlyList<OciThrottleDevice>? ThrottleWriteIopsDevice { get; init; }
}

/// <summary>The block I/O weight of one device, by its numbers.</summary>
public sealed record OciWeightDevice(long Major, long Minor, ushort Weight);

/// <summary>A limit in bytes or operations per second on one device, by its numbers.</summary>
public sealed record OciThrottleDevice(long Major, long Minor, ulong Rate);

/// <summary>A seccomp filter, already resolved for one container's capabilities and architecture.</summary>
public sealed record OciSeccomp
{
    public required string DefaultAction { get; init; }
    public uint? DefaultErrnoRet { get; init; }
    public IReadOnlyList<string>? Architectures { get; init; }
    public IReadOnlyList<OciSyscallRule>? Syscalls { get; init; }
}

/// <summary>An action for a set of syscalls, optionally only when the arguments match.</summary>
public sealed record OciSyscallRule
{
    public required IReadOnlyList<string> Names { get; init; }
    public required string Action { get; init; }
    public uint? ErrnoRet { get; init; }
    public IReadOnlyList<OciSyscallArg>? Args { get; init; }
}

/// <summary>A seccomp argument comparison (<c>SCMP_CMP_*</c>).</summary>
public sealed record OciSyscallArg(uint Index, ulong Value, ulong ValueTwo, string Op);

/// <summary>What <c>runc state</c> prints.</summary>
public sealed record OciState
{
    public string? OciVersion { get; init; }
    public required string Id { get; init; }
    /// <summary><c>creating</c>, <c>created</c>, <c>running</c>, <c>paused</c> or <c>stopped</c>.</summary>
    public required string Status { get; init; }
    public int Pid { get; init; }
    public string? Bundle { get; init; }
    public string? Rootfs { get; init; }
    public string? Created { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(RuntimeSpec))]
[JsonSerializable(typeof(OciProcess))]
[JsonSerializable(typeof(OciResources))]
[JsonSerializable(typeof(OciState))]
[JsonSerializable(typeof(List<int>))]
internal sealed partial class RuntimeSpecJsonContext : JsonSerializerContext;
