using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.Store;

namespace Berth.Engine.Build;

/// <summary>
/// The layers one build stands on (its bases, its cache hits, the layers it made), pinned in a lease from the moment the
/// build takes them until it ends, so that a concurrent `builder prune -a`, `image prune -a` or `rmi` of the base cannot
/// free a layer under it. Disposing ends the lease and frees what only the lease still kept (cache rows a prune took meanwhile).
/// </summary>
/// <remarks>
/// Every pin is taken under the reference lock after checking that the layer's row and files are there, so a prune
/// (which holds the collector lock while it decides and deletes) either ran before, and the build sees the layer gone, or
/// runs after, and sees the lease. A killed build leaves a lease whose process is gone; `system check --repair` removes it.
/// </remarks>
public sealed class BuildLease : IDisposable
{
    readonly BerthStore _store;
    readonly HashSet<Digest> _pinned = [];
    bool _ended;

    public BuildLease(BerthStore store)
    {
        _store = store;
        Id = "build-" + Guid.NewGuid().ToString("N");
        store.Metadata.AddLease(Id, Environment.ProcessId);
    }

    public string Id { get; }

    /// <summary>The config and layers of image <paramref name="imageId"/>, its layers pinned; fails if the image or a layer went meanwhile.</summary>
    public async Task<(ImageConfig Config, IReadOnlyList<LayerRecord> Layers)> PinImageAsync(Digest imageId, string name, CancellationToken cancellationToken)
    {
        using var referencing = _store.ReferenceLock();
        if (_store.Metadata.GetImage(imageId) is null) throw new NotFoundException($"No such image: {name}");
        var layers = _store.Metadata.ImageLayers(imageId);
        if (!TryPinLocked(layers)) throw new NotFoundException($"image {name} is incomplete in the store; run `berth system check`");
        // Read while the lock is held: an rmi of the image waits, so its config is still there.
        var config = ImageJson.ReadConfig(await _store.Content.ReadAllBytesAsync(imageId, cancellationToken).ConfigureAwait(false), $"config of image {imageId.Short}");
        return (config, layers);
    }

    /// <summary>Pins <paramref name="layers"/> if every one still has its row and files (call under the reference lock); false if one is gone.</summary>
    public bool TryPinLocked(IReadOnlyList<LayerRecord> layers)
    {
        if (!layers.All(IsWhole)) return false;
        if (layers.Count > 0) PinLocked(layers[^1].ChainId);
        return true;
    }

    bool IsWhole(LayerRecord layer) => _store.Metadata.HasLayer(layer.ChainId) && _store.Snapshots.HasLayer(layer.ChainId) && _store.Content.Exists(layer.DiffId);

    /// <summary>
    /// Pins layer <paramref name="chain"/> without checking it (call under the reference lock): a layer this build has just made
    /// (its files are there, its row may not be yet; a row another build wrote for the same layer is then kept by this lease
    /// too), or one its cache row no longer holds (so that the lease's end frees it if nothing else uses it).
    /// </summary>
    public void PinChainLocked(Digest chain) => PinLocked(chain);

    void PinLocked(Digest chain)
    {
        lock (_pinned)
            if (!_pinned.Add(chain)) return;
        _store.Metadata.LeaseLayer(Id, chain);
    }

    public void Dispose()
    {
        if (_ended) return;
        _ended = true;
        using var collector = _store.CollectorLock();
        _store.Metadata.DeleteLease(Id);
        lock (_pinned)
            if (_pinned.Count > 0) new LayerStore(_store).DeleteFiles(_store.Metadata.DeleteUnreferencedLayers(_pinned));
    }
}
