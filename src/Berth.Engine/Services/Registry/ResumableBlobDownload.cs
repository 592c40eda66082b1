using Berth.Engine.Images;
using Berth.Engine.Registry;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Registry;

/// <summary>
/// Downloads one blob into the content store through a file in <c>ingest/</c> named after its digest, so that a pull
/// killed half way continues the blob with a Range request on the next run; the blob is renamed under its digest only
/// after the client verified size and digest.
/// </summary>
sealed class ResumableBlobDownload(BerthStore store)
{
    string IngestPath(string name) => Path.Combine(store.Root, "ingest", name);

    /// <summary>Fetches <paramref name="blob"/> unless the store has it; true when bytes were downloaded now.</summary>
    /// <param name="keepPartialWhenCancelled">Asked when cancelled: true keeps the bytes so far for the next run (the user stopped the pull), false deletes them (another layer failed).</param>
    public async Task<bool> FetchAsync(RegistryClient client, string repository, Descriptor blob, IProgress<long>? progress, Func<bool> keepPartialWhenCancelled, CancellationToken cancellationToken)
    {
        var digest = blob.ParsedDigest;
        if (store.Content.Exists(digest)) return false;
        var (file, path) = OpenPartial(digest.Algorithm + "-" + digest.Hex + ".partial");
        await using (file)
        {
            long offset = file.Length;
            if (blob.Size >= 0 && offset > blob.Size)
            {
                file.SetLength(0);
                offset = 0;
            }
            try
            {
                await client.DownloadBlobAsync(repository, blob, file, offset, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e) when (offset > 0 && IsVerificationFailure(e))
            {
                // What an earlier run left was not the start of this blob after all: start over once.
                file.SetLength(0);
                file.Position = 0;
                try { await client.DownloadBlobAsync(repository, blob, file, 0, progress, cancellationToken).ConfigureAwait(false); }
                catch (RegistryException again) when (IsVerificationFailure(again)) { Discard(file, path); throw; }
            }
            catch (RegistryException e) when (IsVerificationFailure(e))
            {
                Discard(file, path); // never resume from bytes known to be wrong
                throw;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested && !keepPartialWhenCancelled())
            {
                Discard(file, path);
                throw;
            }
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
            // Renamed while still open (and locked) so no other process can start writing into it in between.
            store.Content.CommitIngested(path, digest);
        }
        return true;
    }

    static bool IsVerificationFailure(RegistryException e)
        => e.StatusCode is null && (e.Message.StartsWith("digest mismatch", StringComparison.Ordinal) || e.Message.StartsWith("size mismatch", StringComparison.Ordinal));

    static void Discard(FileStream file, string path)
    {
        file.SetLength(0);
        try { File.Delete(path); } catch (IOException) { }
    }

    /// <summary>Opens the named partial file with an exclusive lock; when another process holds it, a private file instead.</summary>
    (FileStream File, string Path) OpenPartial(string name)
    {
        string path = IngestPath(name);
        try
        {
            // FileShare.None takes an exclusive flock on Unix: one downloader per partial file.
            return (new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16), path);
        }
        catch (IOException) when (File.Exists(path))
        {
            string own = IngestPath(name + "." + Guid.NewGuid().ToString("N")[..8]);
            return (new FileStream(own, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16), own);
        }
    }
}
