using Berth.Engine.Services.Maintenance;

namespace Berth.Engine.Services.Build;

/// <summary>`system prune`'s build cache step through <see cref="Builder.Prune"/>: unused steps, every step with -a.</summary>
/// <remarks>The builder's prune takes no filters yet, so a prune with until= or label= leaves the build cache alone.</remarks>
public sealed class BuildCachePruner(Builder builder) : IBuildCachePruner
{
    public Task<PruneResult> PruneBuildCacheAsync(bool all, PruneFilter filter, bool dryRun, CancellationToken cancellationToken)
    {
        if (filter.Until is not null || filter.Labels.Count > 0) return Task.FromResult(PruneResult.Empty);
        var result = builder.Prune(all, dryRun);
        return Task.FromResult(new PruneResult(result.Deleted, result.ReclaimedBytes));
    }
}
