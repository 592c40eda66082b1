using Berth.Engine.Services.Images;
using Berth.Engine.Services.Volumes;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Maintenance;

/// <summary>Removes stopped containers (implemented by the container service), for `system prune`.</summary>
public interface IContainerPruner
{
    /// <summary>Stopped containers matching <paramref name="filter"/> (until=, label=); with <paramref name="dryRun"/> none is removed.</summary>
    Task<PruneResult> PruneContainersAsync(PruneFilter filter, bool dryRun, CancellationToken cancellationToken);
}

/// <summary>Removes build cache records (implemented by the builder once it lands; until then there is no cache to prune).</summary>
public interface IBuildCachePruner
{
    /// <summary>Unused cache (every record with <paramref name="all"/>) matching <paramref name="filter"/>.</summary>
    Task<PruneResult> PruneBuildCacheAsync(bool all, PruneFilter filter, bool dryRun, CancellationToken cancellationToken);
}

/// <summary>What one prune removed (IDs or names as Docker prints them) and the bytes that freed.</summary>
public sealed record PruneResult(IReadOnlyList<string> Deleted, long SpaceReclaimed)
{
    public static readonly PruneResult Empty = new([], 0);
}

/// <summary>`system prune` options: <c>-a</c>, <c>--volumes</c>, <c>--filter</c>, <c>--dry-run</c>.</summary>
public sealed record SystemPruneOptions(bool All, bool Volumes, PruneFilter Filter, bool DryRun);

/// <summary>Each section of a `system prune` (volumes null unless asked for) and the total freed.</summary>
public sealed record SystemPruneResult(PruneResult Containers, VolumePruneResult? Volumes, ImagePruneResult Images, PruneResult BuildCache)
{
    public long SpaceReclaimed => Containers.SpaceReclaimed + (Volumes?.SpaceReclaimed ?? 0) + Images.SpaceReclaimed + BuildCache.SpaceReclaimed;
}

/// <summary>
/// `system prune`: stopped containers, then (with --volumes) anonymous volumes no container uses, then dangling images
/// (every unused one with -a), then build cache, in Docker's order so that what an earlier step frees can go in a later one.
/// Containers and the build cache come in through <see cref="Containers"/> and <see cref="BuildCache"/>, set by their owners.
/// </summary>
/// <remarks>
/// Filters: until= and label= apply to containers, images and build cache; volumes take label= only (Docker's volume
/// prune has no until). A dry run cannot see what its earlier steps would free, so it may list fewer images than a real run.
/// </remarks>
public sealed class SystemPruner(BerthStore store, ImageService images, VolumeService volumes)
{
    readonly ImagePruner _images = new(store, images);

    public IContainerPruner? Containers { get; set; }
    public IBuildCachePruner? BuildCache { get; set; }

    public async Task<SystemPruneResult> PruneAsync(SystemPruneOptions options, CancellationToken cancellationToken = default)
    {
        var containers = Containers is null ? PruneResult.Empty
            : await Containers.PruneContainersAsync(options.Filter, options.DryRun, cancellationToken).ConfigureAwait(false);
        var volumeResult = options.Volumes ? volumes.Prune(all: false, options.Filter.Labels, options.DryRun) : null;
        var imageResult = await _images.PruneAsync(options.All, options.Filter with { Dangling = null }, options.DryRun, cancellationToken).ConfigureAwait(false);
        var cache = BuildCache is null ? PruneResult.Empty
            : await BuildCache.PruneBuildCacheAsync(options.All, options.Filter, options.DryRun, cancellationToken).ConfigureAwait(false);
        return new SystemPruneResult(containers, volumeResult, imageResult, cache);
    }
}
