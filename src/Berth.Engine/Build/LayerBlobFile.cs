using System.Buffers;
using Berth.Engine.Content;
using Berth.Engine.Store;
using Microsoft.Win32.SafeHandles;
using static Berth.Engine.Layers.Native.PosixFileSystem;
using Berth.Engine.IO;

namespace Berth.Engine.Build;

/// <summary>
/// A step's layer tar on its way into the content store. Unlike <see cref="ContentWriter"/> it does not hash: the tar writer
/// already hashes every byte it hands over, and hashing the same 500 MB twice was a whole extra pass. Each buffer is written
/// on another thread while the next is made; writeback of what is written starts every few megabytes, so the disk works
/// while the tar is still being made and the final fsync is short.
/// </summary>
internal sealed class LayerBlobFile : ForwardWriteStream
{
    const long WritebackChunk = 8 << 20;
    readonly ContentStore _content;
    readonly string _temp;
    readonly SafeFileHandle _file;
    long _written;
    long _writebackStarted;
    bool _completed;
    bool _committed;

    LayerBlobFile(ContentStore content, string temp, SafeFileHandle file) => (_content, _temp, _file) = (content, temp, file);

    /// <summary>A new file in the store's ingest directory (where a crash leaves at most a stray file).</summary>
    public static LayerBlobFile Create(BerthStore store)
    {
        string temp = Path.Combine(store.Root, "ingest", Guid.NewGuid().ToString("N"));
        int fd = OpenAt(AT_FDCWD, temp, O_WRONLY | O_CREAT | O_EXCL, 0x1A4);
        if (fd < 0) throw Error(-fd, $"create {temp}");
        return new LayerBlobFile(store.Content, temp, new SafeFileHandle(fd, ownsHandle: true));
    }

    /// <summary>The write in flight: one buffer is written on another thread while the tar writer fills and hashes the next.</summary>
    Task _inFlight = Task.CompletedTask;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _inFlight.GetAwaiter().GetResult();
        WriteAt(buffer, _written);
        _written += buffer.Length;
    }

    void WriteAt(ReadOnlySpan<byte> buffer, long offset)
    {
        RandomAccess.Write(_file, buffer, offset);
        long end = offset + buffer.Length;
        if (end - _writebackStarted >= WritebackChunk)
        {
            BuildFileCalls.StartWriteback((int)_file.DangerousGetHandle(), _writebackStarted, end - _writebackStarted);
            _writebackStarted = end;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _inFlight.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        byte[] copy = ArrayPool<byte>.Shared.Rent(buffer.Length);
        buffer.CopyTo(copy);
        int length = buffer.Length;
        long offset = _written;
        _written += length;
        _inFlight = Task.Run(() =>
        {
            try { WriteAt(copy.AsSpan(0, length), offset); }
            finally { ArrayPool<byte>.Shared.Return(copy); }
        }, CancellationToken.None);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Waits for the last write and makes the file durable (the slow part of committing, done before any lock is taken).</summary>
    public void Complete()
    {
        if (_completed) return;
        _inFlight.GetAwaiter().GetResult();
        int errno = BuildFileCalls.Fsync((int)_file.DangerousGetHandle());
        if (errno != 0) throw Error(errno, $"fsync {_temp}");
        _file.Dispose();
        _completed = true;
    }

    /// <summary>Names the durable file <paramref name="digest"/>, the sha256 of everything written (computed by the caller).</summary>
    public void Commit(Digest digest)
    {
        Complete();
        _content.CommitIngested(_temp, digest);
        _committed = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try { _inFlight.Wait(); } catch (AggregateException) { } // the write's error, if any, was already reported or no longer matters
            _file.Dispose();
            if (!_committed) File.Delete(_temp);
        }
        base.Dispose(disposing);
    }

    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }
}
