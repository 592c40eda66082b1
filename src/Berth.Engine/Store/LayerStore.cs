using Berth.Engine.Content;
using Berth.Engine.Layers;
using Berth.Engine.Metadata;
using Berth.Engine.Snapshots;

namespace Berth.Engine.Store;

/// <summary>Turns layer tars into stored layers (the uncompressed tar as a blob, the unpacked tree as a snapshot) and frees them.</summary>
/// <remarks>
/// The uncompressed tar is kept as a blob named by its diff ID so that save and push reproduce the exact
/// bytes the image's diff IDs name (Docker keeps tar-split metadata for that instead; see README "not yet").
/// </remarks>
public sealed class LayerStore(BerthStore store)
{
    /// <summary>Stores one layer on top of <paramref name="parentChain"/>; the caller records it in metadata (under the reference lock).</summary>
    public async Task<LayerRecord> AddAsync(Stream layerTar, Digest? parentChain, LayerSource source, CancellationToken cancellationToken)
    {
        var (decompressed, _) = await LayerStreams.OpenDecompressedAsync(layerTar, cancellationToken).ConfigureAwait(false);
        await using var decompressedScope = decompressed;
        await using var writer = store.Content.CreateWriter();
        string temporary = store.Snapshots.PrepareTemporary();
        try
        {
            await using var tee = new TeeReadStream(decompressed, writer);
            var applied = await LayerApplier.ApplyAsync(tee, SnapshotStore.FsOf(temporary), new LayerApplyOptions { AllowDeviceNodes = source.Trusted }, cancellationToken).ConfigureAwait(false);
            await tee.DrainAsync(cancellationToken).ConfigureAwait(false);
            var diffId = await writer.CommitAsync(null, cancellationToken).ConfigureAwait(false);
            if (source.ExpectedDiffId is { } expected && expected != diffId)
                throw new InvalidInputException($"{source.Description}: layer content has digest {diffId}, but the image config says {expected}");
            var chain = ChainId.Next(parentChain, diffId);
            long size = SnapshotStore.MeasureSize(SnapshotStore.FsOf(temporary));
            store.Snapshots.CommitLayer(temporary, chain);
            return new LayerRecord(chain, diffId, parentChain, size);
        }
        catch
        {
            store.Snapshots.Discard(temporary);
            throw;
        }
    }

    /// <summary>
    /// Stores a layer from an uncompressed tar file in the store's temp directory (a layer of a loaded archive): hashes it
    /// while unpacking it and moves the file itself into the content store, instead of writing a second copy of it.
    /// A compressed file, or one whose diff ID is not known in advance, goes through <see cref="AddAsync"/>.
    /// </summary>
    public async Task<LayerRecord> AddFileAsync(string path, Digest? parentChain, LayerSource source, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        await using var fileScope = file;
        var (_, compression) = await LayerStreams.OpenDecompressedAsync(file, cancellationToken).ConfigureAwait(false);
        file.Position = 0;
        if (compression != LayerCompression.None || source.ExpectedDiffId is not { } expected)
            return await AddAsync(file, parentChain, source, cancellationToken).ConfigureAwait(false);

        string temporary = store.Snapshots.PrepareTemporary();
        try
        {
            var verifying = new VerifyingReadStream(file, expected, source.Description);
            await LayerApplier.ApplyAsync(verifying, SnapshotStore.FsOf(temporary), new LayerApplyOptions { AllowDeviceNodes = source.Trusted }, cancellationToken).ConfigureAwait(false);
            verifying.Verify();
            await fileScope.DisposeAsync().ConfigureAwait(false);
            store.Content.Adopt(path, expected);
            var chain = ChainId.Next(parentChain, expected);
            long size = SnapshotStore.MeasureSize(SnapshotStore.FsOf(temporary));
            store.Snapshots.CommitLayer(temporary, chain);
            return new LayerRecord(chain, expected, parentChain, size);
        }
        catch
        {
            store.Snapshots.Discard(temporary);
            throw;
        }
    }

    /// <summary>After a failed import or load: deletes layers it unpacked that no row references (takes the collector lock; hold no reference lock).</summary>
    public void DiscardUnreferenced(IEnumerable<LayerRecord> added)
    {
        using var collector = store.CollectorLock();
        DeleteFiles(added.Where(l => !store.Metadata.HasLayer(l.ChainId)).ToList());
    }

    /// <summary>Deletes the files of layers whose rows were removed (call while holding the collector lock).</summary>
    public void DeleteFiles(IEnumerable<LayerRecord> layers)
    {
        foreach (var layer in layers)
        {
            store.Snapshots.RemoveLayer(layer.ChainId);
            if (!store.Metadata.IsDiffIdReferenced(layer.DiffId)) store.Content.Delete(layer.DiffId);
        }
    }
}

/// <summary>Where a layer comes from, for error messages and trust decisions.</summary>
public sealed record LayerSource(string Description, bool Trusted = false, Digest? ExpectedDiffId = null);
