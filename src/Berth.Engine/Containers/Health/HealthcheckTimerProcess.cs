using System.Diagnostics;
using System.Globalization;
using Berth.Engine.IO;
using Berth.Engine.Runtime;

namespace Berth.Engine.Containers.Health;

/// <summary>
/// The healthcheck timer as one detached shell per container (<c>setsid sh -c LOOP</c>): it sleeps, runs the tick (a
/// short-lived `berth` that probes once, records the result and prints the next delay) and sleeps again, so between
/// probes only a shell and a sleep stay resident (about 1 MB each) rather than a .NET process. Its pid file,
/// <c>healthcheck.pid</c> in the container's directory, names the shell, which leads its own process group: stopping
/// signals the whole group (the shell, its sleep and a probe in flight).
/// </summary>
public sealed class HealthcheckTimerProcess : IHealthcheckTimer
{
    /// <summary>The shell's $0: marks the process as a Berth healthcheck timer in /proc/PID/cmdline.</summary>
    public const string ProcessName = "berth-healthcheck";

    // $1 container ID (for ps and the ownership check), $2 pid file, $3 first delay, $4 fallback delay, then the tick.
    const string Loop =
        "d=$3; i=$4; f=0; shift 4; " +
        "while sleep \"$d\"; do d=$(\"$@\"); s=$?; " +
        "if [ $s -eq 0 ] && [ -n \"$d\" ]; then f=0; else [ $s -eq 3 ] && exit 0; f=$((f+1)); [ $f -ge 3 ] && exit 1; d=$i; fi; done";

    static string PidFile(string containerDirectory) => Path.Combine(containerDirectory, "healthcheck.pid");

    public async Task StartAsync(string containerId, string containerDirectory, TimeSpan firstDelay, TimeSpan fallbackDelay, IReadOnlyList<string> tick,
        CancellationToken cancellationToken = default)
    {
        await StopAsync(containerId, containerDirectory).ConfigureAwait(false);
        string pidFile = PidFile(containerDirectory);
        // sh redirects stdio (nothing may hold the caller's pipes open) and execs setsid: a session and process group of its own,
        // so a Ctrl-C at the terminal of `berth run -d` does not reach it, and stopping can signal the group.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add((File.Exists("/usr/bin/setsid") ? "exec /usr/bin/setsid " : "exec ") + "/bin/sh -c \"$BERTH_HEALTH_LOOP\" \"$@\" </dev/null >>\"$BERTH_HEALTH_LOG\" 2>&1");
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add(ProcessName);
        info.ArgumentList.Add(containerId);
        info.ArgumentList.Add(pidFile);
        info.ArgumentList.Add(Seconds(firstDelay));
        info.ArgumentList.Add(Seconds(fallbackDelay));
        foreach (var a in tick) info.ArgumentList.Add(a);
        info.Environment["BERTH_HEALTH_LOOP"] = Loop;
        info.Environment["BERTH_HEALTH_LOG"] = Path.Combine(containerDirectory, "healthcheck.log");
        using var process = Process.Start(info) ?? throw new BerthException("cannot start the healthcheck timer");
        // sh execs setsid, which execs the loop's shell: one pid throughout (setsid forks only in a group leader, and a
        // child of ours is not one), so the pid file is written now; every stage's command line carries the marker.
        string temp = pidFile + ".tmp";
        await File.WriteAllTextAsync(temp, process.Id.ToString(CultureInfo.InvariantCulture) + "\n", cancellationToken).ConfigureAwait(false);
        File.Move(temp, pidFile, overwrite: true);
    }

    public async Task<bool> StopAsync(string containerId, string containerDirectory)
    {
        string pidFile = PidFile(containerDirectory);
        if (RunningPid(containerId, containerDirectory) is not { } pid)
        {
            TryDelete(pidFile);
            return false;
        }
        // The pid too, not only its group: right after the start it may not have called setsid yet.
        NativeProcess.SignalGroup(pid, SIGTERM);
        NativeProcess.Signal(pid, SIGTERM);
        var waited = Stopwatch.StartNew();
        while (NativeProcess.IsRunning(pid) && waited.Elapsed < TimeSpan.FromSeconds(2)) await Task.Delay(5).ConfigureAwait(false);
        NativeProcess.SignalGroup(pid, SIGKILL);
        NativeProcess.Signal(pid, SIGKILL);
        TryDelete(pidFile);
        return true;
    }

    public int? RunningPid(string containerId, string containerDirectory)
    {
        if (OptionalFile.ReadAllText(PidFile(containerDirectory))?.Trim() is not { } text) return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0) return null;
        try
        {
            string cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains($"\0{ProcessName}\0{containerId}\0", StringComparison.Ordinal) && NativeProcess.IsRunning(pid) ? pid : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException) { return null; }
    }

    static string Seconds(TimeSpan span) => Math.Max(0, span.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);

    static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
    }

    const int SIGKILL = 9, SIGTERM = 15;
}
