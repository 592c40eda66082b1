namespace Berth.Engine.Containers.Stats;

/// <summary>
/// One reading of a container's resource figures, the fields <c>docker stats</c> computes its columns from
/// (Docker's StatsJSON, reduced). Two samples give the CPU %; see <see cref="StatsCalculator"/>.
/// </summary>
/// <param name="CpuTotalUsageNs">CPU time the container's cgroup used, in nanoseconds (cpuacct.usage / cpu.stat usage_usec).</param>
/// <param name="SystemCpuUsageNs">CPU time of the whole host (/proc/stat "cpu" line), in nanoseconds.</param>
/// <param name="OnlineCpus">CPUs online on the host.</param>
/// <param name="MemoryUsage">The cgroup's raw memory usage (memory.usage_in_bytes / memory.current).</param>
/// <param name="MemoryInactiveFile">Inactive file cache (total_inactive_file on v1, inactive_file on v2), left out of the shown usage.</param>
/// <param name="MemoryLimit">The memory limit, or the host's total memory when unlimited (as Docker reports it).</param>
/// <param name="NetworkRxBytes">Bytes received on the container's interfaces, loopback excluded.</param>
public sealed record ContainerStatsSample(
    DateTimeOffset Read,
    ulong CpuTotalUsageNs,
    ulong SystemCpuUsageNs,
    uint OnlineCpus,
    ulong MemoryUsage,
    ulong MemoryInactiveFile,
    ulong MemoryLimit,
    ulong BlockReadBytes,
    ulong BlockWriteBytes,
    ulong PidsCurrent,
    ulong NetworkRxBytes,
    ulong NetworkTxBytes)
{
    /// <summary>Memory as <c>docker stats</c> shows it: usage minus inactive file cache (when that is smaller).</summary>
    public ulong MemoryUsed => MemoryInactiveFile < MemoryUsage ? MemoryUsage - MemoryInactiveFile : MemoryUsage;

    /// <summary>MEM %: used / limit × 100 (0 without a limit reading).</summary>
    public double MemoryPercent => MemoryLimit == 0 ? 0 : (double)MemoryUsed / MemoryLimit * 100.0;

    /// <summary>Per-interface byte counters (loopback included) as read, for inspect-style output.</summary>
    public IReadOnlyDictionary<string, (ulong RxBytes, ulong TxBytes)> Networks { get; init; } =
        new Dictionary<string, (ulong, ulong)>();
}
