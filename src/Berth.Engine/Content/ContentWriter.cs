using System.Security.Cryptography;
using Berth.Engine.IO;

namespace Berth.Engine.Content;

/// <summary>A blob being written: hashes as bytes arrive, becomes visible under its digest only on commit.</summary>
public sealed class ContentWriter : ForwardWriteStream
{
    readonly string _temp;
    readonly ContentStore _store;
    readonly FileStream _file;
    readonly IncrementalHash? _hash;
    bool _committed;

    internal ContentWriter(string temp, ContentStore store, bool hash = true)
    {
        _temp = temp;
        _store = store;
        _hash = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        _file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
    }

    public long Written { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash?.AppendData(buffer);
        _file.Write(buffer);
        Written += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash?.AppendData(buffer.Span);
        await _file.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Flushes to disk, checks the digest if one is expected, and renames the blob into place.</summary>
    /// <remarks>A writer made without hashing takes <paramref name="expected"/> as the digest: its caller hashed exactly the bytes written.</remarks>
    public async Task<Digest> CommitAsync(Digest? expected = null, CancellationToken cancellationToken = default)
    {
        if (_hash is null && expected is null) throw new InvalidOperationException("a writer that does not hash needs the digest of what was written");
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        _file.Flush(flushToDisk: true);
        await _file.DisposeAsync().ConfigureAwait(false);
        var digest = _hash is null ? expected!.Value : Digest.FromHash(_hash.GetHashAndReset());
        if (expected is { } e && e != digest)
            throw new InvalidInputException($"blob digest mismatch: expected {e}, got {digest}");
        _store.CommitIngested(_temp, digest);
        _committed = true;
        return digest;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
            _hash?.Dispose();
            if (!_committed && File.Exists(_temp)) File.Delete(_temp);
        }
        base.Dispose(disposing);
    }

    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override void Flush() => _file.Flush();
}
