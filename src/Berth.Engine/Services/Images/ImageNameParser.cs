using Berth.Engine.Content;

namespace Berth.Engine.Services.Images;

/// <summary>Parses user-supplied image names into <see cref="ImageName"/> (Docker's normalisation).</summary>
public static class ImageNameParser
{
    public static ImageName Parse(string text)
    {
        if (!TryParse(text, out var name, out var error)) throw new InvalidInputException(error!);
        return name!;
    }

    public static bool TryParse(string text, out ImageName? name, out string? error)
    {
        name = null;
        error = null;
        string rest = text;
        Digest? digest = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (!Digest.TryParse(rest[(at + 1)..], out var d)) { error = $"invalid reference format: invalid digest in \"{text}\""; return false; }
            digest = d;
            rest = rest[..at];
        }
        string? tag = null;
        int lastSlash = rest.LastIndexOf('/');
        int colon = rest.LastIndexOf(':');
        if (colon > lastSlash) { tag = rest[(colon + 1)..]; rest = rest[..colon]; }
        if (rest.Length == 0 || rest.Any(char.IsUpper) && !rest.Contains('/')) { error = rest.Length == 0 ? "invalid reference format" : $"invalid reference format: repository name ({rest}) must be lowercase"; return false; }
        string domain = "docker.io", path = rest;
        int slash = rest.IndexOf('/');
        if (slash > 0 && (rest[..slash].Contains('.') || rest[..slash].Contains(':') || rest[..slash] == "localhost"))
        {
            domain = rest[..slash];
            path = rest[(slash + 1)..];
        }
        if (domain == "docker.io" && !path.Contains('/')) path = "library/" + path;
        if (tag is null && digest is null) tag = "latest";
        string familiar = domain == "docker.io" ? (path.StartsWith("library/", StringComparison.Ordinal) ? path[8..] : path) : domain + "/" + path;
        name = new ImageName(domain + "/" + path, tag, digest, familiar);
        return true;
    }

    /// <summary>The familiar form of a stored tag key (<c>docker.io/library/busybox:latest</c> → <c>busybox:latest</c>).</summary>
    public static string Familiar(string canonical) => TryParse(canonical, out var n, out _) ? n!.Familiar : canonical;

    public static bool LooksLikeIdPrefix(string text)
    {
        string hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text[7..] : text;
        return hex.Length is > 0 and <= 64 && hex.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
    }
}
