using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Berth.Engine.Content;
using Microsoft.Win32.SafeHandles;

namespace Berth.Engine.Layers;

/// <summary>
/// Writes tar entries the way Go's archive/tar does for Docker (PAX format: ustar headers, a PAX extended header
/// only when a field does not fit), through one large buffer that is hashed as it is flushed.
/// </summary>
/// <remarks>
/// Not System.Formats.Tar's TarWriter: it names PAX extended headers after the process id, which makes the bytes
/// (and so the diffID) differ between two runs. Ours are named <c>dir/PaxHeaders.0/base</c>, like Go's.
/// </remarks>
internal sealed class LayerTarWriter : IDisposable
{
    private const int BlockSize = 512;
    private readonly Stream _output;
    private readonly byte[] _buffer;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _length;
    private long _written;

    public LayerTarWriter(Stream output, int bufferSize = 1 << 20)
    {
        _output = output;
        _buffer = new byte[Math.Max(bufferSize, 64 * 1024)];
    }

    public void Dispose() => _hash.Dispose();

    /// <summary>Fields of one entry to write.</summary>
    public struct Entry
    {
        public string Name;
        public string LinkName;
        public byte Type;
        public uint Mode;
        public long Uid;
        public long Gid;
        public long Size;
        public long Mtime;
        public uint DevMajor;
        public uint DevMinor;
        /// <summary>Sorted by name.</summary>
        public List<KeyValuePair<string, byte[]>>? Xattrs;
    }

    public async ValueTask WriteHeaderAsync(Entry entry, CancellationToken cancellationToken)
    {
        byte[] name = Encoding.UTF8.GetBytes(entry.Name);
        byte[] link = Encoding.UTF8.GetBytes(entry.LinkName ?? "");
        var records = new List<KeyValuePair<string, byte[]>>();
        if (name.Length > 100 || !Ascii.IsValid(name)) records.Add(new("path", name));
        if (link.Length > 100 || !Ascii.IsValid(link)) records.Add(new("linkpath", link));
        if (!FitsOctal(entry.Uid, 8)) records.Add(new("uid", Decimal(entry.Uid)));
        if (!FitsOctal(entry.Gid, 8)) records.Add(new("gid", Decimal(entry.Gid)));
        if (!FitsOctal(entry.Size, 12)) records.Add(new("size", Decimal(entry.Size)));
        if (!FitsOctal(entry.Mtime, 12)) records.Add(new("mtime", Decimal(entry.Mtime)));
        if (entry.Xattrs is not null)
            foreach (var (key, value) in entry.Xattrs) records.Add(new("SCHILY.xattr." + key, value));

        if (records.Count > 0)
        {
            records.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            byte[] data = EncodePax(records);
            string trimmed = entry.Name.TrimEnd('/');
            int slash = trimmed.LastIndexOf('/');
            string paxName = slash < 0 ? "PaxHeaders.0/" + trimmed : trimmed[..(slash + 1)] + "PaxHeaders.0/" + trimmed[(slash + 1)..];
            await EnsureSpaceAsync(BlockSize, cancellationToken).ConfigureAwait(false);
            WriteBlock(new Entry { Name = paxName, LinkName = "", Type = (byte)'x', Size = data.Length }, _buffer.AsSpan(_length, BlockSize));
            _length += BlockSize;
            await WriteBytesAsync(data, cancellationToken).ConfigureAwait(false);
            await PadAsync(data.Length, cancellationToken).ConfigureAwait(false);
        }
        await EnsureSpaceAsync(BlockSize, cancellationToken).ConfigureAwait(false);
        WriteBlock(entry, _buffer.AsSpan(_length, BlockSize));
        _length += BlockSize;
    }

    /// <summary>Copies exactly <paramref name="size"/> bytes of an open file, then pads to a block.</summary>
    public async ValueTask WriteFileDataAsync(SafeFileHandle file, long size, string nameForErrors, CancellationToken cancellationToken)
    {
        long offset = 0;
        while (offset < size)
        {
            if (_buffer.Length - _length < 64 * 1024) await FlushAsync(cancellationToken).ConfigureAwait(false);
            int want = (int)Math.Min(_buffer.Length - _length, size - offset);
            int n = RandomAccess.Read(file, _buffer.AsSpan(_length, want), offset);
            if (n == 0) throw new IOException($"{nameForErrors} shrank while it was being archived");
            _length += n;
            offset += n;
        }
        await PadAsync(size, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the two zero blocks that end an archive, flushes, and returns the digest and size of everything written.</summary>
    public async ValueTask<(Digest Digest, long Size)> FinishAsync(CancellationToken cancellationToken)
    {
        await EnsureSpaceAsync(2 * BlockSize, cancellationToken).ConfigureAwait(false);
        _buffer.AsSpan(_length, 2 * BlockSize).Clear();
        _length += 2 * BlockSize;
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return (Digest.FromHash(_hash.GetCurrentHash()), _written);
    }

    private async ValueTask WriteBytesAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            if (_length == _buffer.Length) await FlushAsync(cancellationToken).ConfigureAwait(false);
            int n = Math.Min(_buffer.Length - _length, data.Length);
            data.Span[..n].CopyTo(_buffer.AsSpan(_length));
            _length += n;
            data = data[n..];
        }
    }

    private async ValueTask PadAsync(long size, CancellationToken cancellationToken)
    {
        int padding = (int)((BlockSize - size % BlockSize) % BlockSize);
        if (padding == 0) return;
        await EnsureSpaceAsync(padding, cancellationToken).ConfigureAwait(false);
        _buffer.AsSpan(_length, padding).Clear();
        _length += padding;
    }

    private async ValueTask EnsureSpaceAsync(int count, CancellationToken cancellationToken)
    {
        if (_buffer.Length - _length < count) await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_length == 0) return;
        _hash.AppendData(_buffer, 0, _length);
        await _output.WriteAsync(_buffer.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
        _written += _length;
        _length = 0;
    }

    private static void WriteBlock(Entry entry, Span<byte> block)
    {
        block.Clear();
        WriteString(block[..100], entry.Name);
        WriteOctal(block.Slice(100, 8), entry.Mode);
        WriteOctal(block.Slice(108, 8), FitsOctal(entry.Uid, 8) ? entry.Uid : 0);
        WriteOctal(block.Slice(116, 8), FitsOctal(entry.Gid, 8) ? entry.Gid : 0);
        WriteOctal(block.Slice(124, 12), FitsOctal(entry.Size, 12) ? entry.Size : 0);
        WriteOctal(block.Slice(136, 12), FitsOctal(entry.Mtime, 12) ? entry.Mtime : 0);
        block.Slice(148, 8).Fill((byte)' ');
        block[156] = entry.Type;
        WriteString(block.Slice(157, 100), entry.LinkName ?? "");
        "ustar\0"u8.CopyTo(block.Slice(257, 6));
        "00"u8.CopyTo(block.Slice(263, 2));
        WriteOctal(block.Slice(329, 8), entry.DevMajor);
        WriteOctal(block.Slice(337, 8), entry.DevMinor);
        int sum = 0;
        foreach (byte b in block) sum += b;
        WriteOctal(block.Slice(148, 7), sum);
    }

    /// <summary>ASCII characters of the name, truncated to the field; the full name is in a PAX record when this loses anything.</summary>
    private static void WriteString(Span<byte> field, string value)
    {
        int i = 0;
        foreach (char c in value)
        {
            if (i == field.Length) break;
            if (c < 0x80) field[i++] = (byte)c;
        }
    }

    /// <summary>Zero-padded octal digits filling all but the last byte of the field, which is NUL (Go's formatOctal).</summary>
    private static void WriteOctal(Span<byte> field, long value)
    {
        int digits = field.Length - 1;
        for (int i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
        field[digits] = 0;
    }

    private static bool FitsOctal(long value, int fieldLength) => value >= 0 && value < 1L << (3 * (fieldLength - 1));

    private static byte[] Decimal(long value) => Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    private static byte[] EncodePax(List<KeyValuePair<string, byte[]>> records)
    {
        using var ms = new MemoryStream();
        Span<byte> digits = stackalloc byte[20];
        foreach (var (key, value) in records)
        {
            byte[] keyBytes = Encoding.UTF8.GetBytes(key);
            int rest = 1 + keyBytes.Length + 1 + value.Length + 1; // ' ' key '=' value '\n'
            int length = rest + 1;
            while (length != rest + DigitCount(length)) length = rest + DigitCount(length);
            Utf8Formatter.TryFormat(length, digits, out int written);
            ms.Write(digits[..written]);
            ms.WriteByte((byte)' ');
            ms.Write(keyBytes);
            ms.WriteByte((byte)'=');
            ms.Write(value);
            ms.WriteByte((byte)'\n');
        }
        return ms.ToArray();
    }

    private static int DigitCount(int value) => value.ToString(CultureInfo.InvariantCulture).Length;
}
