namespace Berth.Engine.Containers.Attach;

/// <summary>
/// A client's terminal input on its way to a container, watched for the detach sequence. Bytes that begin the sequence are
/// held back until it is complete (then they are dropped, <see cref="Detached"/> is cancelled and the read throws
/// <see cref="OperationCanceledException"/>) or broken (then they are passed on, as moby/term's escape proxy does).
/// The input never reaches end-of-file because of a detach: the container's stdin stays open.
/// </summary>
public sealed class DetachKeyReader(Stream input, DetachKeys keys) : IO.ForwardReadStream
{
    private readonly byte[] _keys = [.. keys.Bytes];
    private readonly CancellationTokenSource _detached = new();
    private readonly byte[] _pending = new byte[keys.Bytes.Count + 4096];
    private int _pendingStart, _pendingCount;
    private int _matched;
    private bool _detachAfterPending;
    private readonly byte[] _chunk = new byte[4096];

    /// <summary>Cancelled once the whole sequence has been read.</summary>
    public CancellationToken Detached => _detached.Token;

    /// <summary>True once the whole sequence has been read.</summary>
    public bool HasDetached => _detached.IsCancellationRequested;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_pendingCount > 0) return TakePending(buffer.Span);
            if (_detachAfterPending) Detach();
            int n = await input.ReadAsync(_chunk.AsMemory(0, Math.Min(buffer.Length, _chunk.Length)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                // End of input: a partial sequence was typed, not a detach.
                if (_matched == 0) return 0;
                Array.Copy(_keys, 0, _pending, 0, _matched);
                (_pendingStart, _pendingCount, _matched) = (0, _matched, 0);
                continue;
            }
            Scan(_chunk.AsSpan(0, n));
        }
    }

    /// <summary>Moves input bytes to the pending buffer, holding back a possible start of the sequence.</summary>
    private void Scan(ReadOnlySpan<byte> data)
    {
        _pendingStart = 0;
        _pendingCount = 0;
        foreach (byte b in data)
        {
            if (_detachAfterPending) break;
            if (b == _keys[_matched])
            {
                if (++_matched == _keys.Length)
                {
                    _matched = 0;
                    _detachAfterPending = true;
                }
                continue;
            }
            // The sequence broke: what was held back is ordinary input after all.
            if (_matched > 0)
            {
                Array.Copy(_keys, 0, _pending, _pendingCount, _matched);
                _pendingCount += _matched;
                _matched = 0;
                if (b == _keys[0]) { _matched = 1; continue; }
            }
            _pending[_pendingCount++] = b;
        }
    }

    private int TakePending(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, _pendingCount);
        _pending.AsSpan(_pendingStart, n).CopyTo(buffer);
        _pendingStart += n;
        _pendingCount -= n;
        return n;
    }

    private void Detach()
    {
        _detached.Cancel();
        throw new OperationCanceledException("detach keys read", _detached.Token);
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

}
