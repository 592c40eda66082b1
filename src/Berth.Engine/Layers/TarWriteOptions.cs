using Berth.Engine.Content;

namespace Berth.Engine.Layers;

/// <summary>Options for <see cref="LayerDiffer"/>'s tar writers.</summary>
public sealed record TarWriteOptions
{
    public static TarWriteOptions Default { get; } = new();

    /// <summary>Unix seconds; every mtime later than this is clamped to it (reproducible builds, SOURCE_DATE_EPOCH).</summary>
    public long? SourceDateEpoch { get; init; }
    /// <summary>Prepended to every entry name, e.g. <c>rootfs/</c>; must end with '/' to name a directory.</summary>
    public string? PathPrefix { get; init; }
    /// <summary>Called with each root-relative path (no leading or trailing '/'); false leaves the entry (and a directory's subtree) out.</summary>
    public Func<string, bool>? Include { get; init; }
    /// <summary>Write xattrs as PAX <c>SCHILY.xattr.*</c> records (user.*, trusted.* except overlayfs', system.posix_acl_*, security.capability).</summary>
    public bool IncludeXattrs { get; init; } = true;
    /// <summary>Size of the one output buffer, which file data is read straight into.</summary>
    public int BufferSize { get; init; } = 1 << 20;
}

/// <summary>What writing a layer tar produced: sha256 of the exact bytes written and their count.</summary>
public sealed record LayerTarResult(Digest DiffId, long Size);

/// <summary>Kind of a filesystem change, with the letters <c>docker diff</c> prints.</summary>
public enum ChangeKind
{
    Modified,
    Added,
    Deleted,
}

/// <summary>One line of <c>docker diff</c>: kind and absolute path in the container.</summary>
public sealed record LayerChange(ChangeKind Kind, string Path)
{
    public char Letter => Kind switch { ChangeKind.Added => 'A', ChangeKind.Deleted => 'D', _ => 'C' };

    public override string ToString() => $"{Letter} {Path}";
}
