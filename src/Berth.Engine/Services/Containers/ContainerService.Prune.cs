using Berth.Engine.Services.Maintenance;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService : IContainerPruner
{
    /// <summary>`system prune`'s container step: stopped containers created before until= and matching every label filter.</summary>
    public async Task<PruneResult> PruneContainersAsync(PruneFilter filter, bool dryRun, CancellationToken cancellationToken)
    {
        var removed = new List<string>();
        long reclaimed = 0;
        foreach (var container in List().Where(c => !c.IsRunning))
        {
            // An --rm container whose attached run holds its lease: being started, or removed by that run after its exit
            // (Docker's daemon reports "removal in progress" for it). Removing it here would take the run's container
            // from under it, or its exit code with it.
            if (container.Settings.HostConfig.AutoRemove && RemovalLease.IsHeld(ContainerDirectory(container.Id))) continue;
            if (filter.Until is { } until && container.Created > until) continue;
            IReadOnlyDictionary<string, string> labels = container.Settings.Config.Labels ?? new SortedDictionary<string, string>();
            if (!filter.Labels.All(l => l.Matches(labels))) continue;
            long size = SizeRw(container);
            if (!dryRun)
            {
                try { await RemoveAsync(container.Id, cancellationToken: cancellationToken).ConfigureAwait(false); }
                catch (BerthException) { continue; }
            }
            removed.Add(container.Id);
            reclaimed += size;
        }
        if (!dryRun) RemoveStaleLocks();
        return new PruneResult(removed, reclaimed);
    }

    /// <summary>
    /// Removes the lock files of containers that no longer exist: removal takes its container's lock file with it, but
    /// stores written by earlier versions kept one per container ever made.
    /// </summary>
    void RemoveStaleLocks()
    {
        foreach (string id in ContainerLock.IdsWithLockFiles(_store.LockDirectory).ToList())
        {
            if (_store.Metadata.GetContainer(id) is not null) continue;
            using var held = Lock(id);
            _ = RowHolding(held, id); // removes the file when the container is still gone
        }
    }
}
