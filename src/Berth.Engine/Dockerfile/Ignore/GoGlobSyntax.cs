namespace Berth.Engine.Dockerfile.Ignore;

/// <summary>The syntax check Go's <c>filepath.Match</c> performs (Unix): which patterns are <c>ErrBadPattern</c>.</summary>
internal static class GoGlobSyntax
{
    /// <summary>True when <paramref name="pattern"/> is well formed: classes closed and non-empty, no '-' at a class edge, no trailing '\'.</summary>
    public static bool IsValid(string pattern)
    {
        var rest = pattern;
        while (rest.Length > 0)
        {
            var (chunk, next) = ScanChunk(rest);
            if (!ChunkIsValid(chunk)) return false;
            rest = next;
        }
        return true;
    }

    // Splits off leading stars and the following chunk up to the next '*' outside a class.
    private static (string Chunk, string Remainder) ScanChunk(string pattern)
    {
        var start = 0;
        while (start < pattern.Length && pattern[start] == '*') start++;
        var inRange = false;
        var i = start;
        for (; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (i + 1 < pattern.Length) i++;
            }
            else if (c == '[') inRange = true;
            else if (c == ']') inRange = false;
            else if (c == '*' && !inRange) break;
        }
        return (pattern[start..i], pattern[i..]);
    }

    private static bool ChunkIsValid(string chunk)
    {
        var i = 0;
        while (i < chunk.Length)
        {
            switch (chunk[i])
            {
                case '[':
                    i++;
                    if (i < chunk.Length && chunk[i] == '^') i++;
                    var ranges = 0;
                    while (true)
                    {
                        if (i < chunk.Length && chunk[i] == ']' && ranges > 0)
                        {
                            i++;
                            break;
                        }
                        if (!ReadClassChar(chunk, ref i)) return false;
                        if (chunk[i] == '-' && !ReadClassChar(chunk, ref i, skipDash: true)) return false;
                        ranges++;
                    }
                    break;
                case '\\':
                    i++;
                    if (i >= chunk.Length) return false;
                    i += char.IsHighSurrogate(chunk[i]) && i + 1 < chunk.Length ? 2 : 1;
                    break;
                default:
                    i++;
                    break;
            }
        }
        return true;
    }

    // Go getEsc: one (possibly escaped) class character; the class must continue after it.
    private static bool ReadClassChar(string chunk, ref int i, bool skipDash = false)
    {
        if (skipDash) i++;
        if (i >= chunk.Length || chunk[i] == '-' || chunk[i] == ']') return false;
        if (chunk[i] == '\\')
        {
            i++;
            if (i >= chunk.Length) return false;
        }
        i += char.IsHighSurrogate(chunk[i]) && i + 1 < chunk.Length ? 2 : 1;
        return i < chunk.Length;
    }
}
