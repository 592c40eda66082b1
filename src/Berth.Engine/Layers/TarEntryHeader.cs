namespace Berth.Engine.Layers;

/// <summary>One tar entry as read from a layer, after PAX and GNU long-name records have been folded in.</summary>
internal sealed class TarEntryHeader
{
    public const byte TypeRegular = (byte)'0';
    public const byte TypeRegularV7 = 0;
    public const byte TypeHardLink = (byte)'1';
    public const byte TypeSymlink = (byte)'2';
    public const byte TypeCharDevice = (byte)'3';
    public const byte TypeBlockDevice = (byte)'4';
    public const byte TypeDirectory = (byte)'5';
    public const byte TypeFifo = (byte)'6';
    public const byte TypeContiguous = (byte)'7';

    /// <summary>The name exactly as the archive spells it (not yet normalised).</summary>
    public string Name { get; set; } = "";
    public string LinkName { get; set; } = "";
    public byte Type { get; set; }
    public uint Mode { get; set; }
    public long Uid { get; set; }
    public long Gid { get; set; }
    /// <summary>Bytes of data that follow the header (0 for header-only types whatever the size field says).</summary>
    public long Size { get; set; }
    public long MtimeSeconds { get; set; }
    public long MtimeNanoseconds { get; set; }
    public uint DevMajor { get; set; }
    public uint DevMinor { get; set; }
    /// <summary>Xattrs from PAX <c>SCHILY.xattr.*</c> records, in archive order.</summary>
    public List<KeyValuePair<string, byte[]>>? Xattrs { get; set; }

    public bool IsRegularFile => Type is TypeRegular or TypeRegularV7 or TypeContiguous;

    public string TypeDescription => Type switch
    {
        TypeRegular or TypeRegularV7 or TypeContiguous => "regular file",
        TypeHardLink => "hardlink",
        TypeSymlink => "symlink",
        TypeCharDevice => "character device",
        TypeBlockDevice => "block device",
        TypeDirectory => "directory",
        TypeFifo => "fifo",
        _ => $"entry of type '{(char)Type}'",
    };
}
