using System.Globalization;
using Berth.Engine.Runtime;

namespace Berth.Engine.Containers.Stats;

/// <summary>
/// Reads a container's figures from its cgroup (v1 controllers, including the hybrid layout, or v2) and its
/// network counters from /proc/PID/net/dev, the way Docker's daemon fills StatsJSON.
/// </summary>
/// <param name="mode">The host's cgroup layout (<see cref="CgroupLayout.Mode"/>).</param>
/// <param name="cgroupRoot">Where cgroup file systems are mounted (tests point this at a fake tree).</param>
/// <param name="procRoot">Where procfs is mounted.</param>
public sealed class CgroupStatsReader(CgroupMode mode, string cgroupRoot = "/sys/fs/cgroup", string procRoot = "/proc")
{
    /// <summary>A reader for this machine.</summary>
    public static CgroupStatsReader Host { get; } = new(CgroupLayout.Mode);

    /// <summary>
    /// One sample. <paramref name="cgroupsPath"/> is the runtime spec's cgroupsPath (e.g. <c>/berth/ID</c>);
    /// <paramref name="pid"/> is the container's init (for its network namespace), or null when not running.
    /// </summary>
    public ContainerStatsSample Read(string cgroupsPath, int? pid)
    {
        string rel = cgroupsPath.TrimStart('/');
        ulong cpu, memUsage, inactive, limit, read, write, pids;
        if (mode == CgroupMode.Unified)
        {
            string dir = Path.Combine(cgroupRoot, rel);
            cpu = KeyValue(Path.Combine(dir, "cpu.stat"), "usage_usec") * 1000;
            memUsage = Number(Path.Combine(dir, "memory.current"));
            inactive = KeyValue(Path.Combine(dir, "memory.stat"), "inactive_file");
            limit = Number(Path.Combine(dir, "memory.max"));
            (read, write) = IoStatV2(Path.Combine(dir, "io.stat"));
            pids = Number(Path.Combine(dir, "pids.current"));
        }
        else
        {
            cpu = Number(Path.Combine(cgroupRoot, "cpuacct", rel, "cpuacct.usage"));
            string memory = Path.Combine(cgroupRoot, "memory", rel);
            memUsage = Number(Path.Combine(memory, "memory.usage_in_bytes"));
            inactive = KeyValue(Path.Combine(memory, "memory.stat"), "total_inactive_file");
            limit = Number(Path.Combine(memory, "memory.limit_in_bytes"));
            string blkio = Path.Combine(cgroupRoot, "blkio", rel);
            (read, write) = BlkioV1(File.Exists(Path.Combine(blkio, "blkio.throttle.io_service_bytes_recursive"))
                ? Path.Combine(blkio, "blkio.throttle.io_service_bytes_recursive")
                : Path.Combine(blkio, "blkio.throttle.io_service_bytes"));
            pids = Number(Path.Combine(cgroupRoot, "pids", rel, "pids.current"));
        }
        ulong hostMemory = HostMemory();
        if (limit == 0 || (hostMemory > 0 && limit > hostMemory)) limit = hostMemory;

        var (systemCpu, onlineCpus) = SystemCpu();
        var networks = pid is { } p ? NetworkCounters(p) : new Dictionary<string, (ulong, ulong)>();
        ulong rx = 0, tx = 0;
        foreach (var (name, (r, t)) in networks)
            if (name != "lo") { rx += r; tx += t; }
        return new ContainerStatsSample(DateTimeOffset.UtcNow, cpu, systemCpu, onlineCpus, memUsage, inactive, limit, read, write, pids, rx, tx)
        {
            Networks = networks,
        };
    }

    /// <summary>The cgroup path of a running process as /proc/PID/cgroup names it (memory controller on v1, the unified line on v2).</summary>
    public string? CgroupsPathOf(int pid)
    {
        string text;
        try { text = File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "cgroup")); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (mode == CgroupMode.Unified ? parts[0] == "0" && parts[1] == "" : parts[1].Split(',').Contains("memory")) return parts[2];
        }
        return null;
    }

    /// <summary>Host CPU time in ns from the first line of /proc/stat (USER_HZ ticks, 100 per second on Linux), and the number of cpuN lines.</summary>
    private (ulong Nanoseconds, uint Cpus) SystemCpu()
    {
        ulong total = 0;
        uint cpus = 0;
        foreach (var line in File.ReadLines(Path.Combine(procRoot, "stat")))
        {
            if (line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // user nice system idle iowait irq softirq steal, as Docker's getSystemCPUUsage sums them.
                for (int i = 1; i < Math.Min(fields.Length, 9); i++) total += ulong.Parse(fields[i], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("cpu", StringComparison.Ordinal) && line.Length > 3 && char.IsAsciiDigit(line[3])) cpus++;
        }
        return (total * (1_000_000_000UL / 100), cpus);
    }

    private ulong HostMemory()
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(procRoot, "meminfo")))
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                    return ulong.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (FileNotFoundException) { }
        return 0;
    }

    /// <summary>/proc/PID/net/dev: "iface: rx_bytes rx_packets … (8 rx fields) tx_bytes …".</summary>
    private Dictionary<string, (ulong RxBytes, ulong TxBytes)> NetworkCounters(int pid)
    {
        var result = new Dictionary<string, (ulong, ulong)>();
        IEnumerable<string> lines;
        try { lines = File.ReadAllLines(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "net", "dev")); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return result; }
        foreach (var line in lines)
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 9 || !ulong.TryParse(fields[0], out var rx) || !ulong.TryParse(fields[8], out var tx)) continue;
            result[line[..colon].Trim()] = (rx, tx);
        }
        return result;
    }

    /// <summary>A file holding one number; "max" (v2's unlimited) and a missing file read as 0.</summary>
    private static ulong Number(string path)
    {
        try
        {
            string text = File.ReadAllText(path).Trim();
            return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return 0; }
    }

    /// <summary>The value of "key N" in a flat keyed file (memory.stat, cpu.stat); 0 when absent.</summary>
    private static ulong KeyValue(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0] == key && ulong.TryParse(parts[1], CultureInfo.InvariantCulture, out var n)) return n;
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { }
        return 0;
    }

    /// <summary>"MAJ:MIN Read N" / "MAJ:MIN Write N" lines; like docker/cli, ops starting with r/R or w/W (not Total) are summed.</summary>
    private static (ulong Read, ulong Write) BlkioV1(string path)
    {
        ulong read = 0, write = 0;
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length != 3 || !ulong.TryParse(parts[2], CultureInfo.InvariantCulture, out var n)) continue;
                if (parts[1].StartsWith('R') || parts[1].StartsWith('r')) read += n;
                else if (parts[1].StartsWith('W') || parts[1].StartsWith('w')) write += n;
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { }
        return (read, write);
    }

    /// <summary>v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N …" per device.</summary>
    private static (ulong Read, ulong Write) IoStatV2(string path)
    {
        ulong read = 0, write = 0;
        try
        {
            foreach (var line in File.ReadLines(path))
                foreach (var field in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
                {
                    int eq = field.IndexOf('=');
                    if (eq < 0 || !ulong.TryParse(field[(eq + 1)..], CultureInfo.InvariantCulture, out var n)) continue;
                    if (field[..eq] == "rbytes") read += n;
                    else if (field[..eq] == "wbytes") write += n;
                }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { }
        return (read, write);
    }
}
