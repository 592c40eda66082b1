using Berth.Engine.Services.Maintenance;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Build;

/// <summary>The build cache as `system df` counts it: one record per cached step; a step whose layer an image also uses is shared.</summary>
public sealed class BuildCacheUsage(BerthStore store) : IBuildCacheDiskUsage
{
    public IReadOnlyList<BuildCacheDiskUsage> Entries() => store.Metadata.ListBuildCache()
        .Select(e => new BuildCacheDiskUsage(e.Key.Split(':')[^1][..25], "regular", e.Size, e.Created, e.LastUsed, 1, InUse: false, Shared: e.UsedByImage))
        .ToList();
}
