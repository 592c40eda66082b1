using Berth.Engine.Services.Maintenance;

namespace Berth.Engine.Services.Build;

/// <summary>`system prune`'s build cache step through <see cref="Builder.Prune"/>: unused steps, every step with -a.</summary>
/// <remarks>The builder's prune takes no filters yet, so a prune with until= or label= leaves the build cache alone.</remarks>
public sealed class BuildCachePruner(Builder builder, BuildCacheUsage usage) : IBuildCachePruner
{
    public Task<PruneResult> PruneBuildCacheAsync(bool all, PruneFilter filter, bool dryRun, CancellationToken cancellationToken)
    {
        if (filter.Until is not null || filter.Labels.Count > 0) return Task.FromResult(PruneResult.Empty);
        var before = usage.Entries();
        if (dryRun)
        {
            var doomed = before.Where(e => all || !e.Shared).ToList();
            return Task.FromResult(new PruneResult(doomed.Select(e => e.Id).ToList(), doomed.Where(e => !e.Shared).Sum(e => e.Size)));
        }
        var result = builder.Prune(all);
        var left = usage.Entries().Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        return Task.FromResult(new PruneResult(before.Select(e => e.Id).Where(id => !left.Contains(id)).ToList(), result.ReclaimedBytes));
    }
}
