using System.Text;
using Berth.Engine.IO;

namespace Berth.Engine.Build;

/// <summary>
/// Where a RUN step's stdout and stderr go: each stream is split into lines of its own (so the two never mix inside a
/// line), lines go to the progress display, and the last ones are kept for the error message.
/// </summary>
public sealed class StepOutput(Action<string> onLine, int keepLines = 10)
{
    readonly object _gate = new();
    readonly Queue<string> _last = new();

    public Stream Stdout => _stdout ??= new LineStream(this);
    public Stream Stderr => _stderr ??= new LineStream(this);
    LineStream? _stdout, _stderr;

    public IReadOnlyList<string> LastLines { get { lock (_gate) return _last.ToList(); } }

    /// <summary>Emits the last lines that had no newline.</summary>
    public void Flush()
    {
        _stdout?.Flush();
        _stderr?.Flush();
    }

    void Emit(string line)
    {
        lock (_gate)
        {
            _last.Enqueue(line);
            while (_last.Count > keepLines) _last.Dequeue();
            onLine(line);
        }
    }

    sealed class LineStream(StepOutput owner) : ForwardWriteStream
    {
        readonly MemoryStream _partial = new();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_partial)
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
            owner.Emit(line);
        }

        public override void Flush()
        {
            lock (_partial) if (_partial.Length > 0) EmitLine();
        }

    }
}
