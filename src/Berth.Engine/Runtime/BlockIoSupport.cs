namespace Berth.Engine.Runtime;

/// <summary>
/// Which block I/O settings this machine's cgroups take, found as Docker's daemon finds them (pkg/sysinfo): on cgroup v1
/// the blkio controller's files (the weights only with the CFQ or BFQ scheduler's files), on v2 the io controller,
/// which then takes them all. Docker discards, with a warning, what the kernel cannot do.
/// </summary>
public sealed record BlockIoSupport(bool Weight, bool WeightDevice, bool ReadBps, bool WriteBps, bool ReadIops, bool WriteIops)
{
    static readonly Lazy<BlockIoSupport> s_host = new(() => Detect(CgroupLayout.Mode, "/sys/fs/cgroup"));

    /// <summary>This machine's.</summary>
    public static BlockIoSupport Host => s_host.Value;

    /// <summary>What the cgroup file system at <paramref name="root"/>, laid out as <paramref name="mode"/>, supports.</summary>
    public static BlockIoSupport Detect(CgroupMode mode, string root)
    {
        if (mode == CgroupMode.Unified)
        {
            string controllers = IO.OptionalFile.ReadAllText(Path.Combine(root, "cgroup.controllers")) ?? "";
            bool io = controllers.Split(' ', '\n').Contains("io");
            return new BlockIoSupport(io, io, io, io, io, io);
        }
        string blkio = Path.Combine(root, "blkio");
        bool Has(string file, string? orFile = null) =>
            File.Exists(Path.Combine(blkio, file)) || orFile is not null && File.Exists(Path.Combine(blkio, orFile));
        return new BlockIoSupport(
            Has("blkio.weight", "blkio.bfq.weight"),
            Has("blkio.weight_device", "blkio.bfq.weight_device"),
            Has("blkio.throttle.read_bps_device"),
            Has("blkio.throttle.write_bps_device"),
            Has("blkio.throttle.read_iops_device"),
            Has("blkio.throttle.write_iops_device"));
    }
}
