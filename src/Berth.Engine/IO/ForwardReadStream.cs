namespace Berth.Engine.IO;

/// <summary>
/// A stream read once from start to end (a decompressor, a hashing or counting wrapper, an HTTP body): no seeking, no
/// writing, no length. Subclasses implement reading; those that count what they hand out override <see cref="Position"/>.
/// </summary>
public abstract class ForwardReadStream : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
