namespace Berth.Engine.Services.Maintenance;

/// <summary>What the container service tells `system df` about its containers (implemented by its owner; until then no containers are counted).</summary>
public interface IContainerDiskUsage
{
    IReadOnlyList<ContainerDiskUsage> Containers();
}

/// <summary>One container for `system df`: <see cref="SizeRw"/> is the bytes in its writable layer.</summary>
public sealed record ContainerDiskUsage(
    string Id, string Image, string Command, int LocalVolumes, long SizeRw, DateTimeOffset Created,
    bool Running, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int ExitCode, IReadOnlyList<string> Names);

/// <summary>What the builder tells `system df` about its cache (implemented by its owner; until then the cache is empty).</summary>
public interface IBuildCacheDiskUsage
{
    IReadOnlyList<BuildCacheDiskUsage> Entries();
}

/// <summary>One build cache record, with BuildKit's fields as `system df -v` shows them.</summary>
public sealed record BuildCacheDiskUsage(
    string Id, string CacheType, long Size, DateTimeOffset Created, DateTimeOffset? LastUsed, int UsageCount, bool InUse, bool Shared);
