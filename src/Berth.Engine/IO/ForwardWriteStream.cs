namespace Berth.Engine.IO;

/// <summary>
/// A stream written once from start to end (a blob on its way into the store, a compressor, a tee): no seeking, no reading.
/// Subclasses implement writing; those that count what they took override <see cref="Length"/> and <see cref="Position"/>.
/// </summary>
public abstract class ForwardWriteStream : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
