using Berth.Engine.IO;
namespace Berth.Engine.Services.Registry;

/// <summary>A read-only pass-through stream that reports how many bytes have been read so far.</summary>
sealed class ProgressReadStream(Stream inner, Action<long> report) : ForwardReadStream
{
    long _read;

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    int Count(int n)
    {
        if (n > 0)
        {
            _read += n;
            report(_read);
        }
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override long Position { get => _read; set => throw new NotSupportedException(); }
}

/// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread (System.Progress posts, which reorders events).</summary>
sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
