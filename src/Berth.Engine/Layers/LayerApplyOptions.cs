using Berth.Engine.Content;

namespace Berth.Engine.Layers;

/// <summary>How whiteouts in a layer tar are written to disk.</summary>
public enum WhiteoutMode
{
    /// <summary>The target is one overlayfs lower dir: whiteouts become 0/0 character devices, opaque dirs get <c>trusted.overlay.opaque=y</c>.</summary>
    Overlay,
    /// <summary>The target is a full tree holding the lower layers: whiteouts delete, opaque markers empty the directory of older content.</summary>
    Flat,
}

/// <summary>Options for <see cref="LayerApplier.ApplyAsync"/>.</summary>
public sealed record LayerApplyOptions
{
    public static LayerApplyOptions Overlay { get; } = new();
    public static LayerApplyOptions Flat { get; } = new() { WhiteoutMode = WhiteoutMode.Flat };

    public WhiteoutMode WhiteoutMode { get; init; } = WhiteoutMode.Overlay;
    /// <summary>When false, character and block device entries are refused (untrusted input without root-mapped ids); fifos are always allowed.</summary>
    public bool AllowDeviceNodes { get; init; } = true;
    /// <summary>When false, entries keep the caller's uid/gid (rootless extraction).</summary>
    public bool PreserveOwnership { get; init; } = true;
    /// <summary>Added to every uid in the archive (user-namespace remapping).</summary>
    public int UidOffset { get; init; }
    /// <summary>Added to every gid in the archive.</summary>
    public int GidOffset { get; init; }
    /// <summary>Size of the one read buffer; file data is written straight from it.</summary>
    public int BufferSize { get; init; } = 1 << 20;
}

/// <summary>What applying a layer produced: the diffID (sha256 of the uncompressed tar bytes, all of them) and its size.</summary>
public sealed record LayerApplyResult(Digest DiffId, long UncompressedSize, int EntryCount, int SkippedXattrs);
