using System.Text;
using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>
/// crun on this machine. crun 1.x refuses hybrid cgroup layouts whose cgroup2 side has a controller (here: hugetlb); Berth
/// runs it through <see cref="CgroupV1ViewLauncher"/> there, so plain containers and limits both work.
/// </summary>
public class CrunRuntimeTests
{
    private static bool UnifiedMountHasControllers =>
        CgroupLayout.Mode == CgroupMode.Hybrid
        && File.Exists("/sys/fs/cgroup/unified/cgroup.controllers")
        && File.ReadAllText("/sys/fs/cgroup/unified/cgroup.controllers").Trim().Length > 0;

    [Fact]
    public async Task Crun_runs_a_container_and_on_a_hybrid_layout_only_through_the_launcher()
    {
        await using var c = new TestContainer("crun");
        c.WriteSpec("echo", "hello from crun");
        var output = new MemoryStream();
        Assert.Equal(0, await c.Runtime.RunAsync(c.Id, c.Bundle, output));
        Assert.Equal("hello from crun\n", Encoding.UTF8.GetString(output.ToArray()));
        await c.Runtime.DeleteAsync(c.Id, force: true);
        if (!UnifiedMountHasControllers) return;

        // The launcher is what makes it work: crun itself, on this layout, refuses.
        var crun = (CrunRuntime)c.Runtime;
        Assert.NotEqual(crun.CrunPath, crun.BinaryPath);
        var direct = new System.Diagnostics.ProcessStartInfo(crun.CrunPath) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--root", c.Runtime.StateRoot, "run", "--bundle", c.Bundle, c.Id }) direct.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(direct)!;
        string stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.NotEqual(0, p.ExitCode);
        Assert.Contains("cgroups in hybrid mode not supported, drop all controllers from cgroupv2", stderr);
        // ...and the host keeps its cgroup2 mount: the launcher unmounts it in its own namespace only.
        Assert.Equal(CgroupMode.Hybrid, CgroupLayout.Detect(File.ReadAllText("/proc/self/mountinfo")));
    }

    [Fact]
    public async Task Crun_applies_memory_and_pids_limits()
    {
        await using var c = new TestContainer("crun");
        c.WriteSpec(r => r with { MemoryBytes = 64L << 20, PidsLimit = 40 }, "sh", "-c",
            CgroupLayout.Mode == CgroupMode.Unified
                ? "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max"
                : "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max");
        var output = new MemoryStream();
        Assert.Equal(0, await c.Runtime.RunAsync(c.Id, c.Bundle, output));
        Assert.Equal("67108864\n40\n", Encoding.UTF8.GetString(output.ToArray()));
    }
}
