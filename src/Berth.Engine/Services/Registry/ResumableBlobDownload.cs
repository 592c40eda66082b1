using Berth.Engine.Images;
using Berth.Engine.Registry;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Registry;

/// <summary>A downloaded, verified blob waiting to be unpacked: its file and whether bytes were fetched for it just now.</summary>
sealed record FetchedBlob(string Path, bool Downloaded, bool InIngest);

/// <summary>
/// Downloads one layer blob into a file in <c>ingest/</c> named after its digest. The file never goes under the blob's
/// name in the store: it is unpacked from there and deleted. A pull killed half way leaves it behind, and the next run
/// continues it with a Range request, or, when it is complete, only hashes it again (no request) before using it.
/// </summary>
/// <remarks>
/// Nothing is fsynced: every byte is verified again before use, so a file damaged by a crash costs a new download, never
/// a wrong layer. That keeps a pull from writing the compressed image to disk synchronously on top of the unpacked one.
/// </remarks>
sealed class ResumableBlobDownload(BerthStore store)
{
    string IngestPath(string name) => System.IO.Path.Combine(store.Root, "ingest", name);

    /// <summary>Gets <paramref name="blob"/> into a verified file (the store's own copy when it has one).</summary>
    /// <param name="keepPartialWhenCancelled">Asked when cancelled: true keeps the bytes so far for the next run (the user stopped the pull), false deletes them (another layer failed).</param>
    public async Task<FetchedBlob> FetchAsync(RegistryClient client, string repository, Descriptor blob, IProgress<long>? progress,
        Func<bool> keepPartialWhenCancelled, CancellationToken cancellationToken)
    {
        var digest = blob.ParsedDigest;
        if (store.Content.Exists(digest)) return new FetchedBlob(store.Content.PathOf(digest), false, false);
        cancellationToken.ThrowIfCancellationRequested();
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
                offset = 0;
                try { await client.DownloadBlobAsync(repository, blob, file, 0, progress, cancellationToken).ConfigureAwait(false); }
                catch (RegistryException again) when (IsVerificationFailure(again)) { Discard(file, path); throw; }
            }
            catch (RegistryException e) when (IsVerificationFailure(e))
            {
                Discard(file, path); // never resume from bytes known to be wrong
                throw;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested && (file.Length == 0 || !keepPartialWhenCancelled()))
            {
                Discard(file, path);
                throw;
            }
            return new FetchedBlob(path, blob.Size < 0 || offset < blob.Size, true);
        }
    }

    static bool IsVerificationFailure(RegistryException e)
        => e.StatusCode is null && (e.Message.StartsWith("digest mismatch", StringComparison.Ordinal) || e.Message.StartsWith("size mismatch", StringComparison.Ordinal));

    static void Discard(FileStream file, string path)
    {
        file.SetLength(0);
        Delete(path);
    }

    public static void Delete(string path)
    {
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
