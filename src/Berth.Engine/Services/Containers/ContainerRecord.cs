using Berth.Engine.Content;
using Berth.Engine.Metadata;

namespace Berth.Engine.Services.Containers;

/// <summary>A container as the service sees it: its row, reconciled with its exit file, and its parsed settings.</summary>
public sealed record ContainerRecord(string Id, string Name, Digest ImageId, DateTimeOffset Created, ContainerState State, ContainerSettings Settings)
{
    public string ShortId => Id[..12];
    public bool IsRunning => State.IsRunning;
    /// <summary>Docker's State.Health, filled in by the list (`ps`); null when not read or when the container never ran with a healthcheck.</summary>
    public Berth.Engine.Containers.Health.HealthState? Health { get; init; }
}

/// <summary>What `create`/`run` asked for, flag values already split but not yet interpreted.</summary>
public sealed record ContainerCreateRequest
{
    public required string Image { get; init; }
    /// <summary>Arguments after the image; empty means the image's CMD.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];
    public string? Name { get; init; }
    public string? Hostname { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    public IReadOnlyList<string> EnvFiles { get; init; } = [];
    public string? WorkingDir { get; init; }
    public string? User { get; init; }
    /// <summary>--entrypoint: null keeps the image's, "" clears it.</summary>
    public string? Entrypoint { get; init; }
    public IReadOnlyList<string> Volumes { get; init; } = [];
    public IReadOnlyList<string> Tmpfs { get; init; } = [];
    public bool ReadOnly { get; init; }
    public string Network { get; init; } = "default";
    public string? Memory { get; init; }
    public string? Cpus { get; init; }
    public long? PidsLimit { get; init; }
    public IReadOnlyList<string> CapAdd { get; init; } = [];
    public IReadOnlyList<string> CapDrop { get; init; } = [];
    public IReadOnlyList<string> SecurityOpt { get; init; } = [];
    public bool Privileged { get; init; }
    public bool Init { get; init; }
    public IReadOnlyList<string> Labels { get; init; } = [];
    public string? StopSignal { get; init; }
    public int? StopTimeout { get; init; }
    public string Runtime { get; init; } = "runc";
    public IReadOnlyList<string> Publish { get; init; } = [];
    public bool Tty { get; init; }
    public bool Interactive { get; init; }
    /// <summary>The container will run detached (-d): nothing attaches to its stdio.</summary>
    public bool Detach { get; init; }
    public bool AutoRemove { get; init; }
    /// <summary>
    /// The caller starts the container attached right after create (`run` without -d): its monitor is started first, before
    /// create reads the database, waiting for the bundle, so that the monitor's own start-up overlaps create and start.
    /// </summary>
    public bool StartsAttached { get; init; }
    /// <summary>The --health-* and --no-healthcheck flags.</summary>
    public HealthcheckOptions Healthcheck { get; init; } = new();
    /// <summary>--add-host values as typed (name:address or name=address).</summary>
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];
    public IReadOnlyList<string> Dns { get; init; } = [];
    public IReadOnlyList<string> DnsSearch { get; init; } = [];
    public IReadOnlyList<string> DnsOptions { get; init; } = [];
    /// <summary>--ulimit values as typed (name=soft[:hard]).</summary>
    public IReadOnlyList<string> Ulimits { get; init; } = [];
    /// <summary>--sysctl values as typed (name=value).</summary>
    public IReadOnlyList<string> Sysctls { get; init; } = [];
    public string? ShmSize { get; init; }
    public long? CpuShares { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    /// <summary>--pid, --ipc and --uts as typed.</summary>
    public string? Pid { get; init; }
    public string? Ipc { get; init; }
    public string? Uts { get; init; }
    /// <summary>--expose values as typed (port[/proto] or a range).</summary>
    public IReadOnlyList<string> Expose { get; init; } = [];
    /// <summary>-P, --publish-all.</summary>
    public bool PublishAll { get; init; }
    public string? MemorySwap { get; init; }
    public string? MemoryReservation { get; init; }
    /// <summary>--mount values as typed.</summary>
    public IReadOnlyList<string> Mounts { get; init; } = [];
    /// <summary>--device values as typed.</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];
    /// <summary>--device-cgroup-rule values as typed ("c 1:3 rwm").</summary>
    public IReadOnlyList<string> DeviceCgroupRules { get; init; } = [];
    /// <summary>--oom-kill-disable.</summary>
    public bool OomKillDisable { get; init; }
    /// <summary>--blkio-weight (10-1000, 0 for none).</summary>
    public ushort BlkioWeight { get; init; }
    /// <summary>--blkio-weight-device values as typed ("/dev/sda:300").</summary>
    public IReadOnlyList<string> BlkioWeightDevices { get; init; } = [];
    /// <summary>--device-read-bps values as typed ("/dev/sda:1mb").</summary>
    public IReadOnlyList<string> DeviceReadBps { get; init; } = [];
    /// <summary>--device-write-bps values as typed.</summary>
    public IReadOnlyList<string> DeviceWriteBps { get; init; } = [];
    /// <summary>--device-read-iops values as typed ("/dev/sda:1000").</summary>
    public IReadOnlyList<string> DeviceReadIops { get; init; } = [];
    /// <summary>--device-write-iops values as typed.</summary>
    public IReadOnlyList<string> DeviceWriteIops { get; init; } = [];
    /// <summary>--restart as typed.</summary>
    public string? Restart { get; init; }
}

/// <summary>What `exec` asked for.</summary>
public sealed record ContainerExecRequest
{
    public required IReadOnlyList<string> Command { get; init; }
    public bool Detach { get; init; }
    public bool Interactive { get; init; }
    public bool Tty { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    /// <summary>The terminal's size for a -t process (Docker's ConsoleSize).</summary>
    public TerminalSize? Size { get; init; }
    /// <summary>The exec session's id, chosen by the caller to resize its terminal (<see cref="ContainerService.ResizeExecAsync"/>); else a new one.</summary>
    public string? SessionId { get; init; }
    /// <summary>`--env-file`: read before the -e values, which win (Docker's ReadKVEnvStrings).</summary>
    public IReadOnlyList<string> EnvFiles { get; init; } = [];
    public string? User { get; init; }
    public string? WorkingDir { get; init; }
    public bool Privileged { get; init; }
}

/// <summary>A container's root file system, mounted for the holder's use; disposing unmounts it unless the container runs.</summary>
public sealed class RootfsLease(string path, Action release) : IDisposable
{
    public string Path => path;
    public void Dispose() => release();
}
