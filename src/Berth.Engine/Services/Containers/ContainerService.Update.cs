using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

/// <summary>What `update` asked for: null leaves a setting as it is.</summary>
public sealed record ContainerUpdateRequest
{
    public string? Memory { get; init; }
    public string? MemorySwap { get; init; }
    public string? MemoryReservation { get; init; }
    public string? Cpus { get; init; }
    public long? CpuShares { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    public long? PidsLimit { get; init; }
    public ushort? BlkioWeight { get; init; }
    public string? Restart { get; init; }

    public bool IsEmpty => this == new ContainerUpdateRequest();
}

public sealed partial class ContainerService
{
    /// <summary>
    /// `update`: new cgroup limits and restart policy, checked as create checks them against the container's other
    /// settings; recorded for its next start and, for a running container, applied now by the runtime. Returns the
    /// Docker daemon's warnings (a block I/O weight the machine cannot apply is left out).
    /// </summary>
    public async Task<IReadOnlyList<string>> UpdateAsync(string nameOrId, ContainerUpdateRequest request, CancellationToken cancellationToken = default)
    {
        if (request.IsEmpty) throw new InvalidInputException("you must provide one or more flags when using this command");
        string id = Get(nameOrId).Id;
        using var held = Lock(id);
        var container = GetLocked(held, id) ?? throw new NotFoundException($"No such container: {nameOrId}");
        var host = container.Settings.HostConfig;
        var restart = request.Restart is null ? host.RestartPolicy : RestartPolicies.Parse(request.Restart);
        if (request.Restart is not null && host.AutoRemove && restart.Name != "no")
            throw new InvalidInputException("Restart policy cannot be updated because AutoRemove is enabled for the container");
        var warnings = new List<string>();
        ushort blkioWeight = host.BlkioWeight;
        if (request.BlkioWeight is > 0 and var weight)
        {
            if (BlockIoLimits.SupportedWeight(weight, BlockIoSupport.Host) is { } supported) blkioWeight = supported;
            else warnings.Add(BlockIoLimits.WeightDiscarded);
        }
        var updated = host with
        {
            Memory = request.Memory is { } m ? RunFlagParsers.MemoryBytes(m) : host.Memory,
            MemorySwap = request.MemorySwap is { } swap ? RunFlagParsers.MemorySwapBytes(swap) : host.MemorySwap,
            MemoryReservation = request.MemoryReservation is { } r ? RunFlagParsers.SizeInBytes(r, "--memory-reservation") : host.MemoryReservation,
            NanoCpus = request.Cpus is { } cpus ? RunFlagParsers.NanoCpus(cpus) : host.NanoCpus,
            CpuShares = request.CpuShares ?? host.CpuShares,
            CpusetCpus = request.CpusetCpus is { } set ? HostFlagParsers.CpusetCpus(set) : host.CpusetCpus,
            CpusetMems = request.CpusetMems is { } mems ? HostFlagParsers.CpusetMems(mems) : host.CpusetMems,
            PidsLimit = request.PidsLimit ?? host.PidsLimit,
            BlkioWeight = blkioWeight,
            RestartPolicy = restart,
        };
        RunFlagParsers.CheckMemory(updated.Memory, updated.MemorySwap, updated.MemoryReservation);
        if (container.IsRunning)
        {
            // Of block I/O only the weight, as Docker's update: the per-device limits stay as the start set them.
            var blockIo = updated.BlkioWeight > 0 ? new OciBlockIo { Weight = updated.BlkioWeight } : null;
            var limits = new OciSpecBuilder().Limits(WithLimits(new ContainerRunSpec { RootfsPath = "/", Args = ["update"], BlockIo = blockIo }, updated));
            await RuntimeOf(container).UpdateAsync(container.Id, limits, cancellationToken).ConfigureAwait(false);
        }
        _store.Metadata.SetContainerSettings(container.Id, (container.Settings with { HostConfig = updated }).ToJson());
        return warnings;
    }
}
