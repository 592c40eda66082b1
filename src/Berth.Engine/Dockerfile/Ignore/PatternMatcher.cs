using System.Text;

namespace Berth.Engine.Dockerfile.Ignore;

/// <summary>How a compiled pattern is tested (moby/patternmatcher's classification).</summary>
public enum PatternMatchKind
{
    /// <summary>No special characters: the path must equal the pattern.</summary>
    Exact,
    /// <summary><c>dir/**</c>: anything strictly under <c>dir/</c>.</summary>
    Prefix,
    /// <summary>A leading <c>**</c>: the path ends with the rest (<c>**/foo</c> also matches <c>foo</c>).</summary>
    Suffix,
    /// <summary>Anything else: a regular expression built from the glob.</summary>
    Regex,
}

/// <summary>One cleaned <c>.dockerignore</c> pattern, compiled once.</summary>
public sealed class IgnorePattern
{
    private readonly GoRegex? _regex;
    private readonly string? _compileError;

    internal IgnorePattern(string cleaned, bool exclusion)
    {
        Text = cleaned;
        IsException = exclusion;
        (Kind, RegexText) = Classify(cleaned);
        if (Kind == PatternMatchKind.Regex)
        {
            try
            {
                _regex = GoRegex.Compile(RegexText!);
            }
            catch (FormatException e)
            {
                // Passes filepath.Match's check but is no valid expression (e.g. [Local-Only]): every match fails.
                _compileError = e.Message;
            }
        }
    }

    /// <summary>The cleaned pattern without its leading <c>!</c>.</summary>
    public string Text { get; }

    /// <summary>True for a <c>!pattern</c> that re-includes paths.</summary>
    public bool IsException { get; }

    /// <summary>How the pattern is tested.</summary>
    public PatternMatchKind Kind { get; }

    /// <summary>The Go regular expression upstream would build (for <see cref="PatternMatchKind.Regex"/> only).</summary>
    public string? RegexText { get; }

    public override string ToString() => (IsException ? "!" : "") + Text;

    /// <summary>Tests this pattern against <paramref name="path"/> alone (no ancestors).</summary>
    public bool Matches(string path)
    {
        switch (Kind)
        {
            case PatternMatchKind.Exact:
                return path == Text;
            case PatternMatchKind.Prefix:
                return path.StartsWith(Text[..^2], StringComparison.Ordinal);
            case PatternMatchKind.Suffix:
                var suffix = Text[2..];
                if (path.EndsWith(suffix, StringComparison.Ordinal)) return true;
                return suffix[0] == '/' && path == suffix[1..];
            default:
                if (_regex is null) throw new IgnorePatternException($"syntax error in pattern: {Text} ({_compileError})");
                return _regex.IsMatch(path);
        }
    }

    // Port of patternmatcher's compile step: the same classification and the same expression text.
    private static (PatternMatchKind, string?) Classify(string pattern)
    {
        var re = new StringBuilder("^");
        var kind = PatternMatchKind.Exact;
        var runes = pattern.EnumerateRunes().Select(r => r.Value).ToArray();
        for (int i = 0, p = 0; p < runes.Length; i++)
        {
            var ch = runes[p++];
            var peek = p < runes.Length ? runes[p] : -1;
            if (ch == '*')
            {
                if (peek == '*')
                {
                    p++;
                    if (p < runes.Length && runes[p] == '/') p++; // "**/" behaves as "**"
                    if (p >= runes.Length)
                    {
                        if (kind == PatternMatchKind.Exact) kind = PatternMatchKind.Prefix;
                        else
                        {
                            re.Append(".*");
                            kind = PatternMatchKind.Regex;
                        }
                    }
                    else
                    {
                        re.Append("(.*/)?");
                        kind = PatternMatchKind.Regex;
                    }
                    if (i == 0) kind = PatternMatchKind.Suffix;
                }
                else
                {
                    re.Append("[^/]*");
                    kind = PatternMatchKind.Regex;
                }
            }
            else if (ch == '?')
            {
                re.Append("[^/]");
                kind = PatternMatchKind.Regex;
            }
            else if (ch is '.' or '+' or '(' or ')' or '|' or '{' or '}' or '$')
            {
                re.Append('\\').Append((char)ch);
            }
            else if (ch == '\\')
            {
                if (peek != -1)
                {
                    re.Append('\\');
                    AppendRune(re, runes[p++]);
                    kind = PatternMatchKind.Regex;
                }
                else
                {
                    re.Append('\\');
                }
            }
            else if (ch is '[' or ']')
            {
                re.Append((char)ch);
                kind = PatternMatchKind.Regex;
            }
            else
            {
                AppendRune(re, ch);
            }
        }
        if (kind != PatternMatchKind.Regex) return (kind, null);
        re.Append('$');
        return (kind, re.ToString());
    }

    private static void AppendRune(StringBuilder sb, int rune) => sb.Append(char.ConvertFromUtf32(rune));
}

/// <summary>What a walk remembers about a directory so its children are matched without re-testing ancestors.</summary>
public readonly struct MatchInfo
{
    internal MatchInfo(bool[] parentMatched) => ParentMatched = parentMatched;

    internal bool[]? ParentMatched { get; }

    /// <summary>No information: ancestors are tested from the path itself.</summary>
    public static MatchInfo None => default;
}

/// <summary>
/// moby/patternmatcher: <c>.dockerignore</c> patterns compiled once; the last applicable pattern wins and a pattern that
/// matches a directory also matches everything below it. Returns true when a path is ignored.
/// </summary>
public sealed class PatternMatcher
{
    private readonly IgnorePattern[] _patterns;

    /// <summary>Builds a matcher; blank patterns are dropped. Throws <see cref="IgnorePatternException"/> for a lone <c>!</c> or bad glob syntax.</summary>
    public PatternMatcher(IEnumerable<string> patterns)
    {
        var list = new List<IgnorePattern>();
        foreach (var raw in patterns)
        {
            var p = raw.Trim();
            if (p.Length == 0) continue;
            p = GoPath.Clean(p);
            var exclusion = false;
            if (p[0] == '!')
            {
                if (p.Length == 1) throw new IgnorePatternException("illegal exclusion pattern: \"!\"");
                exclusion = true;
                p = p[1..];
            }
            if (!GoGlobSyntax.IsValid(p)) throw new IgnorePatternException($"syntax error in pattern: {p}");
            list.Add(new IgnorePattern(p, exclusion));
        }
        _patterns = [.. list];
        HasExceptions = _patterns.Any(p => p.IsException);
    }

    /// <summary>The kept patterns, in order.</summary>
    public IReadOnlyList<IgnorePattern> Patterns => _patterns;

    /// <summary>True when some pattern is a <c>!</c> exception.</summary>
    public bool HasExceptions { get; }

    /// <summary>Convenience: builds a matcher and tests a cleaned <paramref name="path"/>; <c>.</c> is never ignored.</summary>
    public static bool MatchesOrParentMatches(string path, IEnumerable<string> patterns)
    {
        var matcher = new PatternMatcher(patterns);
        path = GoPath.Clean(path);
        return path != "." && matcher.MatchesOrParentMatches(path);
    }

    /// <summary>Is <paramref name="path"/> ignored, testing the path and each of its ancestor directories against every pattern?</summary>
    public bool MatchesOrParentMatches(string path)
    {
        var ancestors = Ancestors(path);
        var matched = false;
        foreach (var pattern in _patterns)
        {
            if (pattern.IsException != matched) continue;
            var hit = pattern.Matches(path);
            if (!hit) hit = ancestors.Any(pattern.Matches);
            if (hit) matched = !pattern.IsException;
        }
        return matched;
    }

    /// <summary>Deprecated upstream (wrong for some exception layouts): uses only the parent's overall result. Prefer <see cref="MatchesUsingParentResults"/>.</summary>
    public bool MatchesUsingParentResult(string path, bool parentMatched)
    {
        var matched = parentMatched;
        foreach (var pattern in _patterns)
        {
            if (pattern.IsException != matched) continue;
            if (pattern.Matches(path)) matched = !pattern.IsException;
        }
        return matched;
    }

    /// <summary>
    /// Is <paramref name="path"/> ignored, given the <see cref="MatchInfo"/> of its parent directory (or <see cref="MatchInfo.None"/>,
    /// then ancestors are tested as in <see cref="MatchesOrParentMatches"/>)? Also returns this path's info for its children.
    /// </summary>
    public (bool Matched, MatchInfo Info) MatchesUsingParentResults(string path, MatchInfo parent)
    {
        var parentMatched = parent.ParentMatched;
        if (parentMatched is not null && parentMatched.Length != 0 && parentMatched.Length != _patterns.Length)
            throw new ArgumentException("wrong number of values in parent match info", nameof(parent));
        var haveParent = parentMatched is { Length: > 0 };
        string[]? ancestors = null;
        var matched = false;
        var info = new bool[_patterns.Length];
        for (var i = 0; i < _patterns.Length; i++)
        {
            var pattern = _patterns[i];
            var hit = haveParent && parentMatched![i];
            if (!hit)
            {
                if (pattern.IsException != matched) continue;
                hit = pattern.Matches(path);
                if (!hit && !haveParent)
                {
                    ancestors ??= Ancestors(path);
                    hit = ancestors.Any(pattern.Matches);
                }
            }
            info[i] = hit;
            if (hit) matched = !pattern.IsException;
        }
        return (matched, new MatchInfo(info));
    }

    // "a", "a/b" for "a/b/c" (Go: split filepath.Dir(path) on '/'), none when the parent is ".".
    private static string[] Ancestors(string path)
    {
        var dir = GoPath.Dir(path);
        if (dir == ".") return [];
        var parts = dir.Split('/');
        var result = new string[parts.Length];
        for (var i = 0; i < parts.Length; i++) result[i] = string.Join('/', parts, 0, i + 1);
        return result;
    }
}
