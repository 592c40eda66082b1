using System.Text;
using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>
/// crun on this machine: crun 1.x refuses hybrid cgroup layouts whose cgroup2 side has controllers (here: hugetlb), so
/// whether a plain container can run depends on the host; both outcomes are checked, never skipped.
/// </summary>
public class CrunRuntimeTests
{
    private static bool CrunCanRunHere =>
        CgroupLayout.Mode != CgroupMode.Hybrid
        || !File.Exists("/sys/fs/cgroup/unified/cgroup.controllers")
        || File.ReadAllText("/sys/fs/cgroup/unified/cgroup.controllers").Trim().Length == 0;

    [Fact]
    public async Task Crun_runs_a_container_without_limits_or_explains_why_this_host_cannot()
    {
        await using var c = new TestContainer("crun");
        c.WriteSpec("echo", "hello from crun");
        var output = new MemoryStream();
        if (CrunCanRunHere)
        {
            Assert.Equal(0, await c.Runtime.RunAsync(c.Id, c.Bundle, output));
            Assert.Equal("hello from crun\n", Encoding.UTF8.GetString(output.ToArray()));
            return;
        }

        var e = await Assert.ThrowsAsync<RuntimeException>(() => c.Runtime.RunAsync(c.Id, c.Bundle, output));
        Assert.Contains("hybrid cgroup v1/v2 layout", e.Message);
        Assert.Contains("use --runtime runc", e.Message);

        // The explanation is right: crun itself, asked anyway, refuses.
        var direct = new System.Diagnostics.ProcessStartInfo(c.Runtime.BinaryPath) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--root", c.Runtime.StateRoot, "run", "--bundle", c.Bundle, c.Id }) direct.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(direct)!;
        string stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.NotEqual(0, p.ExitCode);
        Assert.Contains("hybrid mode not supported", stderr);
    }

    [Fact]
    public async Task Crun_with_limits_on_the_hybrid_layout_fails_early_with_the_clear_message()
    {
        await using var c = new TestContainer("crun");
        c.WriteSpec(r => r with { MemoryBytes = 64L << 20 }, "true");
        if (CgroupLayout.Mode != CgroupMode.Hybrid)
        {
            Assert.Equal(0, await c.Runtime.RunAsync(c.Id, c.Bundle));
            return;
        }
        var e = await Assert.ThrowsAsync<RuntimeException>(() => c.Runtime.RunAsync(c.Id, c.Bundle));
        Assert.Equal(CrunRuntime.HybridLimitsMessage, e.Message);
        var viaMonitor = await Assert.ThrowsAsync<RuntimeException>(() => c.Monitor.CreateAsync(new MonitorOptions
        {
            ContainerId = c.Id, BundlePath = c.Bundle, LogPath = c.LogPath, ExitDir = c.ExitDir,
        }));
        Assert.Equal(CrunRuntime.HybridLimitsMessage, viaMonitor.Message);
        Assert.Null(await c.Runtime.StateAsync(c.Id));
    }
}
