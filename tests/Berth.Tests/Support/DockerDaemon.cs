using System.Diagnostics;

namespace Berth.Tests.Support;

/// <summary>A private Docker 20.10 engine (Debian's docker.io) for comparison tests: own data root and socket, no bridge, no iptables.</summary>
/// <remarks>Installed by scripts/install-docker.sh when missing; a failure to start fails the test.</remarks>
public sealed class DockerDaemon : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly Process _daemon;
    public string Socket { get; }

    public DockerDaemon()
    {
        ProcessRunner.Check("bash", RepositoryRoot.Combine("scripts", "install-docker.sh"));
        Socket = _dir.Combine("docker.sock");
        var info = new ProcessStartInfo("/usr/sbin/dockerd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--bridge=none", "--iptables=false", "--ip-masq=false", "--data-root", _dir.Combine("data"), "--exec-root", _dir.Combine("exec"),
                     "--host", "unix://" + Socket, "--pidfile", _dir.Combine("docker.pid"), "--storage-driver", "overlay2" })
            info.ArgumentList.Add(a);
        _daemon = Process.Start(info)!;
        _daemon.OutputDataReceived += (_, _) => { };
        _daemon.ErrorDataReceived += (_, _) => { };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_daemon.HasExited) throw new InvalidOperationException($"dockerd exited with {_daemon.ExitCode}");
            if (File.Exists(Socket) && Run("version").ExitCode == 0) return;
            Thread.Sleep(250);
        }
        Dispose();
        throw new TimeoutException("dockerd did not answer within 60 s");
    }

    public ProcessRunner.Result Run(params string[] args) => Run(null, args);

    /// <summary>Runs the docker client with extra environment variables (e.g. DOCKER_BUILDKIT=0).</summary>
    public ProcessRunner.Result Run(IDictionary<string, string>? environment, params string[] args) =>
        ProcessRunner.Run("/usr/bin/docker", ["-H", "unix://" + Socket, .. args], environment: environment);

    public string Check(params string[] args) => Check(null, args);

    public string Check(IDictionary<string, string>? environment, params string[] args)
    {
        var r = Run(environment, args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"docker {string.Join(' ', args)} exited {r.ExitCode}: {r.Stderr}");
        return r.Stdout;
    }

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
        foreach (var mount in File.ReadAllLines("/proc/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(_dir.Path, StringComparison.Ordinal)).Reverse())
            ProcessRunner.Run("umount", ["-l", mount]);
        _dir.Dispose();
    }
}
