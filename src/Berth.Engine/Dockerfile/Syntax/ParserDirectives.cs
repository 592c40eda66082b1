namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>A parser directive from the top of a Dockerfile (<c># syntax=</c>, <c># escape=</c>, <c># check=</c>).</summary>
/// <param name="Name">Lower-cased name.</param>
/// <param name="Value">Value with surrounding white space trimmed.</param>
/// <param name="Line">1-based line.</param>
public sealed record Directive(string Name, string Value, int Line);

/// <summary>A directive found by <see cref="ParserDirectives.DetectSyntax"/> or <see cref="ParserDirectives.ParseDirective"/>.</summary>
/// <param name="Ref">The value up to the first space (the frontend image for <c>syntax</c>).</param>
/// <param name="CommandLine">The whole value.</param>
/// <param name="Line">1-based line (0 for the JSON form without a shebang, as BuildKit).</param>
public sealed record DirectiveMatch(string Ref, string CommandLine, int Line);

/// <summary>
/// Directive scanning as BuildKit does it: lines from the top of the file, each <c>PREFIX name = value</c>
/// with a known name, until the first line that is anything else.
/// </summary>
public sealed class ParserDirectives
{
    private static readonly string[] KnownNames = ["syntax", "escape", "check"];

    private readonly string _prefix;
    private int _line;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public ParserDirectives(string prefix = "#", int startLine = 0)
    {
        _prefix = prefix;
        _line = startLine;
    }

    /// <summary>True once a non-directive line has been seen; later lines are never directives.</summary>
    public bool Done { get; private set; }

    /// <summary>
    /// Looks at the next line (newline already removed). Returns the directive, or null when the line is not one.
    /// Throws <see cref="FormatException"/> for a repeated directive.
    /// </summary>
    public Directive? ParseLine(ReadOnlySpan<char> line)
    {
        _line++;
        if (Done) return null;
        if (!line.StartsWith(_prefix, StringComparison.Ordinal))
        {
            Done = true;
            return null;
        }
        line = line[_prefix.Length..].TrimStart();
        // ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$  (RE2: \s is ASCII white space, '.' excludes '\n')
        int p = 0;
        if (p >= line.Length || !char.IsAsciiLetter(line[p])) { Done = true; return null; }
        while (p < line.Length && char.IsAsciiLetterOrDigit(line[p])) p++;
        var name = line[..p];
        while (p < line.Length && IsReSpace(line[p])) p++;
        if (p >= line.Length || line[p] != '=') { Done = true; return null; }
        p++;
        var after = line[p..];
        if (after.IsEmpty) { Done = true; return null; }
        int q = 0;
        while (q < after.Length && IsReSpace(after[q])) q++;
        ReadOnlySpan<char> value;
        if (q == after.Length)
        {
            // "(.+?)" needs one character: RE2 backtracks and takes the last white-space one.
            value = after[^1..];
        }
        else
        {
            value = after[q..];
            int end = value.Length;
            while (end > 0 && IsReSpace(value[end - 1])) end--;
            value = value[..end];
        }

        string key = name.ToString().ToLowerInvariant();
        if (Array.IndexOf(KnownNames, key) < 0) { Done = true; return null; }
        if (!_seen.Add(key))
            throw new FormatException($"only one {key} parser directive can be used");
        return new Directive(key, value.ToString(), _line);
    }

    private static bool IsReSpace(char c) => c is ' ' or '\t' or '\n' or '\f' or '\r'; // RE2's \s

    /// <summary>All directives at the top of <paramref name="text"/> (one per line until the first other line).</summary>
    public List<Directive> ParseAll(string text)
    {
        var result = new List<Directive>();
        foreach (var line in ScanLines(text))
        {
            if (Done) break;
            var d = ParseLine(line);
            if (d is not null) result.Add(d);
        }
        return result;
    }

    // bufio.ScanLines: split on '\n', drop one trailing '\r'.
    private static IEnumerable<string> ScanLines(string text)
    {
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl;
            int len = end - start;
            if (len > 0 && text[end - 1] == '\r') len--;
            yield return text.Substring(start, len);
            if (nl < 0) break;
            start = nl + 1;
        }
    }

    /// <summary>
    /// Finds the frontend <c>syntax</c> directive: <c>#</c> form, then <c>//</c> form, then a JSON object with a
    /// string <c>"syntax"</c> member. A BOM and a leading <c>#!</c> line are skipped first.
    /// </summary>
    public static DirectiveMatch? DetectSyntax(string text) => Find("syntax", text, anyFormat: true);

    /// <summary>Finds directive <paramref name="key"/> in the <c>#</c> form only.</summary>
    public static DirectiveMatch? ParseDirective(string key, string text) => Find(key, text, anyFormat: false);

    private static DirectiveMatch? Find(string key, string text, bool anyFormat)
    {
        if (text.StartsWith('\uFEFF')) text = text[1..];
        int line = 0;
        int nl = text.IndexOf('\n');
        string first = nl < 0 ? text : text[..nl];
        if (first.StartsWith("#!", StringComparison.Ordinal))
        {
            text = nl < 0 ? "" : text[(nl + 1)..];
            line = 1;
        }

        var found = FindWith(new ParserDirectives("#", line), key, text);
        if (found is not null || !anyFormat) return found;
        found = FindWith(new ParserDirectives("//", line), key, text);
        if (found is not null) return found;

        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && doc.RootElement.TryGetProperty(key, out var v)
                && v.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                string s = v.GetString() ?? "";
                return new DirectiveMatch(s, s, line);
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        catch (InvalidOperationException)
        {
        }
        catch (ArgumentException)
        {
        }
        return null;
    }

    private static DirectiveMatch? FindWith(ParserDirectives parser, string key, string text)
    {
        // Like BuildKit, a repeated directive ends the scan but what was found before it still counts.
        foreach (var line in ScanLines(text))
        {
            if (parser.Done) break;
            Directive? d;
            try
            {
                d = parser.ParseLine(line);
            }
            catch (FormatException)
            {
                break;
            }
            if (d is null || d.Name != key) continue;
            int sp = d.Value.IndexOf(' ');
            return new DirectiveMatch(sp < 0 ? d.Value : d.Value[..sp], d.Value, d.Line);
        }
        return null;
    }
}
