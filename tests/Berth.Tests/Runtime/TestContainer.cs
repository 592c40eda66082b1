using System.Diagnostics;
using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>A throw-away container directory for runtime tests: a busybox rootfs, a bundle, and cleanup of whatever ran.</summary>
internal sealed class TestContainer : IAsyncDisposable
{
    public const string StateRootBase = "/run/berth-test";

    public string Id { get; } = "berth-test-" + Guid.NewGuid().ToString("N")[..12];
    public string Dir { get; }
    public string Rootfs => Path.Combine(Dir, "rootfs");
    public string Bundle => Dir;
    public string ExitDir => Path.Combine(Dir, "exits");
    public string LogPath => Path.Combine(Dir, "ctr.log");
    public IOciRuntime Runtime { get; }
    public ConmonMonitor Monitor { get; }
    public List<int> MonitorPids { get; } = [];

    public TestContainer(string runtime = "runc")
    {
        RequireTools(runtime);
        Dir = Path.Combine(Path.GetTempPath(), "berth-rt-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(ExitDir);
        MakeBusyboxRootfs(Rootfs);
        Runtime = OciRuntime.Create(runtime, Path.Combine(StateRootBase, runtime));
        Monitor = new ConmonMonitor(Runtime, socketDir: Path.Combine(StateRootBase, "socket"));
    }

    /// <summary>Fails (never skips) when the tools the runtime tests need are missing.</summary>
    public static void RequireTools(string runtime = "runc")
    {
        foreach (var tool in new[] { runtime, "conmon", "busybox" })
            if (OciRuntime.FindBinary(tool) is null)
                Assert.Fail($"{tool} is not installed: run scripts/install-deps.sh (as root)");
        if (Environment.UserName != "root" && geteuid() != 0)
            Assert.Fail("runtime tests run containers and must run as root");
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    public static void MakeBusyboxRootfs(string rootfs)
    {
        string bin = Path.Combine(rootfs, "bin");
        Directory.CreateDirectory(bin);
        foreach (var d in new[] { "etc", "proc", "sys", "dev", "tmp", "root", "sbin", "usr/bin" })
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        string busybox = OciRuntime.FindBinary("busybox")!;
        File.Copy(busybox, Path.Combine(bin, "busybox"));
        foreach (var applet in new[] { "sh", "cat", "echo", "sleep", "id", "ls", "ps", "tty", "unshare", "mount", "grep",
                                       "head", "true", "false", "stty", "wc", "hostname", "env", "ip", "ifconfig", "read" })
            File.CreateSymbolicLink(Path.Combine(bin, applet), "busybox");
        File.WriteAllText(Path.Combine(rootfs, "etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/group"), "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");
    }

    /// <summary>Docker-default spec for this container, adjusted by <paramref name="configure"/>; written to the bundle.</summary>
    public RuntimeSpec WriteSpec(Func<ContainerRunSpec, ContainerRunSpec>? configure, params string[] args)
    {
        var run = new ContainerRunSpec { RootfsPath = Rootfs, Args = args, ContainerId = Id, Network = NetworkMode.None };
        if (configure is not null) run = configure(run);
        var spec = new OciSpecBuilder().Build(run);
        OciBundle.Write(Bundle, spec);
        return spec;
    }

    public RuntimeSpec WriteSpec(params string[] args) => WriteSpec(null, args);

    /// <summary>The container's cgroup in every hierarchy (the spec's cgroupsPath is /berth/ID), as the engine finds them.</summary>
    public List<string> CgroupDirectories() => Berth.Engine.Services.Containers.ContainerService.CgroupDirectories(Id).ToList();

    /// <summary>Polls until <paramref name="condition"/> holds or the timeout passes.</summary>
    public static async Task<bool> WaitUntil(Func<bool> condition, int timeoutMs = 10_000)
    {
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < timeoutMs)
        {
            if (condition()) return true;
            await Task.Delay(20);
        }
        return condition();
    }

    public async ValueTask DisposeAsync()
    {
        try { await Runtime.DeleteAsync(Id, force: true); } catch (RuntimeException) { }
        // conmon exits by itself once its container is gone; kill it only if it lingers.
        foreach (var pid in MonitorPids)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                if (!p.WaitForExit(2000)) p.Kill();
            }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        }
        Monitor.RemoveSocketLinks(Id, Bundle);
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
