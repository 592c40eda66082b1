namespace Berth.Engine.Containers.Attach;

/// <summary>
/// The key sequence that detaches a client from a container's terminal, in Docker's notation: comma-separated keys, each a
/// single character, <c>ctrl-@</c>, <c>ctrl-a</c>…<c>ctrl-z</c>, <c>ctrl-[</c>, <c>ctrl-\</c>, <c>ctrl-]</c>, <c>ctrl-^</c>,
/// <c>ctrl-_</c> or <c>DEL</c>. Docker's default is <c>ctrl-p,ctrl-q</c>.
/// </summary>
public sealed record DetachKeys
{
    public const string DefaultSpec = "ctrl-p,ctrl-q";

    private DetachKeys(string spec, byte[] bytes)
    {
        Spec = spec;
        Bytes = bytes;
    }

    /// <summary>Ctrl-P Ctrl-Q.</summary>
    public static DetachKeys Default { get; } = Parse(DefaultSpec);

    /// <summary>The notation it was parsed from.</summary>
    public string Spec { get; }

    /// <summary>The bytes the terminal sends for the sequence.</summary>
    public IReadOnlyList<byte> Bytes { get; }

    /// <summary>Parses Docker's notation; null or empty means the default. Throws Docker's error for anything else.</summary>
    public static DetachKeys Parse(string? spec)
    {
        if (string.IsNullOrEmpty(spec)) return Default;
        var bytes = new List<byte>();
        foreach (var key in spec.Split(','))
        {
            if (key.Length == 1 && key[0] < 0x80) bytes.Add((byte)key[0]);
            else if (key == "DEL") bytes.Add(127);
            else if (Control(key) is { } code) bytes.Add(code);
            else throw new InvalidInputException($"Invalid detach keys ({spec}) provided");
        }
        return new DetachKeys(spec, [.. bytes]);
    }

    // ctrl-@ is 0, ctrl-a..ctrl-z 1..26, then ctrl-[ ctrl-\ ctrl-] ctrl-^ ctrl-_ 27..31 (moby/term's ASCII table).
    private static byte? Control(string key)
    {
        if (!key.StartsWith("ctrl-", StringComparison.Ordinal) || key.Length != 6) return null;
        char c = key[5];
        return c switch
        {
            '@' => 0,
            >= 'a' and <= 'z' => (byte)(c - 'a' + 1),
            '[' => 27,
            '\\' => 28,
            ']' => 29,
            '^' => 30,
            '_' => 31,
            _ => null,
        };
    }
}
