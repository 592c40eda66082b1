using System.Security.Cryptography;

namespace Berth.Engine.Content;

/// <summary>A content digest such as <c>sha256:9f86d0…</c>; only sha256 is produced, sha512 is accepted on input.</summary>
public readonly record struct Digest(string Algorithm, string Hex) : IComparable<Digest>
{
    public const string Sha256 = "sha256";

    public override string ToString() => Algorithm + ":" + Hex;

    /// <summary>The 12-character short form Docker prints for image IDs.</summary>
    public string Short => Hex.Length > 12 ? Hex[..12] : Hex;

    public static Digest Parse(string text)
    {
        if (!TryParse(text, out var digest))
            throw new FormatException($"invalid digest \"{text}\": expected sha256:<64 hex characters>");
        return digest;
    }

    public static bool TryParse(string? text, out Digest digest)
    {
        digest = default;
        if (string.IsNullOrEmpty(text)) return false;
        int colon = text.IndexOf(':');
        if (colon <= 0) return false;
        string algorithm = text[..colon];
        string hex = text[(colon + 1)..];
        int expected = algorithm switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (expected < 0 || hex.Length != expected) return false;
        foreach (char c in hex)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        digest = new Digest(algorithm, hex);
        return true;
    }

    public static Digest FromHash(byte[] sha256) => new(Sha256, Convert.ToHexStringLower(sha256));

    public static Digest Of(ReadOnlySpan<byte> data) => FromHash(SHA256.HashData(data));

    public static Digest Of(string utf8Text) => Of(System.Text.Encoding.UTF8.GetBytes(utf8Text));

    public static async Task<Digest> OfStreamAsync(Stream stream, CancellationToken cancellationToken = default)
        => FromHash(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));

    public int CompareTo(Digest other) => string.CompareOrdinal(ToString(), other.ToString());
}
