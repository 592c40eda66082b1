using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Berth.Engine.Content;

namespace Berth.Engine.Layers;

/// <summary>
/// Streaming tar reader for layer application: ustar, PAX and GNU long names; hashes every byte it pulls from the
/// input (headers, data, padding, end blocks and trailing bytes) so the caller gets the diffID in the same pass.
/// </summary>
/// <remarks>
/// Written here rather than using System.Formats.Tar's TarReader because a layer is untrusted input: TarReader
/// buffers a whole PAX or GNU long-name record in memory whatever size the header claims (up to 2 GiB), and we also
/// want byte-exact accounting and one shared buffer for file data. Rules follow Go's archive/tar, which Docker and
/// containerd use: header-only types (links, dirs, devices, fifos) carry no data whatever their size field says,
/// PAX global headers are ignored, and an archive that ends cleanly on a header boundary without the two zero
/// blocks is accepted.
/// </remarks>
internal sealed class LayerTarReader : IDisposable
{
    private const int BlockSize = 512;
    /// <summary>Largest PAX or GNU long-name record we read; real ones are a few hundred bytes.</summary>
    public const int MaxMetadataSize = 1 << 20;
    /// <summary>Bytes allowed after the end marker (GNU tar pads to a 10 KiB record; we allow far more).</summary>
    public const long MaxTrailingBytes = 4L << 20;

    private readonly Stream _input;
    private readonly byte[] _buffer;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _start;
    private int _end;
    private bool _eof;
    private long _remainingData;
    private int _remainingPadding;
    private string _currentName = "";
    private bool _finished;

    public LayerTarReader(Stream input, int bufferSize = 1 << 20)
    {
        _input = input;
        _buffer = new byte[Math.Max(bufferSize, 64 * 1024)];
    }

    /// <summary>Bytes consumed from the input so far (all of them once <see cref="DrainAsync"/> returned).</summary>
    public long BytesRead { get; private set; }

    /// <summary>Offset of the next unconsumed byte, for error messages.</summary>
    private long Position => BytesRead - (_end - _start);

    public Digest GetDigest() => Digest.FromHash(_hash.GetCurrentHash());

    public void Dispose() => _hash.Dispose();

    /// <summary>The next entry, or null at the end of the archive.</summary>
    public async ValueTask<TarEntryHeader?> NextAsync(CancellationToken cancellationToken)
    {
        if (_finished) return null;
        await SkipAsync(_remainingData + _remainingPadding, cancellationToken).ConfigureAwait(false);
        _remainingData = 0;
        _remainingPadding = 0;

        string? longName = null, longLink = null;
        PaxRecords? pax = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!await EnsureAsync(BlockSize, cancellationToken).ConfigureAwait(false))
            {
                if (_end == _start && longName is null && longLink is null && pax is null)
                {
                    _finished = true; // clean end on a header boundary, without end blocks (accepted like Go's archive/tar)
                    return null;
                }
                throw Truncated();
            }
            var block = _buffer.AsSpan(_start, BlockSize);
            if (!block.ContainsAnyExcept((byte)0))
            {
                long zeroAt = Position;
                _start += BlockSize;
                if (await EnsureAsync(BlockSize, cancellationToken).ConfigureAwait(false)
                    && _buffer.AsSpan(_start, BlockSize).ContainsAnyExcept((byte)0))
                    throw new LayerFormatException($"layer tar has a lone zero block at offset {zeroAt} followed by more entries");
                if (_end - _start >= BlockSize) _start += BlockSize;
                if (longName is not null || longLink is not null || pax is not null)
                    throw new LayerFormatException("layer tar ends right after an extended header");
                _finished = true;
                return null;
            }

            var header = ParseHeader(block, Position);
            _start += BlockSize;
            long size = header.Size;
            switch (header.Type)
            {
                case (byte)'x':
                case (byte)'g':
                case (byte)'L':
                case (byte)'K':
                {
                    if (size > MaxMetadataSize)
                        throw new LayerFormatException(
                            $"layer tar entry {Quote(header.Name)} has a {size}-byte extended header, over the {MaxMetadataSize >> 20} MiB limit");
                    byte[] data = await ReadSmallAsync((int)size, header.Name, cancellationToken).ConfigureAwait(false);
                    if (header.Type == 'x') (pax ??= new PaxRecords()).Parse(data, header.Name);
                    else if (header.Type == 'L') longName = CString(data);
                    else if (header.Type == 'K') longLink = CString(data);
                    continue; // global headers ('g') are ignored, as Docker does
                }
                case (byte)'S':
                    throw new LayerFormatException($"layer tar entry {Quote(longName ?? header.Name)} is a GNU sparse file, which is not supported");
            }

            if (longName is not null) header.Name = longName;
            if (longLink is not null) header.LinkName = longLink;
            pax?.ApplyTo(header);
            if (header.Type == TarEntryHeader.TypeRegularV7 && header.Name.EndsWith('/'))
                header.Type = TarEntryHeader.TypeDirectory;
            if (header.Type is TarEntryHeader.TypeHardLink or TarEntryHeader.TypeSymlink or TarEntryHeader.TypeCharDevice
                or TarEntryHeader.TypeBlockDevice or TarEntryHeader.TypeDirectory or TarEntryHeader.TypeFifo)
                header.Size = 0;
            if (header.Size < 0)
                throw new LayerFormatException($"layer tar entry {Quote(header.Name)} has a negative size");
            _currentName = header.Name;
            _remainingData = header.Size;
            _remainingPadding = (int)((BlockSize - (header.Size % BlockSize)) % BlockSize);
            return header;
        }
    }

    /// <summary>The next slice of the current entry's data, valid until the next call; empty when the data is done.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadDataAsync(CancellationToken cancellationToken)
    {
        if (_remainingData == 0) return ReadOnlyMemory<byte>.Empty;
        if (_end == _start && !await EnsureAsync(1, cancellationToken).ConfigureAwait(false))
            throw Truncated();
        int n = (int)Math.Min(_end - _start, _remainingData);
        var slice = new ReadOnlyMemory<byte>(_buffer, _start, n);
        _start += n;
        _remainingData -= n;
        return slice;
    }

    /// <summary>Reads (and hashes) whatever follows the end of the archive, up to <see cref="MaxTrailingBytes"/>.</summary>
    public async ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        if (!_finished) throw new InvalidOperationException("the archive has not been read to its end");
        long trailing = _end - _start;
        _start = _end = 0;
        while (!_eof)
        {
            if (trailing > MaxTrailingBytes)
                throw new LayerFormatException($"layer tar continues for more than {MaxTrailingBytes >> 20} MiB after its end marker");
            int n = await _input.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) { _eof = true; break; }
            _hash.AppendData(_buffer, 0, n);
            BytesRead += n;
            trailing += n;
        }
        if (trailing > MaxTrailingBytes)
            throw new LayerFormatException($"layer tar continues for more than {MaxTrailingBytes >> 20} MiB after its end marker");
    }

    private LayerFormatException Truncated() =>
        new(_currentName.Length > 0 && _remainingData > 0
            ? $"unexpected end of layer tar in entry {Quote(_currentName)} ({_remainingData} bytes of data missing)"
            : $"unexpected end of layer tar at offset {Position}");

    private async ValueTask SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_end == _start && !await EnsureAsync(1, cancellationToken).ConfigureAwait(false))
                throw Truncated();
            int n = (int)Math.Min(_end - _start, count);
            _start += n;
            count -= n;
            if (_remainingData > 0) _remainingData = Math.Max(0, _remainingData - n);
        }
    }

    private async ValueTask<byte[]> ReadSmallAsync(int size, string name, CancellationToken cancellationToken)
    {
        byte[] data = new byte[size];
        int have = 0;
        _currentName = name;
        _remainingData = size;
        while (have < size)
        {
            var chunk = await ReadDataAsync(cancellationToken).ConfigureAwait(false);
            chunk.Span.CopyTo(data.AsSpan(have));
            have += chunk.Length;
        }
        await SkipAsync((BlockSize - (size % BlockSize)) % BlockSize, cancellationToken).ConfigureAwait(false);
        return data;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available at _start; false at end of input.</summary>
    private async ValueTask<bool> EnsureAsync(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            if (_eof) return false;
            if (_start == _end) _start = _end = 0;
            else if (_buffer.Length - _start < count || _end == _buffer.Length)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int n = await _input.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0) { _eof = true; return false; }
            _hash.AppendData(_buffer, _end, n);
            _end += n;
            BytesRead += n;
        }
        return true;
    }

    private static TarEntryHeader ParseHeader(ReadOnlySpan<byte> block, long offset)
    {
        long stored = ParseNumber(block.Slice(148, 8), offset, "checksum");
        long unsignedSum = 0, signedSum = 0;
        for (int i = 0; i < BlockSize; i++)
        {
            byte b = i is >= 148 and < 156 ? (byte)' ' : block[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        if (stored != unsignedSum && stored != signedSum)
            throw new LayerFormatException($"layer tar has an invalid header at offset {offset} (checksum mismatch)");

        var magic = block.Slice(257, 8);
        bool posix = magic[..6].SequenceEqual("ustar\0"u8);
        string name = CString(block[..100]);
        if (posix && block[345] != 0)
            name = CString(block.Slice(345, 155)) + "/" + name;
        return new TarEntryHeader
        {
            Name = name,
            Mode = (uint)(ParseNumber(block.Slice(100, 8), offset, "mode") & 0xFFF),
            Uid = ParseNumber(block.Slice(108, 8), offset, "uid"),
            Gid = ParseNumber(block.Slice(116, 8), offset, "gid"),
            Size = ParseNumber(block.Slice(124, 12), offset, "size"),
            MtimeSeconds = ParseNumber(block.Slice(136, 12), offset, "mtime"),
            Type = block[156],
            LinkName = CString(block.Slice(157, 100)),
            DevMajor = (uint)ParseNumber(block.Slice(329, 8), offset, "devmajor"),
            DevMinor = (uint)ParseNumber(block.Slice(337, 8), offset, "devminor"),
        };
    }

    /// <summary>Octal ASCII (space/NUL padded) or GNU base-256 (high bit set) numbers.</summary>
    private static long ParseNumber(ReadOnlySpan<byte> field, long offset, string what)
    {
        if ((field[0] & 0x80) != 0)
        {
            bool negative = (field[0] & 0x40) != 0;
            long value = negative ? -1 : 0;
            value = (value << 8) | (byte)(field[0] & 0x7F | (negative ? 0x80 : 0));
            for (int i = 1; i < field.Length; i++)
            {
                if (!negative && value > (long.MaxValue >> 8))
                    throw new LayerFormatException($"layer tar has an invalid header at offset {offset} ({what} too large)");
                value = (value << 8) | field[i];
            }
            return value;
        }
        long result = 0;
        int p = 0;
        while (p < field.Length && (field[p] == ' ' || field[p] == 0)) p++;
        for (; p < field.Length; p++)
        {
            byte b = field[p];
            if (b == ' ' || b == 0) break;
            if (b < '0' || b > '7')
                throw new LayerFormatException($"layer tar has an invalid header at offset {offset} (bad {what} field)");
            if (result > (long.MaxValue >> 3))
                throw new LayerFormatException($"layer tar has an invalid header at offset {offset} ({what} too large)");
            result = (result << 3) | (long)(b - '0');
        }
        return result;
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        int nul = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? field : field[..nul]);
    }

    /// <summary>Quotes an entry name for a one-line message, escaping control characters.</summary>
    public static string Quote(string name)
    {
        var sb = new StringBuilder(name.Length + 2).Append('"');
        foreach (char c in name)
        {
            if (c == '"' || c == '\\') sb.Append('\\').Append(c);
            else if (char.IsControl(c)) sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Records of one PAX extended header ('x'), applied to the entry that follows it.</summary>
    private sealed class PaxRecords
    {
        private readonly Dictionary<string, byte[]> _records = new(StringComparer.Ordinal);
        private List<KeyValuePair<string, byte[]>>? _xattrs;

        public void Parse(ReadOnlySpan<byte> data, string headerName)
        {
            while (!data.IsEmpty)
            {
                int space = data.IndexOf((byte)' ');
                if (space <= 0 || !Utf8Parser.TryParse(data[..space], out int length, out int used) || used != space
                    || length <= space + 1 || length > data.Length || data[length - 1] != '\n')
                    throw new LayerFormatException($"layer tar entry {Quote(headerName)} has a malformed PAX record");
                var record = data[(space + 1)..(length - 1)];
                int eq = record.IndexOf((byte)'=');
                if (eq <= 0) throw new LayerFormatException($"layer tar entry {Quote(headerName)} has a malformed PAX record");
                string key = Encoding.UTF8.GetString(record[..eq]);
                byte[] value = record[(eq + 1)..].ToArray();
                if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                    (_xattrs ??= []).Add(new(key["SCHILY.xattr.".Length..], value));
                else if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal))
                    throw new LayerFormatException($"layer tar entry {Quote(headerName)} is a GNU sparse file, which is not supported");
                else
                    _records[key] = value;
                data = data[length..];
            }
        }

        public void ApplyTo(TarEntryHeader header)
        {
            if (_records.TryGetValue("path", out var path)) header.Name = Encoding.UTF8.GetString(path);
            if (_records.TryGetValue("linkpath", out var link)) header.LinkName = Encoding.UTF8.GetString(link);
            if (_records.TryGetValue("size", out var size)) header.Size = Integer(size, "size", header);
            if (_records.TryGetValue("uid", out var uid)) header.Uid = Integer(uid, "uid", header);
            if (_records.TryGetValue("gid", out var gid)) header.Gid = Integer(gid, "gid", header);
            if (_records.TryGetValue("mtime", out var mtime)) ParseTime(mtime, header);
            if (_xattrs is not null) header.Xattrs = _xattrs;
        }

        private static long Integer(byte[] value, string key, TarEntryHeader header)
        {
            if (!Utf8Parser.TryParse(value, out long result, out int used) || used != value.Length || result < 0)
                throw new LayerFormatException($"layer tar entry {Quote(header.Name)} has an invalid PAX {key} record");
            return result;
        }

        private static void ParseTime(byte[] value, TarEntryHeader header)
        {
            ReadOnlySpan<byte> text = value;
            int dot = text.IndexOf((byte)'.');
            var whole = dot < 0 ? text : text[..dot];
            if (!Utf8Parser.TryParse(whole, out long seconds, out int used) || used != whole.Length)
                throw new LayerFormatException($"layer tar entry {Quote(header.Name)} has an invalid PAX mtime record");
            long nanos = 0;
            if (dot >= 0)
            {
                var fraction = text[(dot + 1)..];
                for (int i = 0; i < 9; i++)
                {
                    int digit = i < fraction.Length ? fraction[i] - '0' : 0;
                    if (digit is < 0 or > 9) throw new LayerFormatException($"layer tar entry {Quote(header.Name)} has an invalid PAX mtime record");
                    nanos = nanos * 10 + digit;
                }
                if (text[0] == '-' && nanos > 0) { seconds -= 1; nanos = 1_000_000_000 - nanos; }
            }
            header.MtimeSeconds = seconds;
            header.MtimeNanoseconds = nanos;
        }
    }
}
