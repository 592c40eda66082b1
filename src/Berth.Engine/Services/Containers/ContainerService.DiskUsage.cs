using Berth.Engine.Metadata;
using Berth.Engine.Services.Maintenance;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService : IContainerDiskUsage
{
    /// <summary>Every container with its writable layer's size, for `system df`.</summary>
    public IReadOnlyList<ContainerDiskUsage> Containers() => List().Select(c => new ContainerDiskUsage(
        c.Id, c.Settings.ImageName, string.Join(' ', new[] { c.Settings.Path }.Concat(c.Settings.Args)),
        c.Settings.Mounts.Count(m => m.Type == "volume"), SizeRw(c), c.Created, c.IsRunning, c.State.StartedAt, c.State.FinishedAt,
        c.State.ExitCode, [c.Name])).ToList();
}
