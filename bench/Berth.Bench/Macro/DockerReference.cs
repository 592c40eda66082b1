using System.Diagnostics;

namespace Berth.Bench.Macro;

/// <summary>
/// A private Docker engine for reference figures: Debian's docker.io, its own data root and socket,
/// `--bridge=none --iptables=false` so it creates no network devices. Started once per benchmark run.
/// </summary>
public sealed class DockerReference : IDisposable
{
    readonly string _directory;
    readonly Process _daemon;
    public string Socket { get; }
    public int DaemonPid => _daemon.Id;
    public bool IsAlive => !_daemon.HasExited;

    DockerReference(string directory, Process daemon, string socket)
    {
        _directory = directory;
        _daemon = daemon;
        Socket = socket;
    }

    /// <summary>Starts the daemon, or returns null with the reason when Docker is not installed or does not start.</summary>
    public static DockerReference? TryStart(string directory, out string? why)
    {
        why = null;
        if (!File.Exists("/usr/sbin/dockerd") || !File.Exists("/usr/bin/docker"))
        {
            why = "docker.io not installed (bench/run installs it)";
            return null;
        }
        Directory.CreateDirectory(directory);
        string socket = Path.Combine(directory, "docker.sock");
        var info = new ProcessStartInfo("/usr/sbin/dockerd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--bridge=none", "--iptables=false", "--ip-masq=false", "--data-root", Path.Combine(directory, "data"),
                     "--exec-root", Path.Combine(directory, "exec"), "--host", "unix://" + socket, "--pidfile", Path.Combine(directory, "docker.pid"),
                     "--storage-driver", "overlay2" })
            info.ArgumentList.Add(a);
        var daemon = Process.Start(info)!;
        var log = new StreamWriter(Path.Combine(Path.GetDirectoryName(directory)!, "dockerd.log"), append: true) { AutoFlush = true };
        daemon.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        daemon.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        var reference = new DockerReference(directory, daemon, socket);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (daemon.HasExited)
            {
                why = $"dockerd exited with {daemon.ExitCode}";
                return null;
            }
            if (File.Exists(socket) && reference.Run("version").ExitCode == 0) return reference;
            Thread.Sleep(250);
        }
        reference.Dispose();
        why = "dockerd did not answer within 60 s";
        return null;
    }

    public CommandRunner.Outcome Run(params string[] args) => CommandRunner.Run("/usr/bin/docker", ["-H", "unix://" + Socket, .. args]);

    public CommandRunner.Outcome Check(params string[] args) => CommandRunner.Check("/usr/bin/docker", ["-H", "unix://" + Socket, .. args]);

    public CommandRunner.Outcome CheckWithInput(string stdinFile, params string[] args) => CommandRunner.Check("/usr/bin/docker", ["-H", "unix://" + Socket, .. args], stdinFile: stdinFile);

    public void Dispose()
    {
        try
        {
            if (!_daemon.HasExited)
            {
                _daemon.Kill();
                _daemon.WaitForExit(20000);
            }
        }
        catch (InvalidOperationException) { }
        foreach (var mount in File.ReadAllLines("/proc/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(_directory, StringComparison.Ordinal)).Reverse())
            CommandRunner.Run("umount", ["-l", mount]);
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
