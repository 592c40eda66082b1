using Berth.Engine.IO;

namespace Berth.Engine.Content;

/// <summary>A read-only stream that copies every byte read from its source into a second stream (e.g. a blob being ingested).</summary>
public sealed class TeeReadStream(Stream source, Stream copy) : ForwardReadStream
{
    public long BytesRead { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        int n = source.Read(buffer);
        if (n > 0) { copy.Write(buffer[..n]); BytesRead += n; }
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n > 0) { await copy.WriteAsync(buffer[..n], cancellationToken).ConfigureAwait(false); BytesRead += n; }
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads the source to its end, so the copy holds everything (a tar reader stops before trailing padding).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[81920];
        while (await ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0) { }
    }

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
}
