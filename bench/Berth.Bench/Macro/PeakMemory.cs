using System.Diagnostics;

namespace Berth.Bench.Macro;

/// <summary>Peak resident memory of a command's process tree (plus, for Docker, its daemon's), sampled every 20 ms.</summary>
public static class PeakMemory
{
    /// <summary>Runs the command and returns the peak RSS in MiB of it and its children, plus <paramref name="alsoPid"/>'s tree above its level before the run.</summary>
    public static double WhileRunning(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, int? alsoPid)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        long daemonBefore = alsoPid is { } d ? ProcessMemory.TreeRssKilobytes(d) : 0;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        while (!process.WaitForExit(20))
        {
            long now = ProcessMemory.TreeRssKilobytes(process.Id);
            if (alsoPid is { } daemon) now += Math.Max(ProcessMemory.TreeRssKilobytes(daemon), daemonBefore);
            peak = Math.Max(peak, now);
        }
        Task.WaitAll(stdout, stderr);
        if (process.ExitCode != 0) throw new BenchmarkFailedException($"{file} exited {process.ExitCode}: {stderr.Result.Trim()}");
        return peak / 1024.0;
    }
}
