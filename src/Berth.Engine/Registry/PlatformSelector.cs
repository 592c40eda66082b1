using Berth.Engine.Images;

namespace Berth.Engine.Registry;

/// <summary>Picks the manifest for a platform out of an image index, with Docker's (containerd's) matching rules.</summary>
public static class PlatformSelector
{
    /// <summary>The best entry of <paramref name="index"/> for <paramref name="wanted"/>; throws listing the available platforms when none fits.</summary>
    public static Descriptor Select(ImageIndex index, Platform wanted)
        => TrySelect(index, wanted) ?? throw new NotFoundException(
            $"no matching manifest for {Describe(wanted)} in the manifest list entries (available: {string.Join(", ", Available(index))})");

    public static Descriptor? TrySelect(ImageIndex index, Platform wanted)
    {
        var want = Normalise(wanted);
        Descriptor? best = null;
        int bestRank = int.MaxValue;
        foreach (var entry in index.Manifests)
        {
            if (entry.Platform is null) continue;
            int rank = Rank(want, Normalise(entry.Platform));
            if (rank < bestRank)
            {
                best = entry;
                bestRank = rank;
            }
        }
        return best;
    }

    /// <summary>The platforms an index offers, without attestation entries (<c>unknown/unknown</c>).</summary>
    public static IReadOnlyList<string> Available(ImageIndex index)
        => index.Manifests.Where(m => m.Platform is { } p && p.Os != "unknown").Select(m => Describe(m.Platform!)).Distinct().ToList();

    static string Describe(Platform p)
    {
        var n = Normalise(p);
        // Docker prints arm64 without its implied v8, and amd64 without v1.
        bool defaultVariant = (n.Architecture == "arm64" && n.Variant == "v8") || (n.Architecture == "amd64" && n.Variant == "v1");
        return n.Variant is null || defaultVariant ? $"{n.Os}/{n.Architecture}" : $"{n.Os}/{n.Architecture}/{n.Variant}";
    }

    /// <summary>Architecture names as Go spells them and the implied default variants (arm64 → v8, arm → v7, amd64 → v1).</summary>
    public static Platform Normalise(Platform p)
    {
        string os = p.Os.ToLowerInvariant();
        string arch = p.Architecture.ToLowerInvariant();
        string? variant = string.IsNullOrEmpty(p.Variant) ? null : p.Variant.ToLowerInvariant();
        switch (arch)
        {
            case "x86_64" or "x86-64" or "x64":
                arch = "amd64";
                break;
            case "aarch64":
                arch = "arm64";
                break;
            case "armhf":
                arch = "arm";
                variant ??= "v7";
                break;
            case "armel":
                arch = "arm";
                variant ??= "v6";
                break;
            case "i386" or "x86":
                arch = "386";
                break;
        }
        if (arch == "arm64" && (variant is null or "8")) variant = "v8";
        if (arch == "arm") variant = variant switch { null => "v7", "5" or "6" or "7" or "8" => "v" + variant, _ => variant };
        if (arch == "amd64") variant ??= "v1";
        return p with { Os = os, Architecture = arch, Variant = variant };
    }

    /// <summary>0 for an exact match, higher for older compatible variants, <see cref="int.MaxValue"/> when incompatible.</summary>
    static int Rank(Platform want, Platform have)
    {
        if (want.Os != have.Os || want.Architecture != have.Architecture) return int.MaxValue;
        if (want.Variant == have.Variant) return 0;
        // Older variants run on newer CPUs: arm/v7 runs arm/v6 and v5 images, amd64/v3 runs v2 and v1.
        if (want.Architecture is "arm" or "amd64" && VariantNumber(want.Variant) is int w && VariantNumber(have.Variant) is int h && h < w)
            return w - h;
        return int.MaxValue;
    }

    static int? VariantNumber(string? variant)
        => variant is { Length: >= 2 } && variant[0] == 'v' && int.TryParse(variant[1..], out int n) ? n : null;
}
