using Berth.Engine.Services.Images;
using Berth.Engine.Services.Volumes;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Maintenance;

/// <summary>Reclaiming and checking disk: image prune, `system df`, `system check`.</summary>
/// <remarks>Containers and the build cache contribute to disk usage through <see cref="DiskUsage"/>'s two hooks, set by their owners.</remarks>
public sealed class MaintenanceService(BerthStore store, ImageService images, VolumeService volumes)
{
    public ImagePruner ImagePruner { get; } = new(store, images);
    public DiskUsage DiskUsage { get; } = new(store, images, volumes);
    public StoreChecker Checker { get; } = new(store, volumes);
    public SystemPruner SystemPruner { get; } = new(store, images, volumes);
}
