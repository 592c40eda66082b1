using System.Diagnostics;
using System.Globalization;
using System.Text;
using Berth.Engine.Runtime;

namespace Berth.Engine.Containers.Health;

/// <summary>
/// Runs one healthcheck probe in a running container through the OCI runtime's exec (as `berth exec` does, without a
/// monitor: the probe's output comes back on pipes), with moby's rules: stdout and stderr together, at most 4096 bytes
/// kept, and a probe still running after the timeout killed and reported as exit -1 "Health check exceeded timeout (…)".
/// </summary>
public static class HealthProbe
{
    /// <summary>How long the runtime may take to start the probe before that counts as a failure (moby: 30 s, apart from the timeout).</summary>
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <param name="workDirectory">Where the process spec and pid file go for the probe's duration (the container's directory).</param>
    public static async Task<HealthLogEntry> RunAsync(IOciRuntime runtime, string containerId, OciProcess process, TimeSpan timeout,
        string workDirectory, CancellationToken cancellationToken = default)
    {
        var start = DateTimeOffset.UtcNow;
        string session = Guid.NewGuid().ToString("N")[..12];
        string processFile = Path.Combine(workDirectory, $"health-{session}.json");
        string pidFile = Path.Combine(workDirectory, $"health-{session}.pid");
        await File.WriteAllTextAsync(processFile, process.ToJson(), cancellationToken).ConfigureAwait(false);
        var output = new LimitedOutput(HealthcheckPolicy.MaxOutputBytes);
        try
        {
            var info = new ProcessStartInfo(runtime.BinaryPath)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in runtime.GlobalArgs) info.ArgumentList.Add(a);
            foreach (var a in new[] { "exec", "--process", processFile, "--pid-file", pidFile, containerId }) info.ArgumentList.Add(a);
            using var runner = new Process { StartInfo = info };
            try { runner.Start(); }
            catch (System.ComponentModel.Win32Exception e) { return Failed(start, $"cannot run {runtime.BinaryPath}: {e.Message}"); }
            runner.StandardInput.Close();
            var copies = Task.WhenAll(output.CopyFromAsync(runner.StandardOutput.BaseStream), output.CopyFromAsync(runner.StandardError.BaseStream));
            var exited = runner.WaitForExitAsync(CancellationToken.None);
            try
            {
                // The time the runtime takes to start the probe does not count toward its timeout (as in moby).
                var starting = Stopwatch.StartNew();
                while (!exited.IsCompleted && !File.Exists(pidFile))
                {
                    if (starting.Elapsed > StartTimeout)
                    {
                        Kill(runner.Id);
                        return Failed(start, $"timed out starting health check for container {containerId}");
                    }
                    await Task.WhenAny(exited, Task.Delay(5, cancellationToken)).ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                bool timedOut = !exited.IsCompleted
                    && await Task.WhenAny(exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false) != exited;
                cancellationToken.ThrowIfCancellationRequested();
                if (timedOut)
                {
                    KillProbe(pidFile);
                    if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false) != exited)
                        Kill(runner.Id);
                    await Drain(copies).ConfigureAwait(false);
                    string seen = output.Text();
                    string message = $"Health check exceeded timeout ({GoDurationText(timeout)})";
                    return new HealthLogEntry(start, DateTimeOffset.UtcNow, -1, seen.Length > 0 ? message + ": " + seen : message);
                }
            }
            catch (OperationCanceledException)
            {
                KillProbe(pidFile);
                Kill(runner.Id);
                throw;
            }
            await exited.ConfigureAwait(false);
            await Drain(copies).ConfigureAwait(false);
            string text = output.Text();
            if (runner.ExitCode == 255 && !File.Exists(pidFile) && LooksLikeRuntimeError(text))
                return Failed(start, $"OCI runtime exec failed: {OciRuntime.ErrorMessage(text)}: unknown");
            return new HealthLogEntry(start, DateTimeOffset.UtcNow, runner.ExitCode, text);
        }
        finally
        {
            TryDelete(processFile);
            TryDelete(pidFile);
        }
    }

    static HealthLogEntry Failed(DateTimeOffset start, string message) => new(start, DateTimeOffset.UtcNow, -1, message);

    /// <summary>The probe's output pipes stay open while a child it left in the background holds them: wait briefly, not for that child.</summary>
    static async Task Drain(Task copies)
    {
        try { await copies.WaitAsync(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false); }
        catch (TimeoutException) { }
        catch (IOException) { }
    }

    static bool LooksLikeRuntimeError(string text) =>
        text.Contains("level=error", StringComparison.Ordinal) || text.Contains("\"level\":\"error\"", StringComparison.Ordinal)
        || text.StartsWith("crun:", StringComparison.Ordinal);

    /// <summary>SIGKILL to the probe process named by the runtime's pid file (moby kills a probe that ran too long).</summary>
    static void KillProbe(string pidFile)
    {
        try
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) Kill(pid);
        }
        catch (IOException) { }
    }

    static void Kill(int pid) => NativeProcess.Signal(pid, 9);

    static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Go's <c>time.Duration.String()</c>: "1s", "500ms", "1m30s", "1.5s", "2h0m0s".</summary>
    public static string GoDurationText(TimeSpan span)
    {
        long ns = span.Ticks * 100;
        if (ns == 0) return "0s";
        string sign = ns < 0 ? "-" : "";
        ulong u = (ulong)Math.Abs(ns);
        if (u < 1_000_000_000UL)
        {
            (ulong unit, string name) = u < 1_000UL ? (1UL, "ns") : u < 1_000_000UL ? (1_000UL, "µs") : (1_000_000UL, "ms");
            return sign + Fraction(u, unit) + name;
        }
        var sb = new StringBuilder(sign);
        ulong hours = u / 3_600_000_000_000UL, rest = u % 3_600_000_000_000UL;
        ulong minutes = rest / 60_000_000_000UL, seconds = rest % 60_000_000_000UL;
        if (hours > 0) sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (hours > 0 || minutes > 0) sb.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        sb.Append(Fraction(seconds, 1_000_000_000UL)).Append('s');
        return sb.ToString();
    }

    static string Fraction(ulong value, ulong unit)
    {
        string whole = (value / unit).ToString(CultureInfo.InvariantCulture);
        ulong frac = value % unit;
        if (frac == 0) return whole;
        int digits = unit.ToString(CultureInfo.InvariantCulture).Length - 1;
        return whole + "." + frac.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
    }

    /// <summary>Up to a limit of bytes from several streams; further data is read and dropped, and the text ends with "..." then.</summary>
    sealed class LimitedOutput(int limit)
    {
        readonly MemoryStream _kept = new();
        bool _truncated;

        public async Task CopyFromAsync(Stream stream)
        {
            var buffer = new byte[4096];
            while (true)
            {
                int n;
                try { n = await stream.ReadAsync(buffer).ConfigureAwait(false); }
                catch (IOException) { return; }
                catch (ObjectDisposedException) { return; }
                if (n == 0) return;
                lock (_kept)
                {
                    int keep = (int)Math.Min(n, Math.Max(0, limit - _kept.Length));
                    _kept.Write(buffer, 0, keep);
                    if (keep < n) _truncated = true;
                }
            }
        }

        public string Text()
        {
            lock (_kept) return Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length) + (_truncated ? "..." : "");
        }
    }
}
