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
    public VolumeService Volumes { get; }
    public ContainerService Containers { get; }
    public MaintenanceService Maintenance { get; }
    public RegistryService Registry { get; }

    BerthEngine(BerthStore store)
    {
        Store = store;
        Diagnostics.PhaseTimer.Mark("engine: store open");
        Images = new ImageService(store);
        Volumes = new VolumeService(store);
        Containers = new ContainerService(store, Images, Volumes);
        Maintenance = new MaintenanceService(store, Images, Volumes);
        Maintenance.DiskUsage.Containers = Containers;
        Registry = new RegistryService(store, Images, RegistryServiceOptions.FromEnvironment());
    }

    public static BerthEngine Open(string? root = null)
    {
        var engine = new BerthEngine(BerthStore.Open(root));
        Diagnostics.PhaseTimer.Mark("engine open");
        return engine;
    }
}
