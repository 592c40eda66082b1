using System.Text;

namespace Berth.Engine.Dockerfile.Expansion;

/// <summary>
/// The glob used by <c>${v#p}</c>, <c>${v%p}</c> and <c>${v/p/r}</c>: <c>*</c> any run, <c>?</c> one character,
/// <c>\*</c> <c>\?</c> <c>\\</c> literals, <c>\}</c> <c>\/</c> stand for <c>}</c> and <c>/</c>; no bracket classes.
/// Matching follows BuildKit's (Go regexp) leftmost-first rules, so neither <c>*</c> nor <c>?</c> crosses a newline.
/// </summary>
internal sealed class ShellPattern
{
    private enum Kind { Literal, AnyOne, AnyRun }

    private readonly (Kind Kind, int Rune)[] _tokens;
    private readonly bool _greedy;

    private ShellPattern((Kind, int)[] tokens, bool greedy)
    {
        _tokens = tokens;
        _greedy = greedy;
    }

    /// <summary>Parses <paramref name="pattern"/>; throws <see cref="ShellLexError"/> on an invalid escape.</summary>
    public static ShellPattern Parse(string pattern, bool greedy)
    {
        var runes = Runes.Of(pattern);
        var tokens = new List<(Kind, int)>();
        for (var i = 0; i < runes.Length; i++)
        {
            var r = runes[i];
            switch (r)
            {
                case '*': tokens.Add((Kind.AnyRun, 0)); break;
                case '?': tokens.Add((Kind.AnyOne, 0)); break;
                case '\\':
                    if (i + 1 < runes.Length && (runes[i + 1] == '}' || runes[i + 1] == '/'))
                        continue; // the escape only protected the ${} syntax; the next rune is taken literally
                    i++;
                    var next = i < runes.Length ? runes[i] : -1;
                    if (next != '*' && next != '?' && next != '\\')
                        throw new ShellLexError($"invalid pattern ({pattern}) in substitution: invalid escape '\\{Runes.Show(next)}'");
                    tokens.Add((Kind.Literal, next));
                    break;
                default: tokens.Add((Kind.Literal, r)); break;
            }
        }
        return new ShellPattern([.. tokens], greedy);
    }

    /// <summary>The end of the preferred match that starts exactly at <paramref name="start"/>, or -1.</summary>
    public int MatchAt(int[] text, int start)
    {
        var failed = new HashSet<(int, int)>();
        return Try(text, 0, start, failed);
    }

    /// <summary>The leftmost match at or after <paramref name="from"/> as (start, end), or null.</summary>
    public (int Start, int End)? Find(int[] text, int from)
    {
        var failed = new HashSet<(int, int)>();
        for (var s = from; s <= text.Length; s++)
        {
            var e = Try(text, 0, s, failed);
            if (e >= 0) return (s, e);
        }
        return null;
    }

    // Failure memo is sound: with no captures, whether (token, position) can finish never depends on the path taken.
    private int Try(int[] text, int t, int pos, HashSet<(int, int)> failed)
    {
        if (t == _tokens.Length) return pos;
        if (failed.Contains((t, pos))) return -1;
        var (kind, rune) = _tokens[t];
        var result = -1;
        switch (kind)
        {
            case Kind.Literal:
                if (pos < text.Length && text[pos] == rune) result = Try(text, t + 1, pos + 1, failed);
                break;
            case Kind.AnyOne:
                if (pos < text.Length && text[pos] != '\n') result = Try(text, t + 1, pos + 1, failed);
                break;
            case Kind.AnyRun:
                var max = pos;
                while (max < text.Length && text[max] != '\n') max++;
                if (_greedy)
                {
                    for (var e = max; e >= pos && result < 0; e--) result = Try(text, t + 1, e, failed);
                }
                else
                {
                    for (var e = pos; e <= max && result < 0; e++) result = Try(text, t + 1, e, failed);
                }
                break;
        }
        if (result < 0) failed.Add((t, pos));
        return result;
    }

    /// <summary>Reverses a pattern rune by rune but keeps each escape before the rune it escapes (<c>a\*c</c> → <c>c\*a</c>).</summary>
    public static string Reverse(string pattern)
    {
        var runes = Runes.Of(pattern);
        var output = new int[runes.Length];
        var last = runes.Length - 1;
        for (var i = 0; i <= last;)
        {
            var o = last - i;
            if (runes[i] == '\\' && i != last)
            {
                output[o - 1] = '\\';
                output[o] = runes[i + 1];
                i += 2;
            }
            else
            {
                output[o] = runes[i];
                i++;
            }
        }
        return Runes.ToText(output, 0, output.Length);
    }
}

/// <summary>Code-point helpers: the expander works on runes like Go so non-BMP text is never split.</summary>
internal static class Runes
{
    public static int[] Of(string text)
    {
        var list = new List<int>(text.Length);
        foreach (var r in text.EnumerateRunes()) list.Add(r.Value);
        return [.. list];
    }

    public static string ToText(int[] runes, int start, int end)
    {
        var sb = new StringBuilder(end - start);
        for (var i = start; i < end; i++) Append(sb, runes[i]);
        return sb.ToString();
    }

    public static void Append(StringBuilder sb, int rune)
    {
        if (rune < 0x10000) sb.Append((char)rune);
        else sb.Append(char.ConvertFromUtf32(rune));
    }

    public static string Show(int rune) => rune < 0 ? "\uFFFD" : char.ConvertFromUtf32(rune);

    public static bool IsLetter(int rune) => Rune.IsLetter(new Rune(rune));
    public static bool IsDigit(int rune) => Rune.IsDigit(new Rune(rune));
    public static bool IsSpace(int rune) => Rune.IsWhiteSpace(new Rune(rune));
}
