using Berth.Engine.Content;

namespace Berth.Engine.Services.Images;

/// <summary>A parsed user-supplied image name, in the forms the image store keys on.</summary>
/// <param name="Repository">Canonical repository, e.g. <c>docker.io/library/busybox</c>.</param>
/// <param name="Tag">The tag, <c>latest</c> when neither tag nor digest was given.</param>
public sealed record ImageName(string Repository, string? Tag, Digest? Digest, string FamiliarRepository)
{
    /// <summary>Canonical tag key, e.g. <c>docker.io/library/busybox:latest</c>.</summary>
    public string TagKey => Repository + ":" + Tag;

    public string Familiar => FamiliarRepository + (Digest is { } d ? "@" + d : ":" + Tag);
}
