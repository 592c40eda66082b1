using System.Text;

namespace Berth.Engine.Build;

/// <summary>
/// Where a RUN step's stdout and stderr go: split into lines for the progress display, the last lines kept for the error
/// message. Both streams write to one sink from two threads, so writes are serialised.
/// </summary>
public sealed class StepOutput(Action<string> onLine, int keepLines = 10) : Stream
{
    readonly object _gate = new();
    readonly Queue<string> _last = new();
    readonly MemoryStream _partial = new();

    public IReadOnlyList<string> LastLines { get { lock (_gate) return _last.ToList(); } }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_gate)
        {
            foreach (byte b in buffer)
            {
                if (b == (byte)'\n') EmitLine();
                else if (_partial.Length < 64 * 1024) _partial.WriteByte(b);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    void EmitLine()
    {
        string line = Encoding.UTF8.GetString(_partial.GetBuffer(), 0, (int)_partial.Length).TrimEnd('\r');
        _partial.SetLength(0);
        _last.Enqueue(line);
        while (_last.Count > keepLines) _last.Dequeue();
        onLine(line);
    }

    /// <summary>Emits a last line that had no newline.</summary>
    public override void Flush()
    {
        lock (_gate) if (_partial.Length > 0) EmitLine();
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
