using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Services.Images;
using Berth.Engine.Services.Volumes;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Maintenance;

/// <summary>An image in `system df -v`: its total size and the part shared with other images (layers count once per store).</summary>
public sealed record ImageDiskUsage(Digest Id, IReadOnlyList<string> Tags, DateTimeOffset? Created, long Size, long SharedSize, int Containers)
{
    public long UniqueSize => Size - SharedSize;
}

/// <summary>A volume in `system df`: its measured size and how many containers use it.</summary>
public sealed record VolumeDiskUsage(VolumeRecord Volume, long Size, int RefCount);

/// <summary>Everything `system df` prints: Docker's /system/df answer.</summary>
public sealed record DiskUsageReport(
    long LayersSize, IReadOnlyList<ImageDiskUsage> Images, IReadOnlyList<ContainerDiskUsage> Containers,
    IReadOnlyList<VolumeDiskUsage> Volumes, IReadOnlyList<BuildCacheDiskUsage> BuildCache)
{
    /// <summary>Docker's builder size: cache records that are not shared with images.</summary>
    public long BuilderSize => BuildCache.Where(b => !b.Shared).Sum(b => b.Size);
}

/// <summary>Computes `system df` over images, volumes, and the containers and build cache their owners report.</summary>
public sealed class DiskUsage(BerthStore store, ImageService images, VolumeService volumes)
{
    /// <summary>Set by the container service; null counts no containers.</summary>
    public IContainerDiskUsage? Containers { get; set; }
    /// <summary>Set by the builder; null counts no build cache.</summary>
    public IBuildCacheDiskUsage? BuildCache { get; set; }

    public DiskUsageReport Measure()
    {
        var layers = store.Metadata.AllLayers().ToDictionary(l => l.ChainId, l => l.Size);
        var imageLayers = store.Metadata.AllImageLayers().GroupBy(p => p.Image).ToDictionary(g => g.Key, g => g.Select(p => p.Chain).ToList());
        // How many images use each layer (moby's layerRefs): a layer used by two images is shared by both.
        var references = new Dictionary<Digest, int>();
        foreach (var chain in imageLayers.Values.SelectMany(c => c)) references[chain] = references.GetValueOrDefault(chain) + 1;
        var imageRows = new List<ImageDiskUsage>();
        foreach (var row in images.ListAll())
        {
            var chains = imageLayers.GetValueOrDefault(row.Image.Id) ?? [];
            long size = chains.Sum(c => layers.GetValueOrDefault(c));
            long shared = chains.Where(c => references.GetValueOrDefault(c) > 1).Sum(c => layers.GetValueOrDefault(c));
            imageRows.Add(new ImageDiskUsage(row.Image.Id, row.Tags, ImageJson.ParseTime(row.Image.Created), size, shared, images.ImageUsers(row.Image.Id).Count));
        }
        var volumeRows = volumes.List().Select(v => new VolumeDiskUsage(v, volumes.MeasureSize(v), volumes.VolumeUsers(v.Name).Count)).ToList();
        return new DiskUsageReport(layers.Values.Sum(), imageRows, Containers?.Containers() ?? [], volumeRows, BuildCache?.Entries() ?? []);
    }
}
