using Berth.Engine.Content;
using Berth.Engine.Layers;
using Berth.Engine.Metadata;
using Berth.Engine.Snapshots;
using Berth.Engine.IO;

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
        // The tar reader hashes every byte it reads (the diff ID); the tee copies exactly those bytes, so one hash serves both.
        await using var writer = store.Content.CreateUnhashedWriter();
        string temporary = store.Snapshots.PrepareTemporary();
        try
        {
            await using var tee = new TeeReadStream(new FillingReadStream(decompressed), writer);
            var applied = await LayerApplier.ApplyAsync(tee, SnapshotStore.FsOf(temporary), new LayerApplyOptions { AllowDeviceNodes = source.Trusted }, cancellationToken).ConfigureAwait(false);
            if (await tee.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) != 0 || tee.BytesRead != applied.UncompressedSize)
                throw new InvalidOperationException("the layer tar reader stopped before the end of its input");
            // Whatever follows the compressed stream is read too: a source that verifies itself at its end (a download) has then done so.
            await DrainAsync(layerTar, cancellationToken).ConfigureAwait(false);
            CheckDiffId(applied.DiffId, source);
            await writer.CommitAsync(applied.DiffId, cancellationToken).ConfigureAwait(false);
            return CommitSnapshot(temporary, applied.DiffId, parentChain);
        }
        catch
        {
            store.Snapshots.Discard(temporary);
            throw;
        }
    }

    static void CheckDiffId(Digest diffId, LayerSource source)
    {
        if (source.ExpectedDiffId is { } expected && expected != diffId)
            throw new InvalidInputException($"{source.Description}: layer content has digest {diffId}, but the image config says {expected}");
    }

    /// <summary>Names the unpacked tree in <paramref name="temporary"/> as the snapshot of its chain and describes the layer.</summary>
    LayerRecord CommitSnapshot(string temporary, Digest diffId, Digest? parentChain)
    {
        var chain = ChainId.Next(parentChain, diffId);
        long size = SnapshotStore.MeasureSize(SnapshotStore.FsOf(temporary));
        store.Snapshots.CommitLayer(temporary, chain);
        return new LayerRecord(chain, diffId, parentChain, size);
    }

    static async Task DrainAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[64 * 1024];
        while (await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0) { }
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
            // The tar reader hashes every byte it reads: that is the diff ID, checked before the file gets its name.
            var applied = await LayerApplier.ApplyAsync(file, SnapshotStore.FsOf(temporary), new LayerApplyOptions { AllowDeviceNodes = source.Trusted }, cancellationToken).ConfigureAwait(false);
            if (applied.UncompressedSize != file.Length)
                throw new InvalidOperationException("the layer tar reader stopped before the end of its input");
            CheckDiffId(applied.DiffId, source);
            await fileScope.DisposeAsync().ConfigureAwait(false);
            store.Content.Adopt(path, expected);
            return CommitSnapshot(temporary, expected, parentChain);
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

/// <summary>
/// Hands out reads of at least 256 KiB (or up to the end): a decompressor returns a few KiB a call, and each piece would
/// otherwise become a write(2) of its own into the blob and into the unpacked file.
/// </summary>
sealed class FillingReadStream(Stream inner) : ForwardReadStream
{
    const int Wanted = 256 * 1024;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int want = Math.Min(buffer.Length, Wanted);
        int total = 0;
        while (total < want)
        {
            int n = await inner.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public override int Read(Span<byte> buffer)
    {
        int want = Math.Min(buffer.Length, Wanted);
        int total = 0;
        while (total < want)
        {
            int n = inner.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

}

/// <summary>Where a layer comes from, for error messages and trust decisions.</summary>
public sealed record LayerSource(string Description, bool Trusted = false, Digest? ExpectedDiffId = null);
