namespace Berth.Engine.Layers;

/// <summary>Compression of a layer blob or ADD source, as told by its first bytes.</summary>
public enum LayerCompression
{
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

/// <summary>Recognises gzip, zstd, bzip2 and xz by their magic bytes.</summary>
public static class CompressionDetector
{
    /// <summary>Bytes needed to tell every supported format apart.</summary>
    public const int MagicLength = 6;

    public static LayerCompression Detect(ReadOnlySpan<byte> start)
    {
        if (start.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B])) return LayerCompression.Gzip;
        if (start.StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD])) return LayerCompression.Zstd;
        if (start.StartsWith("BZh"u8)) return LayerCompression.Bzip2;
        if (start.StartsWith((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])) return LayerCompression.Xz;
        return LayerCompression.None;
    }
}
