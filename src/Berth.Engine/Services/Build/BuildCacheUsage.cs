using Berth.Engine.Services.Maintenance;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Build;

/// <summary>The build cache as `system df` counts it: one record per cached step; a step whose layer an image also uses is shared.</summary>
public sealed class BuildCacheUsage(BerthStore store) : IBuildCacheDiskUsage
{
    public IReadOnlyList<BuildCacheDiskUsage> Entries() => store.Metadata.ListBuildCache()
        .Select(e => new BuildCacheDiskUsage(IdOf(e.Key), "regular", e.Size, e.Created, e.LastUsed, 1, InUse: false, Shared: e.UsedByImage))
        .ToList();

    /// <summary>A cache entry's short ID (25 hex digits of its key), as `system df -v` and prune print it.</summary>
    public static string IdOf(string key) => key.Split(':')[^1][..25];
}
