using Berth.Engine.Content;
using Berth.Engine.Services.Build;
using Berth.Engine.Services.Containers;
using Berth.Engine.Services.Images;
using Berth.Engine.Services.Maintenance;
using Berth.Engine.Services.Registry;
using Berth.Engine.Services.Volumes;
using Berth.Engine.Store;

namespace Berth.Engine.Services;

/// <summary>The engine's services over one store, wired to each other; what every front end (CLI, API socket) calls.</summary>
public sealed class BerthEngine
{
    public BerthStore Store { get; }
    public ImageService Images { get; }
    public Builder Builder { get; }
    public VolumeService Volumes { get; }
    public ContainerService Containers { get; }
    public MaintenanceService Maintenance { get; }
    public RegistryService Registry { get; }

    BerthEngine(BerthStore store)
    {
        Store = store;
        Images = new ImageService(store);
        Builder = new Builder(store, Images);
        Builder.PullMissingBase = PullBaseImageAsync;
        Volumes = new VolumeService(store);
        Containers = new ContainerService(store, Images, Volumes);
        Maintenance = new MaintenanceService(store, Images, Volumes);
        Maintenance.DiskUsage.BuildCache = new BuildCacheUsage(store);
        Maintenance.DiskUsage.Containers = Containers;
        Maintenance.SystemPruner.Containers = Containers;
        Maintenance.SystemPruner.BuildCache = new BuildCachePruner(Builder);
        Registry = new RegistryService(store, Images, RegistryServiceOptions.FromEnvironment());
    }

    /// <summary>FROM of an image the store lacks pulls it, as `docker build` does; a failed pull says why the image is missing.</summary>
    async Task<Digest?> PullBaseImageAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var pulled = await Registry.PullAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return pulled.Images.Count > 0 ? pulled.Images[0].ImageId : null;
        }
        catch (BerthException e)
        {
            throw new NotFoundException($"No such image: {name} (pull failed: {e.Message})");
        }
    }

    public static BerthEngine Open(string? root = null) => new(BerthStore.Open(root));
}
