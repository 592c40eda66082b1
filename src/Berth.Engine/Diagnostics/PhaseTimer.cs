using System.Diagnostics;
using System.Globalization;

namespace Berth.Engine.Diagnostics;

/// <summary>
/// With BERTH_TRACE_TIMING=1, writes "berth[pid] +MS phase" lines to stderr (milliseconds since the process started), to see
/// where a command spends its time. The process start time the kernel gives has 10 ms steps; with BERTH_TRACE_EPOCH=1 the
/// lines carry milliseconds since the Unix epoch instead, for a caller that noted when it started the process
/// (bench/phases.py). Costs one environment read when off.
/// </summary>
public static class PhaseTimer
{
    static readonly bool Enabled = Environment.GetEnvironmentVariable("BERTH_TRACE_TIMING") == "1";
    static readonly DateTime Origin = !Enabled ? default
        : Environment.GetEnvironmentVariable("BERTH_TRACE_EPOCH") == "1" ? DateTime.UnixEpoch
        : Process.GetCurrentProcess().StartTime.ToUniversalTime();

    /// <summary>Records that <paramref name="phase"/> has been reached.</summary>
    public static void Mark(string phase)
    {
        if (!Enabled) return;
        double ms = (DateTime.UtcNow - Origin).TotalMilliseconds;
        long allocated = GC.GetTotalAllocatedBytes() / 1024;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"berth[{Environment.ProcessId}] +{ms,7:0.0} ms {phase} [{allocated} KiB, gc {GC.CollectionCount(0)}]"));
    }
}
