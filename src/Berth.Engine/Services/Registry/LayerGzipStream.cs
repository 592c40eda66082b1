using System.IO.Compression;
using Berth.Engine.IO;

namespace Berth.Engine.Services.Registry;

/// <summary>
/// The gzip compressor of `push`: deflates each 1 MiB block at the fastest level, except blocks that a quick look
/// shows to be incompressible (already-compressed files, random data), which are stored as they are.
/// </summary>
/// <remarks>
/// zlib's fastest level spends ~10 ns a byte on incompressible data and makes it ~5 % bigger; storing costs a copy
/// and a CRC. A switch between deflating and storing starts a new gzip member: a gzip file may hold several members,
/// read as one stream by every gzip reader (Go's, which Docker and containerd use, zlib's, .NET's; eStargz layers rely
/// on it too). A layer whose blocks are all compressible is one ordinary member. The output depends only on the input,
/// so pushing a layer twice gives the same digest.
/// </remarks>
sealed class LayerGzipStream(Stream output) : ForwardWriteStream
{
    const int BlockSize = 1 << 20;
    const int SampleSize = 16 * 1024;

    readonly byte[] _block = new byte[BlockSize];
    readonly MemoryStream _probe = new(SampleSize + 1024);
    int _filled;
    GZipStream? _member;
    bool _memberStores;
    bool _finished;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, BlockSize - _filled);
            buffer[..n].CopyTo(_block.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == BlockSize) EmitBlock();
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, BlockSize - _filled);
            buffer[..n].CopyTo(_block.AsMemory(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == BlockSize) await EmitBlockAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    void EmitBlock()
    {
        Member(_block.AsSpan(0, _filled)).Write(_block, 0, _filled);
        _filled = 0;
    }

    async ValueTask EmitBlockAsync(CancellationToken cancellationToken)
    {
        var member = await MemberAsync(_block.AsMemory(0, _filled)).ConfigureAwait(false);
        await member.WriteAsync(_block.AsMemory(0, _filled), cancellationToken).ConfigureAwait(false);
        _filled = 0;
    }

    GZipStream Member(ReadOnlySpan<byte> block)
    {
        bool store = IsIncompressible(block);
        if (_member is not null && store == _memberStores) return _member;
        _member?.Dispose();
        return Open(store);
    }

    async ValueTask<GZipStream> MemberAsync(ReadOnlyMemory<byte> block)
    {
        bool store = IsIncompressible(block.Span);
        if (_member is not null && store == _memberStores) return _member;
        if (_member is not null) await _member.DisposeAsync().ConfigureAwait(false);
        return Open(store);
    }

    GZipStream Open(bool store)
    {
        _memberStores = store;
        return _member = new GZipStream(output, store ? CompressionLevel.NoCompression : CompressionLevel.Fastest, leaveOpen: true);
    }

    /// <summary>
    /// True when deflate would gain (almost) nothing: bytes spread evenly over all 256 values in a sample of the block,
    /// and a trial compression of its start saves under 3 %.
    /// </summary>
    bool IsIncompressible(ReadOnlySpan<byte> block)
    {
        if (block.Length < SampleSize) return false;
        Span<int> counts = stackalloc int[256];
        // 16 slices of 1 KiB spread over the block.
        int step = block.Length / 16;
        for (int s = 0; s < 16; s++)
            foreach (byte b in block.Slice(s * step, 1024)) counts[b]++;
        double entropy = 0;
        const double total = 16 * 1024;
        foreach (int c in counts)
            if (c > 0) entropy -= c / total * Math.Log2(c / total);
        if (entropy < 7.0) return false;
        _probe.SetLength(0);
        using (var trial = new DeflateStream(_probe, CompressionLevel.Fastest, leaveOpen: true))
            trial.Write(block[..SampleSize]);
        return _probe.Length > SampleSize * 97 / 100;
    }

    /// <summary>Compresses what is left and ends the last member; the output is complete afterwards.</summary>
    public async ValueTask FinishAsync(CancellationToken cancellationToken = default)
    {
        if (_finished) return;
        _finished = true;
        if (_filled > 0) await EmitBlockAsync(cancellationToken).ConfigureAwait(false);
        if (_member is null) await output.WriteAsync(EmptyMember, cancellationToken).ConfigureAwait(false);
        else await _member.DisposeAsync().ConfigureAwait(false);
        _member = null;
    }

    /// <summary>A complete gzip file of no data (GZipStream writes nothing at all when given nothing).</summary>
    static readonly byte[] EmptyMember = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public override async ValueTask DisposeAsync()
    {
        await FinishAsync().ConfigureAwait(false);
        _probe.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished)
        {
            _finished = true;
            if (_filled > 0) EmitBlock();
            if (_member is null) output.Write(EmptyMember);
            else _member.Dispose();
            _member = null;
            _probe.Dispose();
        }
        base.Dispose(disposing);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
