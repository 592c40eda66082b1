namespace Berth.Engine.Content;

/// <summary>Blobs addressed by digest: written to <c>ingest/</c>, hashed while written, fsynced, verified, then renamed into <c>blobs/sha256/</c>.</summary>
/// <remarks>A crash leaves at most a stray file in ingest/, never a wrong or partial blob under a digest (containerd's content store design).</remarks>
public sealed class ContentStore
{
    const int BufferSize = 1 << 20;
    readonly string _blobs;
    readonly string _ingest;

    public ContentStore(string root)
    {
        _blobs = Path.Combine(root, "blobs", Digest.Sha256);
        _ingest = Path.Combine(root, "ingest");
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(_ingest);
    }

    public string PathOf(Digest digest) => digest.Algorithm == Digest.Sha256
        ? Path.Combine(_blobs, digest.Hex)
        : throw new InvalidInputException($"unsupported digest algorithm {digest.Algorithm}");

    public bool Exists(Digest digest) => File.Exists(PathOf(digest));

    public long SizeOf(Digest digest) => new FileInfo(PathOf(digest)).Length;

    public Stream OpenRead(Digest digest)
    {
        try { return new FileStream(PathOf(digest), FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan); }
        catch (FileNotFoundException) { throw new NotFoundException($"blob {digest} is missing from the content store"); }
    }

    /// <summary>
    /// A whole blob: only configs, manifests and indexes are read this way, a few KB each. The read is synchronous: .NET
    /// reads a regular file "asynchronously" by blocking a thread-pool thread, so awaiting it only moves the caller to
    /// another thread (and in a short berth process first creates that thread: ~0.5 ms of `run` here).
    /// </summary>
    public Task<byte[]> ReadAllBytesAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<byte[]>(cancellationToken);
        try { return Task.FromResult(File.ReadAllBytes(PathOf(digest))); }
        catch (FileNotFoundException) { return Task.FromException<byte[]>(new NotFoundException($"blob {digest} is missing from the content store")); }
    }

    public Task<Digest> WriteAsync(ReadOnlyMemory<byte> data, Digest? expected = null, CancellationToken cancellationToken = default)
        => IngestAsync(new MemoryStream(data.ToArray(), writable: false), expected, data.Length, cancellationToken);

    /// <summary>Copies <paramref name="source"/> into the store and returns its digest; throws if it does not match what was expected.</summary>
    public async Task<Digest> IngestAsync(Stream source, Digest? expected = null, long? expectedSize = null, CancellationToken cancellationToken = default)
    {
        if (expected is { } e && Exists(e)) return e;
        await using var writer = CreateWriter();
        await source.CopyToAsync(writer, BufferSize, cancellationToken).ConfigureAwait(false);
        if (expectedSize is { } want && want != writer.Written)
            throw new InvalidInputException($"blob size mismatch: expected {want} bytes, got {writer.Written}");
        return await writer.CommitAsync(expected, cancellationToken).ConfigureAwait(false);
    }

    void Commit(string temp, Digest digest)
    {
        string target = PathOf(digest);
        if (File.Exists(target)) { File.Delete(temp); return; } // same content already committed by another writer: drop our copy
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(temp, target, overwrite: true); // rename(2): atomic; identical content if a racer won
        PosixDirectory.Sync(_blobs);
    }

    /// <summary>
    /// Moves a file whose digest the caller has just verified into the store under that digest (made durable first), instead
    /// of copying it: for files already inside the store's directory tree, such as a loaded archive's extracted layers.
    /// </summary>
    public void Adopt(string file, Digest digest)
    {
        using (var handle = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            handle.Flush(flushToDisk: true);
        Commit(file, digest);
    }

    /// <summary>A write-only stream into ingest/; <see cref="ContentWriter.CommitAsync"/> verifies and names it, disposing uncommitted discards it.</summary>
    public ContentWriter CreateWriter() => new(Path.Combine(_ingest, Guid.NewGuid().ToString("N")), this);

    /// <summary>A writer that does not hash: for a caller that already hashes every byte it writes (the layer tar reader); commit it with that digest.</summary>
    public ContentWriter CreateUnhashedWriter() => new(Path.Combine(_ingest, Guid.NewGuid().ToString("N")), this, hash: false);

    internal void CommitIngested(string temp, Digest digest) => Commit(temp, digest);

    public void Delete(Digest digest)
    {
        string path = PathOf(digest);
        if (File.Exists(path)) File.Delete(path);
    }

    public IEnumerable<Digest> List()
    {
        foreach (var file in Directory.EnumerateFiles(_blobs))
            if (Digest.TryParse(Digest.Sha256 + ":" + Path.GetFileName(file), out var d)) yield return d;
    }

    /// <summary>Removes ingest files older than <paramref name="age"/>: leftovers of writers that crashed.</summary>
    public int RemoveStaleIngests(TimeSpan age)
    {
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(_ingest))
        {
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) < age) continue;
            try { File.Delete(file); removed++; } catch (IOException) { }
        }
        return removed;
    }
}
