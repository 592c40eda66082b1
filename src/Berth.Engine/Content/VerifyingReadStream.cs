using System.Security.Cryptography;
using Berth.Engine.IO;

namespace Berth.Engine.Content;

/// <summary>Hashes what is read through it; <see cref="Verify"/> (after reading to the end) throws if the digest differs.</summary>
public sealed class VerifyingReadStream(Stream source, Digest expected, string description) : ForwardReadStream
{
    readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public override int Read(Span<byte> buffer)
    {
        int n = source.Read(buffer);
        _hash.AppendData(buffer[..n]);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _hash.AppendData(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads the source to its end and checks the digest; callable after the stream was disposed by a reader that wrapped it.</summary>
    public void Verify()
    {
        byte[] rest = new byte[81920];
        while (Read(rest) > 0) { }
        var actual = Digest.FromHash(_hash.GetHashAndReset());
        _hash.Dispose();
        if (actual != expected) throw new InvalidInputException($"{description}: content has digest {actual}, expected {expected}");
    }

    // Disposing does not close the source (the caller owns it) nor the hash (Verify may still run).
    protected override void Dispose(bool disposing) => base.Dispose(disposing);

}
