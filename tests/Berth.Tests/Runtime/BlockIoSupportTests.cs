using Berth.Engine.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.Runtime;

/// <summary>Which block I/O settings a cgroup file system takes, as Docker's daemon finds them.</summary>
public class BlockIoSupportTests
{
    [Fact]
    public void On_cgroup_v1_each_setting_needs_its_blkio_file_and_the_weights_take_bfqs_too()
    {
        using var root = new TempDirectory();
        string blkio = Directory.CreateDirectory(Path.Combine(root.Path, "blkio")).FullName;
        Assert.Equal(new BlockIoSupport(false, false, false, false, false, false), BlockIoSupport.Detect(CgroupMode.V1, root.Path));
        foreach (var file in new[] { "blkio.throttle.read_bps_device", "blkio.throttle.write_iops_device", "blkio.bfq.weight" })
            File.WriteAllText(Path.Combine(blkio, file), "");
        Assert.Equal(new BlockIoSupport(true, false, true, false, false, true), BlockIoSupport.Detect(CgroupMode.Hybrid, root.Path));
        File.WriteAllText(Path.Combine(blkio, "blkio.weight_device"), "");
        Assert.True(BlockIoSupport.Detect(CgroupMode.V1, root.Path).WeightDevice);
    }

    [Fact]
    public void On_cgroup_v2_the_io_controller_takes_them_all()
    {
        using var root = new TempDirectory();
        Assert.Equal(new BlockIoSupport(false, false, false, false, false, false), BlockIoSupport.Detect(CgroupMode.Unified, root.Path));
        File.WriteAllText(Path.Combine(root.Path, "cgroup.controllers"), "cpuset cpu io memory pids\n");
        Assert.Equal(new BlockIoSupport(true, true, true, true, true, true), BlockIoSupport.Detect(CgroupMode.Unified, root.Path));
        File.WriteAllText(Path.Combine(root.Path, "cgroup.controllers"), "cpuset cpu iommu memory\n");
        Assert.False(BlockIoSupport.Detect(CgroupMode.Unified, root.Path).ReadBps);
    }
}
