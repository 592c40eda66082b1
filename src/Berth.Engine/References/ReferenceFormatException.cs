namespace Berth.Engine.References;

/// <summary>An image reference (name, tag or digest) does not follow Docker's grammar; the message is the one Docker prints.</summary>
public sealed class ReferenceFormatException(string message) : InvalidInputException(message)
{
    /// <summary>Docker's generic message when the text does not match the reference grammar at all.</summary>
    public const string InvalidFormat = "invalid reference format";
    public const string NameEmpty = "repository name must have at least one component";
    public const string NameContainsUppercase = "repository name must be lowercase";
    public const string TagInvalidFormat = "invalid tag format";
    public const string DigestInvalidFormat = "invalid digest format";
    public const string NameNotCanonical = "repository name must be canonical";
    public static readonly string NameTooLong = $"repository name must not be more than {ReferenceParser.RepositoryNameTotalLengthMax} characters";

    // go-digest's messages, which Docker passes through for a digest that matches the grammar but not its algorithm.
    public const string ChecksumInvalidFormat = "invalid checksum digest format";
    public const string ChecksumInvalidLength = "invalid checksum digest length";
    public const string DigestUnsupported = "unsupported digest algorithm";
}
