using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// Parsers for the `run`/`create` flags that become Docker's HostConfig fields for names, limits and namespaces
/// (--add-host, --dns*, --ulimit, --sysctl, --shm-size, --cpuset-*, --pid/--ipc/--uts, --device*), with the docker CLI's and
/// daemon's rules and error wording.
/// </summary>
public static partial class HostFlagParsers
{
    /// <summary>
    /// `--add-host name:address` or `name=address` (docker/cli ValidateExtraHost): the name may not hold a colon, an
    /// address in brackets is taken out of them, and the result is Docker's "name:address". "host-gateway" is kept as it
    /// is for <see cref="HostGatewayAddress"/> to resolve at create.
    /// </summary>
    public static string ExtraHost(string value)
    {
        int cut = value.IndexOf('=');
        if (cut < 0) cut = value.IndexOf(':');
        string name = cut < 0 ? "" : value[..cut];
        if (cut < 0 || name.Length == 0 || name.Contains(':'))
            throw new InvalidInputException($"invalid argument \"{value}\" for \"--add-host\" flag: bad format for add-host: \"{value}\"");
        string address = value[(cut + 1)..];
        if (address != HostGateway)
        {
            if (address.Length > 2 && address[0] == '[' && address[^1] == ']') address = address[1..^1];
            if (!IPAddress.TryParse(address.Trim(), out _) || address.Contains('%'))
                throw new InvalidInputException($"invalid argument \"{value}\" for \"--add-host\" flag: invalid IP address in add-host: \"{address}\"");
        }
        return name + ":" + address;
    }

    /// <summary>The special --add-host address that stands for the host.</summary>
    public const string HostGateway = "host-gateway";

    /// <summary>
    /// What "host-gateway" means for a container on <paramref name="networkMode"/>: the host's loopback address in the host's
    /// network; a container of its own loopback-only namespace has no route to the host (Berth makes no bridge).
    /// </summary>
    public static string HostGatewayAddress(string networkMode) => networkMode == "host" ? "127.0.0.1"
        : throw new InvalidInputException($"--add-host {HostGateway}: a container on network \"{networkMode}\" has no route to the host (Berth makes no bridge network); use --network host");

    /// <summary>`--dns ADDRESS`: an IP address (docker/cli ValidateIPAddress).</summary>
    public static string DnsServer(string value)
    {
        string trimmed = value.Trim();
        if (!IPAddress.TryParse(trimmed, out _) || trimmed.Contains('%'))
            throw new InvalidInputException($"invalid argument \"{value}\" for \"--dns\" flag: IP address is not correctly formatted: {value}");
        return trimmed;
    }

    /// <summary>`--dns-search DOMAIN`: "." (no search domains) or a domain name (docker/cli ValidateDNSSearch).</summary>
    public static string DnsSearch(string value)
    {
        string domain = value.TrimEnd('.');
        if (value == ".") return value;
        if (domain.Length == 0 || domain.Length > 255 || domain.StartsWith('-') || domain.EndsWith('-')
            || domain.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.')))
            throw new InvalidInputException($"invalid argument \"{value}\" for \"--dns-search\" flag: {value} is not a valid domain");
        return domain;
    }

    /// <summary>The resource names --ulimit takes (docker/go-units), each an RLIMIT_ of the same name in upper case.</summary>
    static readonly HashSet<string> UlimitNames = new(StringComparer.Ordinal)
    {
        "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio",
        "rttime", "sigpending", "stack",
    };

    /// <summary>`--ulimit name=soft[:hard]` (docker/go-units ParseUlimit); a missing hard limit is the soft one, -1 is unlimited.</summary>
    public static ContainerUlimit Ulimit(string value)
    {
        string Fail(string why) => throw new InvalidInputException($"invalid argument \"{value}\" for \"--ulimit\" flag: {why}");
        int eq = value.IndexOf('=');
        if (eq < 0) Fail($"invalid ulimit argument: {value}");
        string name = value[..eq];
        if (!UlimitNames.Contains(name)) Fail($"invalid ulimit type: {name}");
        var limits = value[(eq + 1)..].Split(':');
        if (limits.Length > 2) Fail($"too many limit value arguments - {value[(eq + 1)..]}, can only have up to two, `soft[:hard]`");
        long Number(string text) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n
            : throw new InvalidInputException($"invalid argument \"{value}\" for \"--ulimit\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax");
        long soft = Number(limits[0]);
        long hard = limits.Length == 2 ? Number(limits[1]) : soft;
        if (hard != -1 && (soft > hard || soft == -1)) Fail($"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}");
        return new ContainerUlimit(name, soft, hard);
    }

    /// <summary>The kernel's IPC sysctls a container may set (they are namespaced); every net.* and fs.mqueue.* one is too.</summary>
    static readonly HashSet<string> IpcSysctls = new(StringComparer.Ordinal)
    {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
        "kernel.shm_rmid_forced",
    };

    /// <summary>
    /// `--sysctl name=value` (docker/cli ValidateSysctl): only namespaced sysctls, and only those of a namespace the
    /// container has of its own (net.* not with --network host or container:NAME, the IPC ones not with --ipc host or container:NAME).
    /// </summary>
    public static (string Name, string Value) Sysctl(string value, string networkMode, string ipcMode)
    {
        int eq = value.IndexOf('=');
        string name = eq < 0 ? value : value[..eq];
        bool ipc = IpcSysctls.Contains(name) || name.StartsWith("fs.mqueue.", StringComparison.Ordinal);
        bool net = name.StartsWith("net.", StringComparison.Ordinal);
        if (eq < 0 || !(ipc || net))
            throw new InvalidInputException($"invalid argument \"{value}\" for \"--sysctl\" flag: sysctl '{value}' is not allowed");
        if (net && networkMode == "host") throw new InvalidInputException($"sysctl '{name}' is not allowed in host network mode");
        if (net && ContainerService.JoinedId(networkMode) is not null)
            throw new InvalidInputException($"sysctl '{name}' is not allowed in container network mode");
        if (ipc && ipcMode == "host") throw new InvalidInputException($"sysctl '{name}' is not allowed in host IPC mode");
        if (ipc && ContainerService.JoinedId(ipcMode) is not null)
            throw new InvalidInputException($"sysctl '{name}' is not allowed in container IPC mode");
        return (name, value[(eq + 1)..]);
    }

    /// <summary>`--shm-size`: a size as for --memory; 0 (or unset) is Docker's 64 MiB.</summary>
    public static long ShmSize(string value)
    {
        long bytes = RunFlagParsers.SizeInBytes(value, "--shm-size");
        return bytes == 0 ? HostSettings.DefaultShmSize : bytes;
    }

    /// <summary>`--cpuset-cpus`: <see cref="Cpuset"/> against the kernel's online CPUs.</summary>
    public static string CpusetCpus(string value) => Cpuset(value, "cpus", OnlineList("/sys/devices/system/cpu/online"));

    /// <summary>`--cpuset-mems`: <see cref="Cpuset"/> against the kernel's online memory nodes.</summary>
    public static string CpusetMems(string value) => Cpuset(value, "mems", OnlineList("/sys/devices/system/node/online"));

    /// <summary>The kernel's list of online CPUs or memory nodes ("0-1"); "0" where the file is missing (no NUMA).</summary>
    static string OnlineList(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "0";

    /// <summary>
    /// `--cpuset-cpus 0-2,4` / `--cpuset-mems 0`: a list of numbers and ranges, each of them available on this host
    /// (<paramref name="available"/>, the kernel's list of online CPUs or memory nodes).
    /// </summary>
    public static string Cpuset(string value, string what, string available)
    {
        var requested = NumberList(value)
            ?? throw new InvalidInputException($"Invalid value {value} for cpuset {what}: invalid format: {value}");
        var online = NumberList(available) ?? [];
        if (!requested.IsSubsetOf(online))
        {
            string name = what == "cpus" ? "CPUs" : "memory nodes";
            throw new InvalidInputException($"Requested {name} are not available - requested {value}, available: {available}");
        }
        return value;
    }

    /// <summary>"0-3,5" as its numbers; null when it is not such a list (docker's parsers.ParseUintList).</summary>
    static HashSet<int>? NumberList(string list)
    {
        var numbers = new HashSet<int>();
        foreach (string part in list.Trim().Split(','))
        {
            int dash = part.IndexOf('-');
            if (dash < 0)
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return null;
                numbers.Add(n);
                continue;
            }
            if (!int.TryParse(part[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out int from)
                || !int.TryParse(part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int to) || to < from)
                return null;
            for (int i = from; i <= to; i++) numbers.Add(i);
        }
        return numbers;
    }

    /// <summary>
    /// `--device HOST[:CONTAINER][:PERMISSIONS]` (docker/cli parseDevice and ValidateDevice): a second field made only of
    /// r, w and m is the permissions; the container path defaults to the host's; permissions default to rwm.
    /// </summary>
    public static ContainerDevice Device(string value)
    {
        var parts = value.Split(':');
        string host, container = "", permissions = "rwm";
        switch (parts.Length)
        {
            case 1: host = parts[0]; break;
            case 2 when IsDeviceMode(parts[1]): host = parts[0]; permissions = parts[1]; break;
            case 2: host = parts[0]; container = parts[1]; break;
            case 3: host = parts[0]; container = parts[1]; permissions = parts[2]; break;
            default: throw new InvalidInputException($"invalid argument \"{value}\" for \"--device\" flag: invalid device specification: {value}");
        }
        if (container.Length == 0) container = host;
        if (!container.StartsWith('/')) throw new InvalidInputException($"invalid argument \"{value}\" for \"--device\" flag: bad format for path: {container}");
        if (!IsDeviceMode(permissions)) throw new InvalidInputException($"invalid argument \"{value}\" for \"--device\" flag: bad mode specified: {permissions}");
        return new ContainerDevice(host, container, permissions);
    }

    /// <summary>
    /// `--device-cgroup-rule "TYPE MAJOR:MINOR ACCESS"` (docker/cli ValidateDeviceCgroupRule): TYPE a, b or c, MAJOR and
    /// MINOR numbers or *, ACCESS of r, w and m; as the devices-cgroup rule it allows.
    /// </summary>
    public static OciDeviceRule DeviceCgroupRule(string value)
    {
        var m = DeviceCgroupRuleSyntax().Match(value);
        if (!m.Success) throw new InvalidInputException($"invalid device cgroup format '{value}'");
        static long? Number(string s) => s == "*" ? null : long.Parse(s, CultureInfo.InvariantCulture);
        return new OciDeviceRule(true, m.Groups[1].Value, Number(m.Groups[2].Value), Number(m.Groups[3].Value), m.Groups[4].Value);
    }

    [GeneratedRegex(@"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")]
    private static partial Regex DeviceCgroupRuleSyntax();

    /// <summary>
    /// `--blkio-weight-device /dev/sda:300` (docker/cli ValidateWeightDevice): a path under /dev/ and a weight of 10 to
    /// 1000, or 0.
    /// </summary>
    public static BlkioWeightDevice WeightDevice(string value)
    {
        string path = DevicePathOf(value, "--blkio-weight-device");
        if (!ushort.TryParse(value.AsSpan(path.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ushort weight) || weight is > 0 and (< 10 or > 1000))
            throw BadFlag(value, "--blkio-weight-device", $"invalid weight for device: {value}");
        return new BlkioWeightDevice(path, weight);
    }

    /// <summary>
    /// `--device-read-bps /dev/sda:1mb`, `--device-write-bps` (docker/cli ValidateThrottleBpsDevice): a path under /dev/
    /// and a rate in bytes per second, with go-units' binary suffixes.
    /// </summary>
    public static BlkioThrottleDevice ThrottleBpsDevice(string value, string flag)
    {
        string path = DevicePathOf(value, flag);
        if (!Units.RamSize.TryParse(value[(path.Length + 1)..], out long rate) || rate < 0)
            throw BadFlag(value, flag, $"invalid rate for device: {value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb");
        return new BlkioThrottleDevice(path, (ulong)rate);
    }

    /// <summary>`--device-read-iops /dev/sda:1000`, `--device-write-iops` (docker/cli ValidateThrottleIOpsDevice): a path under /dev/ and a number.</summary>
    public static BlkioThrottleDevice ThrottleIopsDevice(string value, string flag)
    {
        string path = DevicePathOf(value, flag);
        if (!ulong.TryParse(value.AsSpan(path.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong rate))
            throw BadFlag(value, flag, $"invalid rate for device: {value}. The correct format is <device-path>:<number>. Number must be a positive integer");
        return new BlkioThrottleDevice(path, rate);
    }

    /// <summary>The path before the first colon of a block I/O flag's value, which must be under /dev/.</summary>
    static string DevicePathOf(string value, string flag)
    {
        int colon = value.IndexOf(':');
        if (colon <= 0) throw BadFlag(value, flag, $"bad format: {value}");
        string path = value[..colon];
        if (!path.StartsWith("/dev/", StringComparison.Ordinal)) throw BadFlag(value, flag, $"bad format for device path: {value}");
        return path;
    }

    /// <summary>The docker CLI's wording for a flag value its parser refused.</summary>
    static InvalidInputException BadFlag(string value, string flag, string why) => new($"invalid argument \"{value}\" for \"{flag}\" flag: {why}");

    static bool IsDeviceMode(string mode) => mode.Length is > 0 and <= 3 && mode.All(c => c is 'r' or 'w' or 'm') && mode.Distinct().Count() == mode.Length;

    /// <summary>`--pid`: "", "host" or "container:NAME" (another container's PID namespace; the name is resolved by create).</summary>
    public static string PidMode(string? value) => value switch
    {
        null or "" => "",
        "host" => "host",
        _ when ContainerService.JoinedId(value) is not null => value,
        _ => throw new InvalidInputException($"--pid: invalid PID mode"),
    };

    /// <summary>
    /// `--ipc`: "private" (the default), "shareable", "none", "host" or "container:NAME" (a shareable container's IPC
    /// namespace and /dev/shm; the name is resolved by create).
    /// </summary>
    public static string IpcMode(string? value) => value switch
    {
        null or "" => "private",
        "private" or "shareable" or "none" or "host" => value,
        _ when ContainerService.JoinedId(value) is { Length: > 0 } => value,
        _ => throw new InvalidInputException($"invalid IPC mode: {value}"),
    };

    /// <summary>`--uts`: "" or "host".</summary>
    public static string UtsMode(string? value) => value switch
    {
        null or "" => "",
        "host" => "host",
        _ => throw new InvalidInputException("--uts: invalid UTS mode"),
    };
}
