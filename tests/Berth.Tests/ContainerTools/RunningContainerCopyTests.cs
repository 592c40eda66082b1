using Berth.Engine;
using Berth.Engine.Containers.Copy;
using Berth.Engine.Runtime;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerTools;

/// <summary>
/// cp with a running container's /proc/PID/root as the root: the copy sees the container's own mounts (a tmpfs
/// here, volumes in real use) that the overlay directory on the host does not show.
/// </summary>
public class RunningContainerCopyTests
{
    [Fact]
    public async Task Copies_reach_a_tmpfs_mounted_inside_the_container()
    {
        await using var c = new TestContainer();
        c.WriteSpec(r => r with { Tmpfs = [new TmpfsMount("/scratch")] }, "sh", "-c", "echo inside > /scratch/made-inside; sleep 1000");
        var created = await c.Monitor.CreateAsync(new MonitorOptions { ContainerId = c.Id, BundlePath = c.Bundle, LogPath = c.LogPath, ExitDir = c.ExitDir });
        c.MonitorPids.Add(created.MonitorPid);
        await c.Runtime.StartAsync(c.Id);
        string root = $"/proc/{created.Pid}/root";
        Assert.True(await TestContainer.WaitUntil(() => File.Exists(root + "/scratch/made-inside")), "the container did not write its file");

        var copier = new ContainerCopier(root, "ctr");
        using var host = new TempDirectory();
        await copier.CopyFromContainerAsync("/scratch/made-inside", host.Combine("out"));
        Assert.Equal("inside\n", File.ReadAllText(host.Combine("out")));

        File.WriteAllText(host.Combine("in"), "from the host\n");
        await copier.CopyToContainerAsync(host.Combine("in"), "/scratch/");
        Assert.Equal("from the host\n", File.ReadAllText(root + "/scratch/in"));
        Assert.False(File.Exists(Path.Combine(c.Rootfs, "scratch/in")), "the file must land in the tmpfs, not in the rootfs under it");

        // The container's own /proc/self/root cannot be used to get out: magic links are refused.
        var e = await Assert.ThrowsAnyAsync<BerthException>(() => copier.CopyFromContainerAsync("/proc/self/root/etc/hostname", host.Combine("x")));
        Assert.False(File.Exists(host.Combine("x")));
        Assert.NotNull(e.Message);
    }
}
