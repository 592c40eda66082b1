using System.IO.Compression;
using SharpCompress.Compressors.BZip2;
using SharpCompress.Compressors.Xz;
using Berth.Engine.IO;

namespace Berth.Engine.Layers;

/// <summary>Opens layer blobs and ADD sources whatever their compression, without needing a seekable stream.</summary>
public static class LayerStreams
{
    /// <summary>Peeks at the first bytes and returns a stream of the decompressed data (or the data itself when not compressed).</summary>
    public static async Task<(Stream Stream, LayerCompression Compression)> OpenDecompressedAsync(Stream input,
        CancellationToken cancellationToken = default)
    {
        byte[] magic = new byte[CompressionDetector.MagicLength];
        int have = await input.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return Wrap(input, magic, have);
    }

    /// <summary>Synchronous <see cref="OpenDecompressedAsync"/>.</summary>
    public static (Stream Stream, LayerCompression Compression) OpenDecompressed(Stream input)
    {
        byte[] magic = new byte[CompressionDetector.MagicLength];
        int have = input.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        return Wrap(input, magic, have);
    }

    private static (Stream, LayerCompression) Wrap(Stream input, byte[] magic, int have)
    {
        var compression = CompressionDetector.Detect(magic.AsSpan(0, have));
        Stream replay = new PrefixedStream(magic.AsMemory(0, have), input);
        Stream result = compression switch
        {
            LayerCompression.Gzip => new GZipStream(replay, CompressionMode.Decompress),
            LayerCompression.Zstd => new ZstdSharp.DecompressionStream(replay),
            LayerCompression.Bzip2 => BZip2Stream.Create(replay, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true),
            LayerCompression.Xz => new XZStream(replay),
            _ => replay,
        };
        return (result, compression);
    }

    /// <summary>Whether a block looks like the start of a tar archive: <c>ustar</c> magic at offset 257 and a valid checksum.</summary>
    public static bool IsTarHeader(ReadOnlySpan<byte> block)
    {
        if (block.Length < 512 || !block.Slice(257, 5).SequenceEqual("ustar"u8)) return false;
        long stored = 0;
        foreach (byte b in block.Slice(148, 8))
        {
            if (b is (byte)' ' or 0) { if (stored > 0) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') return false;
            stored = stored * 8 + (b - '0');
        }
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += i is >= 148 and < 156 ? ' ' : block[i];
        return sum == stored;
    }

    /// <summary>Whether a file is a (possibly compressed) tar archive, the test ADD uses to decide on auto-extraction.</summary>
    public static async Task<bool> IsTarArchiveAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
        return await IsTarArchiveAsync(file, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a stream holds a (possibly compressed) tar archive; reads at most one decompressed block.</summary>
    public static async Task<bool> IsTarArchiveAsync(Stream input, CancellationToken cancellationToken = default)
    {
        try
        {
            var (stream, _) = await OpenDecompressedAsync(input, cancellationToken).ConfigureAwait(false);
            byte[] block = new byte[512];
            int n = await stream.ReadAtLeastAsync(block, 512, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return n == 512 && IsTarHeader(block);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException or InvalidOperationException
                                   or SharpCompress.Common.SharpCompressException)
        {
            return false; // looks compressed but is not: a plain file for ADD
        }
    }

    /// <summary>Replays bytes already read, then continues with the underlying stream; Position counts bytes delivered (the xz decoder needs it).</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : ForwardReadStream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;
        private long _position;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            if (_prefix.IsEmpty) n = inner.Read(buffer);
            else
            {
                n = Math.Min(buffer.Length, _prefix.Length);
                _prefix.Span[..n].CopyTo(buffer);
                _prefix = _prefix[n..];
            }
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n;
            if (_prefix.IsEmpty) n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            else
            {
                n = Math.Min(buffer.Length, _prefix.Length);
                _prefix.Span[..n].CopyTo(buffer.Span);
                _prefix = _prefix[n..];
            }
            _position += n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
