namespace Berth.Engine.Services.Volumes;

/// <summary>Docker's <c>label=KEY</c>, <c>label=KEY=VALUE</c> and <c>label!=…</c> filter conditions over a label map.</summary>
public sealed record LabelFilter(string Key, string? Value, bool Negated)
{
    /// <summary>Parses the text after <c>label=</c> (or <c>label!=</c> when <paramref name="negated"/>).</summary>
    public static LabelFilter Parse(string text, bool negated = false)
    {
        int eq = text.IndexOf('=');
        return eq < 0 ? new(text, null, negated) : new(text[..eq], text[(eq + 1)..], negated);
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        bool found = labels.TryGetValue(Key, out var value) && (Value is null || value == Value);
        return found != Negated;
    }
}
