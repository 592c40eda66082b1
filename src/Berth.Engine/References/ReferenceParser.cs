using System.Text.RegularExpressions;
using Berth.Engine.Content;

namespace Berth.Engine.References;

/// <summary>Parses image references with Docker's grammar (distribution/reference) and Docker Hub normalisation.</summary>
public static partial class ReferenceParser
{
    public const int RepositoryNameTotalLengthMax = 255;

    // The grammar, spelled with explicit ASCII classes: .NET's \w and $ are wider than Go's RE2.
    private const string Alphanumeric = "[a-z0-9]+";
    private const string Separator = "(?:[._]|__|[-]+)";
    private const string DomainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string OptionalPort = "(?::[0-9]+)?";
    private const string TagPattern = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    private const string DigestPattern = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}";
    private const string Ipv6Address = @"\[(?:[a-fA-F0-9:]+)\]";
    private const string DomainName = DomainNameComponent + @"(?:\." + DomainNameComponent + ")*";
    private const string Host = "(?:" + DomainName + "|" + Ipv6Address + ")";
    private const string DomainAndPort = Host + OptionalPort;
    private const string PathComponent = Alphanumeric + "(?:" + Separator + Alphanumeric + ")*";
    private const string RemoteName = PathComponent + "(?:/" + PathComponent + ")*";
    private const string NamePattern = "(?:" + DomainAndPort + "/)?" + RemoteName;

    [GeneratedRegex("^(" + NamePattern + ")(?::(" + TagPattern + "))?(?:@(" + DigestPattern + "))?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ReferenceRegex();

    [GeneratedRegex("^(?:(" + DomainAndPort + ")/)?(" + RemoteName + ")\\z", RegexOptions.CultureInvariant)]
    private static partial Regex AnchoredNameRegex();

    [GeneratedRegex("^" + TagPattern + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex AnchoredTagRegex();

    [GeneratedRegex("^" + DigestPattern + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex AnchoredDigestRegex();

    [GeneratedRegex("^[a-f0-9]{64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex AnchoredIdentifierRegex();

    [GeneratedRegex("^" + DomainAndPort + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex AnchoredDomainRegex();

    /// <summary>
    /// Strict parse without normalisation (Go <c>reference.Parse</c>): <c>busybox</c> stays <c>busybox</c> with an empty domain,
    /// and a domain is only recognised when followed by <c>/</c>.
    /// </summary>
    public static Reference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new ReferenceFormatException(ReferenceFormatException.NameEmpty);

        var m = ReferenceRegex().Match(text);
        if (!m.Success)
        {
            string lower = text.ToLowerInvariant();
            if (lower != text && ReferenceRegex().IsMatch(lower))
                throw new ReferenceFormatException(ReferenceFormatException.NameContainsUppercase);
            throw new ReferenceFormatException(ReferenceFormatException.InvalidFormat);
        }

        string name = m.Groups[1].Value;
        var nameMatch = AnchoredNameRegex().Match(name);
        string domain = nameMatch.Success ? nameMatch.Groups[1].Value : "";
        string path = nameMatch.Success ? nameMatch.Groups[2].Value : name;
        if (path.Length > RepositoryNameTotalLengthMax) throw new ReferenceFormatException(ReferenceFormatException.NameTooLong);

        string? tag = m.Groups[2].Success && m.Groups[2].Length > 0 ? m.Groups[2].Value : null;
        Digest? digest = m.Groups[3].Success && m.Groups[3].Length > 0 ? ParseDigest(m.Groups[3].Value) : null;
        return new Reference(domain, path, tag, digest);
    }

    /// <summary>
    /// Parses what a user types (<c>busybox</c>, <c>user/app:1.0</c>, <c>localhost:5000/a/b@sha256:…</c>) into a fully qualified
    /// reference: Docker Hub names get <c>docker.io</c> and, for single-component names, <c>library/</c>. No tag is added.
    /// </summary>
    public static Reference ParseNormalizedNamed(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (AnchoredIdentifierRegex().IsMatch(text))
            throw new ReferenceFormatException($"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings");

        var (domain, remainder) = SplitDockerDomain(text);
        int tagSep = remainder.IndexOf(':');
        string remote = tagSep >= 0 ? remainder[..tagSep] : remainder;
        if (remote.ToLowerInvariant() != remote)
            throw new ReferenceFormatException($"{ReferenceFormatException.InvalidFormat}: repository name ({remote}) must be lowercase");

        return Parse(domain + "/" + remainder);
    }

    /// <summary>Like <see cref="ParseNormalizedNamed"/> but returns false instead of throwing.</summary>
    public static bool TryParseNormalizedNamed(string? text, out Reference? reference)
    {
        reference = null;
        if (text is null) return false;
        try
        {
            reference = ParseNormalizedNamed(text);
            return true;
        }
        catch (ReferenceFormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// What the engine stores and pulls (Go <c>ParseDockerRef</c>): normalised, <c>latest</c> added to a bare name,
    /// and the tag dropped when a digest is also given.
    /// </summary>
    public static Reference ParseDockerRef(string text) => ParseNormalizedNamed(text).ToDockerRef();

    /// <summary>
    /// Accepts a name or an image ID (Go <c>ParseAnyReference</c>): a 64-hex string or <c>sha256:…</c> digest becomes an
    /// ID-only reference (<see cref="Reference.IsDigestOnly"/>); anything else is parsed as a normalised name.
    /// Short hex prefixes parse as names here; the image store resolves them first (see <see cref="LooksLikeIdPrefix"/>).
    /// </summary>
    public static Reference ParseAnyReference(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (AnchoredIdentifierRegex().IsMatch(text)) return new Reference("", "", null, new Digest(Digest.Sha256, text));
        if (Digest.TryParse(text, out var digest)) return new Reference("", "", null, digest);
        return ParseNormalizedNamed(text);
    }

    /// <summary>
    /// A strict repository name without tag or digest (Go <c>WithName</c>): <c>test.com:8080/foo</c>; not normalised.
    /// </summary>
    public static Reference ParseName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var m = AnchoredNameRegex().Match(name);
        if (!m.Success) throw new ReferenceFormatException(ReferenceFormatException.InvalidFormat);
        if (m.Groups[2].Length > RepositoryNameTotalLengthMax) throw new ReferenceFormatException(ReferenceFormatException.NameTooLong);
        return new Reference(m.Groups[1].Value, m.Groups[2].Value);
    }

    /// <summary>Parses a name that must already be in canonical form (Go <c>ParseNamed</c>): <c>docker.io/library/foo</c>, not <c>foo</c>.</summary>
    public static Reference ParseCanonicalNamed(string text)
    {
        var named = ParseNormalizedNamed(text);
        if (named.ToString() != text) throw new ReferenceFormatException(ReferenceFormatException.NameNotCanonical);
        return named;
    }

    /// <summary>True when <paramref name="tag"/> is a valid tag: <c>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}</c>.</summary>
    public static bool IsValidTag(string? tag) => tag is not null && AnchoredTagRegex().IsMatch(tag);

    /// <summary>True when <paramref name="domain"/> is a valid registry host with optional port (<c>localhost:5000</c>, <c>[::1]:5000</c>).</summary>
    public static bool IsValidDomain(string? domain) => domain is not null && AnchoredDomainRegex().IsMatch(domain);

    /// <summary>True for a full 64-hex image ID (which can never be a repository name).</summary>
    public static bool IsImageId(string? text) => text is not null && AnchoredIdentifierRegex().IsMatch(text);

    /// <summary>
    /// True when <paramref name="text"/> could be an image ID or a prefix of one: 1–64 lowercase hex digits, optionally
    /// after <c>sha256:</c>. The image store should try such input as an ID prefix before treating it as a name.
    /// </summary>
    public static bool LooksLikeIdPrefix(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        ReadOnlySpan<char> hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text.AsSpan(7) : text;
        if (hex.Length is 0 or > 64) return false;
        foreach (char c in hex)
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f')) return false;
        return true;
    }

    /// <summary>Validates a digest the way go-digest does after the grammar matched, with its error messages.</summary>
    public static Digest ParseDigest(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        if (colon <= 0 || colon + 1 == text.Length) throw new ReferenceFormatException(ReferenceFormatException.ChecksumInvalidFormat);
        string algorithm = text[..colon], encoded = text[(colon + 1)..];
        int expected = algorithm switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (expected < 0)
        {
            if (!AnchoredDigestRegex().IsMatch(text)) throw new ReferenceFormatException(ReferenceFormatException.ChecksumInvalidFormat);
            throw new ReferenceFormatException(ReferenceFormatException.DigestUnsupported);
        }
        if (encoded.Length != expected) throw new ReferenceFormatException(ReferenceFormatException.ChecksumInvalidLength);
        if (!Digest.TryParse(text, out var digest)) throw new ReferenceFormatException(ReferenceFormatException.ChecksumInvalidFormat);
        return digest;
    }

    // Docker Hub normalisation: the first component is a registry only if it is "localhost", contains '.' or ':',
    // or has an uppercase letter (which a repository path cannot have).
    private static (string Domain, string Remainder) SplitDockerDomain(string name)
    {
        int slash = name.IndexOf('/');
        if (slash < 0) return (Reference.DefaultDomain, Reference.OfficialRepoPrefix + name);

        string maybeDomain = name[..slash], maybeRemote = name[(slash + 1)..];
        string domain, remote;
        if (maybeDomain == "localhost") (domain, remote) = (maybeDomain, maybeRemote);
        else if (maybeDomain == Reference.LegacyDefaultDomain) (domain, remote) = (Reference.DefaultDomain, maybeRemote);
        else if (maybeDomain.AsSpan().IndexOfAny('.', ':') >= 0) (domain, remote) = (maybeDomain, maybeRemote);
        else if (maybeDomain.ToLowerInvariant() != maybeDomain) (domain, remote) = (maybeDomain, maybeRemote);
        else (domain, remote) = (Reference.DefaultDomain, name);

        if (domain == Reference.DefaultDomain && !remote.Contains('/')) remote = Reference.OfficialRepoPrefix + remote;
        return (domain, remote);
    }
}
