namespace Berth.Engine.Containers.Stats;

/// <summary>docker/cli's formulas (stats_helpers.go) for the columns of <c>docker stats</c>.</summary>
public static class StatsCalculator
{
    /// <summary>
    /// CPU %: (container CPU delta / host CPU delta) × online CPUs × 100, and 0 unless both deltas are positive
    /// (calculateCPUPercentUnix).
    /// </summary>
    public static double CpuPercent(ContainerStatsSample previous, ContainerStatsSample current) =>
        CpuPercent(previous.CpuTotalUsageNs, previous.SystemCpuUsageNs, current.CpuTotalUsageNs, current.SystemCpuUsageNs, current.OnlineCpus);

    public static double CpuPercent(ulong previousCpu, ulong previousSystem, ulong cpu, ulong system, uint onlineCpus)
    {
        double cpuDelta = (double)cpu - previousCpu;
        double systemDelta = (double)system - previousSystem;
        if (systemDelta > 0.0 && cpuDelta > 0.0) return cpuDelta / systemDelta * onlineCpus * 100.0;
        return 0.0;
    }

    /// <summary>The CPU % column text: two decimals and a percent sign ("0.00%").</summary>
    public static string FormatPercent(double percent) => percent.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
