namespace Berth.Engine.References;

/// <summary>Shell-style pattern matching with Go <c>path.Match</c> semantics (<c>*</c> and <c>?</c> never cross a <c>/</c>), as Docker uses for reference filters.</summary>
public static class PathPattern
{
    /// <summary>Go's <c>path.ErrBadPattern</c> text.</summary>
    public const string BadPattern = "syntax error in pattern";

    /// <summary>True when <paramref name="name"/> matches the whole <paramref name="pattern"/>; throws <see cref="InvalidInputException"/> for a malformed pattern.</summary>
    public static bool Match(string pattern, string name)
    {
        string p = pattern, s = name;
        while (p.Length > 0)
        {
            bool star = ScanChunk(ref p, out var chunk);
            if (star && chunk.Length == 0) return !s.Contains('/', StringComparison.Ordinal);
            if (MatchChunk(chunk, s, out var t) && (t.Length == 0 || p.Length > 0))
            {
                s = t;
                continue;
            }
            bool advanced = false;
            if (star)
            {
                for (int i = 0; i < s.Length && s[i] != '/'; i++)
                {
                    if (MatchChunk(chunk, s[(i + 1)..], out t))
                    {
                        if (p.Length == 0 && t.Length > 0) continue;
                        s = t;
                        advanced = true;
                        break;
                    }
                }
            }
            if (!advanced) return false;
        }
        return s.Length == 0;
    }

    // Splits off the next chunk (text up to an unbracketed '*'), reporting whether '*'s preceded it.
    private static bool ScanChunk(ref string pattern, out string chunk)
    {
        bool star = false;
        while (pattern.Length > 0 && pattern[0] == '*') { pattern = pattern[1..]; star = true; }
        bool inRange = false;
        int i = 0;
        for (; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\') { if (i + 1 < pattern.Length) i++; }
            else if (c == '[') inRange = true;
            else if (c == ']') inRange = false;
            else if (c == '*' && !inRange) break;
        }
        chunk = pattern[..i];
        pattern = pattern[i..];
        return star;
    }

    private static bool MatchChunk(string chunk, string s, out string rest)
    {
        // Like Go, keep scanning after a mismatch so a malformed pattern is always reported.
        bool failed = false;
        rest = "";
        while (chunk.Length > 0)
        {
            if (!failed && s.Length == 0) failed = true;
            switch (chunk[0])
            {
                case '[':
                {
                    char r = '\0';
                    if (!failed) { r = s[0]; s = s[1..]; }
                    chunk = chunk[1..];
                    bool negated = false;
                    if (chunk.Length > 0 && chunk[0] == '^') { negated = true; chunk = chunk[1..]; }
                    bool match = false;
                    int ranges = 0;
                    while (true)
                    {
                        if (chunk.Length > 0 && chunk[0] == ']' && ranges > 0) { chunk = chunk[1..]; break; }
                        char lo = GetEscaped(ref chunk), hi = lo;
                        if (chunk[0] == '-') { chunk = chunk[1..]; hi = GetEscaped(ref chunk); }
                        if (lo <= r && r <= hi) match = true;
                        ranges++;
                    }
                    if (match == negated) failed = true;
                    break;
                }
                case '?':
                    if (!failed) { if (s[0] == '/') failed = true; s = s[1..]; }
                    chunk = chunk[1..];
                    break;
                case '\\':
                    chunk = chunk[1..];
                    if (chunk.Length == 0) throw new InvalidInputException(BadPattern);
                    goto default;
                default:
                    if (!failed) { if (chunk[0] != s[0]) failed = true; s = s[1..]; }
                    chunk = chunk[1..];
                    break;
            }
        }
        if (failed) return false;
        rest = s;
        return true;
    }

    private static char GetEscaped(ref string chunk)
    {
        if (chunk.Length == 0 || chunk[0] == '-' || chunk[0] == ']') throw new InvalidInputException(BadPattern);
        if (chunk[0] == '\\')
        {
            chunk = chunk[1..];
            if (chunk.Length == 0) throw new InvalidInputException(BadPattern);
        }
        char r = chunk[0];
        chunk = chunk[1..];
        if (chunk.Length == 0) throw new InvalidInputException(BadPattern);
        return r;
    }
}
