using Berth.Engine.Content;

namespace Berth.Engine.Metadata;

/// <summary>Leases: a writer's claim on layers it works on, so that no prune frees them before the writer references them for good.</summary>
public sealed partial class MetadataStore
{
    /// <summary>Records a lease held by process <paramref name="pid"/> (a lease whose process is gone is removed by `system check --repair`).</summary>
    public void AddLease(string id, int pid) => Write((c, t) => c.Execute("INSERT INTO leases(id, pid, created) VALUES ($i, $p, $n)", t,
        ("$i", id), ("$p", pid), ("$n", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())));

    /// <summary>Pins layer <paramref name="chainId"/> (and so its ancestors) to the lease; call under the reference lock, with the layer's files (its row may come later) present.</summary>
    public void LeaseLayer(string leaseId, Digest chainId) => Write((c, t) => c.Execute(
        "INSERT OR IGNORE INTO lease_resources(lease_id, kind, resource) VALUES ($i, 'layer', $c)", t, ("$i", leaseId), ("$c", chainId.ToString())));
}
