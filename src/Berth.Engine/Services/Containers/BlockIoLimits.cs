using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// The block I/O flags of `run`/`create` (--blkio-weight, --blkio-weight-device, --device-{read,write}-{bps,iops}):
/// read with the docker CLI's rules, what the machine's cgroups cannot do discarded with the Docker daemon's warnings,
/// and given to the runtime with each device's numbers, looked up at every start (Docker's daemon does too).
/// </summary>
static class BlockIoLimits
{
    /// <summary>The Docker daemon's warnings for the settings of <paramref name="request"/> that <paramref name="support"/> lacks.</summary>
    public static IEnumerable<string> Warnings(ContainerCreateRequest request, BlockIoSupport support)
    {
        if (request.BlkioWeight > 0 && !support.Weight) yield return WeightDiscarded;
        if (request.BlkioWeightDevices.Count > 0 && !support.WeightDevice)
            yield return "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.";
        if (request.DeviceReadBps.Count > 0 && !support.ReadBps)
            yield return "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.";
        if (request.DeviceWriteBps.Count > 0 && !support.WriteBps)
            yield return "Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.";
        if (request.DeviceReadIops.Count > 0 && !support.ReadIops)
            yield return "Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.";
        if (request.DeviceWriteIops.Count > 0 && !support.WriteIops)
            yield return "Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.";
    }

    /// <summary>The Docker daemon's warning for a --blkio-weight the machine cannot apply (create and update).</summary>
    public const string WeightDiscarded = "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.";

    /// <summary>
    /// A --blkio-weight as the Docker daemon takes it (create and update): null when <paramref name="support"/> cannot
    /// apply it (discarded, with <see cref="WeightDiscarded"/>; before the range is checked, as Docker does), else the
    /// weight, 0 for none, with Docker's error outside 10-1000.
    /// </summary>
    public static ushort? SupportedWeight(ushort requested, BlockIoSupport support)
    {
        if (requested > 0 && !support.Weight) return null;
        if (requested is > 0 and (< 10 or > 1000)) throw new InvalidInputException("Range of blkio weight is from 10 to 1000");
        return requested;
    }

    /// <summary>
    /// <paramref name="host"/> with the block I/O settings of <paramref name="request"/>: each value checked (the docker
    /// CLI's errors, then the daemon's weight range, then that every device is a block device now), those
    /// <paramref name="support"/> lacks left out, as Docker's daemon leaves them out.
    /// </summary>
    public static HostSettings Apply(HostSettings host, ContainerCreateRequest request, BlockIoSupport support)
    {
        var weightDevices = request.BlkioWeightDevices.Select(HostFlagParsers.WeightDevice).ToList();
        var readBps = request.DeviceReadBps.Select(v => HostFlagParsers.ThrottleBpsDevice(v, "--device-read-bps")).ToList();
        var writeBps = request.DeviceWriteBps.Select(v => HostFlagParsers.ThrottleBpsDevice(v, "--device-write-bps")).ToList();
        var readIops = request.DeviceReadIops.Select(v => HostFlagParsers.ThrottleIopsDevice(v, "--device-read-iops")).ToList();
        var writeIops = request.DeviceWriteIops.Select(v => HostFlagParsers.ThrottleIopsDevice(v, "--device-write-iops")).ToList();
        var kept = host with
        {
            BlkioWeight = SupportedWeight(request.BlkioWeight, support) ?? 0,
            BlkioWeightDevice = support.WeightDevice ? weightDevices : [],
            BlkioDeviceReadBps = support.ReadBps ? readBps : [],
            BlkioDeviceWriteBps = support.WriteBps ? writeBps : [],
            BlkioDeviceReadIOps = support.ReadIops ? readIops : [],
            BlkioDeviceWriteIOps = support.WriteIops ? writeIops : [],
        };
        // A path that is missing or no block device fails the create, before anything is stored. Deliberately earlier than
        // Docker, whose daemon finds a missing path only at the start and never checks the kind (the kernel then refuses
        // the numbers of a character device, or a missing disk, with an error about the cgroup file).
        ForRuntime(kept);
        return kept;
    }

    /// <summary>The runtime's block I/O settings for <paramref name="host"/>, null when it has none.</summary>
    public static OciBlockIo? ForRuntime(HostSettings host)
    {
        if (host.BlkioWeight == 0 && host.BlkioWeightDevice.Count == 0 && host.BlkioDeviceReadBps.Count == 0
            && host.BlkioDeviceWriteBps.Count == 0 && host.BlkioDeviceReadIOps.Count == 0 && host.BlkioDeviceWriteIOps.Count == 0)
            return null;
        return new OciBlockIo
        {
            Weight = host.BlkioWeight > 0 ? host.BlkioWeight : null,
            WeightDevice = Nonempty(host.BlkioWeightDevice.Select(d =>
            {
                var (major, minor) = Numbers(d.Path);
                return new OciWeightDevice(major, minor, d.Weight);
            })),
            ThrottleReadBpsDevice = Throttles(host.BlkioDeviceReadBps),
            ThrottleWriteBpsDevice = Throttles(host.BlkioDeviceWriteBps),
            ThrottleReadIopsDevice = Throttles(host.BlkioDeviceReadIOps),
            ThrottleWriteIopsDevice = Throttles(host.BlkioDeviceWriteIOps),
        };
    }

    static List<OciThrottleDevice>? Throttles(IReadOnlyList<BlkioThrottleDevice> devices) =>
        Nonempty(devices.Select(d =>
        {
            var (major, minor) = Numbers(d.Path);
            return new OciThrottleDevice(major, minor, d.Rate);
        }));

    static List<T>? Nonempty<T>(IEnumerable<T> items) => items.ToList() is { Count: > 0 } list ? list : null;

    static (long Major, long Minor) Numbers(string path) =>
        PosixFileInfo.BlockDeviceNumbers(path, out string? error) ?? throw new InvalidInputException(error!);
}
