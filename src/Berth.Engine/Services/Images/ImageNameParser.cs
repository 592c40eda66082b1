using Berth.Engine.References;

namespace Berth.Engine.Services.Images;

/// <summary>Parses user-supplied image names into <see cref="ImageName"/> with Docker's normalisation (see <see cref="ReferenceParser"/>).</summary>
public static class ImageNameParser
{
    public static ImageName Parse(string text) => From(ReferenceParser.ParseDockerRef(text));

    public static bool TryParse(string text, out ImageName? name, out string? error)
    {
        try
        {
            name = Parse(text);
            error = null;
            return true;
        }
        catch (ReferenceFormatException e)
        {
            name = null;
            error = e.Message;
            return false;
        }
    }

    static ImageName From(Reference reference) => new(reference.Name, reference.Tag, reference.Digest, reference.Familiar);

    /// <summary>The familiar form of a stored name (<c>docker.io/library/busybox:latest</c> → <c>busybox:latest</c>).</summary>
    public static string Familiar(string canonical) => TryParse(canonical, out var n, out _) ? n!.Familiar : canonical;

    public static bool LooksLikeIdPrefix(string text) => ReferenceParser.LooksLikeIdPrefix(text);

    /// <summary>Docker's `reference=` filter: a path.Match pattern against the familiar name, with or without its tag.</summary>
    public static bool MatchesReferenceFilter(ImageName name, string pattern)
        => ReferenceParser.ParseNormalizedNamed(name.TagKey).FamiliarMatch(pattern);
}
