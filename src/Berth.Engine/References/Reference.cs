using Berth.Engine.Content;

namespace Berth.Engine.References;

/// <summary>
/// A parsed image reference: <c>Domain/Path[:Tag][@Digest]</c>. References from <see cref="ReferenceParser.ParseNormalizedNamed"/>
/// always carry a domain (<c>docker.io</c> for Docker Hub); an ID-only reference (from <see cref="ReferenceParser.ParseAnyReference"/>)
/// has an empty name and only a digest.
/// </summary>
public sealed record Reference(string Domain, string Path, string? Tag = null, Digest? Digest = null)
{
    public const string DefaultDomain = "docker.io";
    public const string LegacyDefaultDomain = "index.docker.io";
    public const string OfficialRepoPrefix = "library/";
    public const string DefaultTag = "latest";

    /// <summary>Full repository name without tag or digest: <c>docker.io/library/busybox</c>.</summary>
    public string Name => Domain.Length == 0 ? Path : Domain + "/" + Path;

    /// <summary>Same as <see cref="Name"/>: the fully qualified repository name.</summary>
    public string FullName => Name;

    /// <summary>The repository name as <c>docker images</c> shows it: <c>busybox</c>, <c>user/app</c>, <c>localhost:5000/a/b</c>.</summary>
    public string Familiar
    {
        get
        {
            if (Domain != DefaultDomain) return Name;
            if (Path.StartsWith(OfficialRepoPrefix, StringComparison.Ordinal))
            {
                string rest = Path[OfficialRepoPrefix.Length..];
                if (!rest.Contains('/')) return rest;
            }
            return Path;
        }
    }

    /// <summary>The familiar name with tag and digest: <c>busybox:latest</c>.</summary>
    public string FamiliarString => HasName ? Familiar + Suffix : Suffix.TrimStart('@');

    /// <summary>False only for an ID-only reference (a bare digest or 64-hex image ID).</summary>
    public bool HasName => Path.Length != 0;

    /// <summary>True when the reference names a repository without tag or digest.</summary>
    public bool IsNameOnly => HasName && Tag is null && Digest is null;

    /// <summary>True for a reference that is only an image ID / digest, with no repository name.</summary>
    public bool IsDigestOnly => !HasName && Digest is not null;

    private string Suffix => (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    /// <summary>Canonical form: <c>docker.io/library/busybox:latest</c>, <c>docker.io/library/busybox@sha256:…</c>.</summary>
    public override string ToString() => HasName ? Name + Suffix : Suffix.TrimStart('@');

    /// <summary>The same repository with <paramref name="tag"/> (the digest, if any, is kept).</summary>
    public Reference WithTag(string tag)
    {
        if (!ReferenceParser.IsValidTag(tag)) throw new ReferenceFormatException(ReferenceFormatException.TagInvalidFormat);
        return this with { Tag = tag };
    }

    /// <summary>The same repository with <paramref name="digest"/> (the tag, if any, is kept).</summary>
    public Reference WithDigest(Digest digest) => this with { Digest = digest };

    /// <summary>Adds the <c>latest</c> tag when the reference has neither tag nor digest (Docker's <c>TagNameOnly</c>).</summary>
    public Reference WithDefaultTag() => IsNameOnly ? this with { Tag = DefaultTag } : this;

    /// <summary>The repository alone, without tag or digest (Docker's <c>TrimNamed</c>).</summary>
    public Reference WithoutTagOrDigest() => this with { Tag = null, Digest = null };

    /// <summary>
    /// The reference the engine stores and pulls (Docker's <c>ParseDockerRef</c>): <c>latest</c> added to a bare name,
    /// and the tag dropped when a digest is present, because the digest alone identifies the content.
    /// </summary>
    public Reference ToDockerRef() => Digest is not null ? this with { Tag = null } : WithDefaultTag();

    /// <summary>
    /// Docker's <c>FamiliarMatch</c>, used by <c>docker images PATTERN</c> and <c>--filter reference=</c>: the shell pattern
    /// (Go <c>path.Match</c>) is tried against the familiar string and then against the familiar name.
    /// </summary>
    public bool FamiliarMatch(string pattern)
    {
        if (PathPattern.Match(pattern, FamiliarString)) return true;
        return HasName && PathPattern.Match(pattern, Familiar);
    }
}
