using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Berth.Engine.IO;
using Berth.Engine.Processes;
using Berth.Engine.Runtime;

namespace Berth.Engine.Containers.Ports;

/// <summary>
/// The port proxy of one container as its own detached <c>berth internal port-proxy</c> process, so published
/// ports keep answering after the <c>berth run -d</c> that started them has exited. A pid file says it runs.
/// </summary>
public static class PortProxyProcess
{
    /// <summary>How long <see cref="StartAsync"/> waits for the proxy to bind before giving up.</summary>
    public static TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The hidden CLI verb that runs <see cref="ServeAsync"/>.</summary>
    public static readonly string[] CommandWords = ["internal", "port-proxy"];

    /// <summary>
    /// Starts the proxy process and returns its pid once every port is bound (its pid file written).
    /// </summary>
    /// <param name="networkNamespacePath">The container's namespace, e.g. /proc/PID/ns/net.</param>
    /// <param name="logFile">Where the proxy's stdout and stderr go (appended).</param>
    /// <param name="exitWithPid">The proxy exits by itself once this process (the container's init) is gone.</param>
    /// <exception cref="BerthException">The proxy could not bind a port or join the namespace (its own message).</exception>
    public static async Task<int> StartAsync(string networkNamespacePath, IReadOnlyList<PortBinding> bindings, string pidFile, string logFile,
        int? exitWithPid = null, CancellationToken cancellationToken = default)
    {
        var args = new List<string>(CommandWords) { "--netns", networkNamespacePath, "--pid-file", pidFile };
        foreach (var b in bindings) { args.Add("--publish"); args.Add(b.ToString()); }
        if (exitWithPid is { } pid) { args.Add("--exit-with"); args.Add(pid.ToString(CultureInfo.InvariantCulture)); }
        var berth = BerthExecutable.Current;
        try { File.Delete(pidFile); } catch (DirectoryNotFoundException) { }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(pidFile))!);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);

        // sh redirects stdio to the log and execs (same pid) setsid, which leaves our session and process group so a
        // Ctrl-C at the terminal that ran `berth run -d` does not reach the proxy.
        string setsid = File.Exists("/usr/bin/setsid") ? "exec /usr/bin/setsid " : "exec ";
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(setsid + "\"$0\" \"$@\" </dev/null >>\"$BERTH_PROXY_LOG\" 2>&1");
        info.ArgumentList.Add(berth.FileName);
        foreach (var a in berth.Arguments(args)) info.ArgumentList.Add(a);
        info.Environment["BERTH_PROXY_LOG"] = logFile;
        using var process = Process.Start(info) ?? throw new BerthException("cannot start the port proxy");

        var waited = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (RunningPid(pidFile) is { } running) return running;
            if (waited.Elapsed > StartTimeout)
            {
                try { process.Kill(); } catch (InvalidOperationException) { }
                throw new BerthException($"the port proxy did not bind its ports within {StartTimeout.TotalSeconds:0} s (log: {logFile})");
            }
            if (process.HasExited)
            {
                string log = File.Exists(logFile) ? File.ReadAllText(logFile).Trim() : "";
                string last = log.Split('\n').LastOrDefault(l => l.Length > 0)?.Trim() ?? $"exit code {process.ExitCode}";
                if (last.StartsWith("Error: ", StringComparison.Ordinal)) last = last["Error: ".Length..];
                throw new BerthException(last);
            }
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The pid in the pid file if that process is alive and is a port proxy; else null.</summary>
    public static int? RunningPid(string pidFile)
    {
        if (OptionalFile.ReadAllText(pidFile)?.Trim() is not { } text) return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0) return null;
        try
        {
            string cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains("\0port-proxy\0", StringComparison.Ordinal) && NativeProcess.IsRunning(pid) ? pid : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException) { return null; }
    }

    /// <summary>Stops the proxy named by the pid file (SIGTERM, then SIGKILL after <paramref name="timeout"/>) and removes the file.</summary>
    /// <returns>Whether a proxy was running.</returns>
    public static async Task<bool> StopAsync(string pidFile, TimeSpan? timeout = null)
    {
        var pid = RunningPid(pidFile);
        if (pid is { } p)
        {
            Kill(p, SIGTERM);
            var deadline = Stopwatch.StartNew();
            while (NativeProcess.IsRunning(p) && deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(5))) await Task.Delay(10).ConfigureAwait(false);
            if (NativeProcess.IsRunning(p)) Kill(p, SIGKILL);
        }
        try { File.Delete(pidFile); } catch (DirectoryNotFoundException) { }
        return pid is not null;
    }

    /// <summary>
    /// The proxy process's main loop (run by the hidden CLI verb): binds, writes the pid file, serves until SIGTERM,
    /// SIGINT or the death of <paramref name="exitWithPid"/>, then removes the pid file.
    /// </summary>
    public static async Task<int> ServeAsync(string networkNamespacePath, IReadOnlyList<PortBinding> bindings, string pidFile, int? exitWithPid,
        CancellationToken cancellationToken = default)
    {
        await using var proxy = new PortProxy(networkNamespacePath, bindings);
        proxy.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        string me = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        string temp = pidFile + ".tmp" + me;
        await File.WriteAllTextAsync(temp, me + "\n", CancellationToken.None).ConfigureAwait(false);
        File.Move(temp, pidFile, overwrite: true);
        try
        {
            var serve = proxy.RunAsync(stop.Token);
            if (exitWithPid is { } watched)
            {
                while (!serve.IsCompleted && NativeProcess.IsRunning(watched))
                    await Task.WhenAny(serve, Task.Delay(500, CancellationToken.None)).ConfigureAwait(false);
                stop.Cancel();
            }
            await serve.ConfigureAwait(false);
        }
        finally
        {
            try { if (File.ReadAllText(pidFile).Trim() == me) File.Delete(pidFile); }
            catch (IOException) { }
        }
        return 0;
    }

    private const int SIGKILL = 9;
    private const int SIGTERM = 15;

    private static void Kill(int pid, int signal) => NativeProcess.Signal(pid, signal);
}
