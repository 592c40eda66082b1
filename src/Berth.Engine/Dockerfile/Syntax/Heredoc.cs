using System.Text;

namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>An inline document attached to RUN/COPY/ADD (<c>&lt;&lt;EOF</c> … <c>EOF</c>).</summary>
/// <param name="Name">The terminator word without quotes.</param>
/// <param name="Content">The body lines verbatim, newlines included (tabs kept even with <c>&lt;&lt;-</c>).</param>
/// <param name="Expand">False when any part of the name was quoted: the body is then used literally.</param>
/// <param name="Chomp">True for <c>&lt;&lt;-</c>: leading tabs are stripped from body lines when used.</param>
/// <param name="FileDescriptor">Leading digits of the word (<c>3&lt;&lt;EOF</c>), 0 when none.</param>
public sealed record Heredoc(string Name, string Content, bool Expand, bool Chomp, int FileDescriptor)
{
    /// <summary>The body as the instruction sees it: <see cref="Content"/>, chomped when <see cref="Chomp"/> is set.</summary>
    public string EffectiveContent => Chomp ? HeredocSyntax.ChompContent(Content) : Content;
}

/// <summary>Recognising heredoc words and lines (BuildKit's <c>ParseHeredoc</c>, <c>heredocsFromLine</c>, chomp).</summary>
public static class HeredocSyntax
{
    /// <summary>
    /// Reads one word of the form <c>[digits]&lt;&lt;[-][blanks]NAME</c>. Returns null when it is not a heredoc;
    /// throws <see cref="FormatException"/> when NAME cannot be lexed (e.g. an unterminated quote).
    /// </summary>
    public static Heredoc? ParseWord(string word)
    {
        int p = 0;
        while (p < word.Length && word[p] is >= '0' and <= '9') p++;
        string digits = word[..p];
        if (p + 1 >= word.Length || word[p] != '<' || word[p + 1] != '<') return null;
        p += 2;
        bool chomp = false;
        if (p < word.Length && word[p] == '-') { chomp = true; p++; }
        // RE2's \s: [\t\n\f\r ]
        while (p < word.Length && word[p] is '\t' or '\n' or '\f' or '\r' or ' ') p++;
        string rest = word[p..];
        if (rest.Contains('<')) return null;
        if (rest.Length == 0) return null;

        var words = HeredocLexer.Words(rest, rawQuotes: false, rawEscapes: false)
            ?? throw new FormatException($"failed to process {GoQuote.Quote(rest)}: unterminated quote or bad substitution");
        if (words.Count != 1) return null;
        var raw = HeredocLexer.Words(rest, rawQuotes: true, rawEscapes: false)
            ?? throw new FormatException($"failed to process {GoQuote.Quote(rest)}");
        if (raw.Count != words.Count)
            throw new FormatException($"internal lexing of heredoc produced inconsistent results: {rest}");

        string name = words[0];
        bool expand = CountQuotes(name) == CountQuotes(raw[0]);
        int fd = 0;
        if (digits.Length > 0 && !int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out fd))
            fd = int.MaxValue;
        return new Heredoc(name, "", expand, chomp, fd);
    }

    private static int CountQuotes(string s)
    {
        int n = 0;
        foreach (char c in s) if (c is '\'' or '"') n++;
        return n;
    }

    /// <summary>The heredocs (content still empty) named in a whole instruction line, in order.</summary>
    public static List<Heredoc> FromLine(string line)
    {
        var result = new List<Heredoc>();
        var words = HeredocLexer.Words(line, rawQuotes: true, rawEscapes: true);
        if (words is null) return result;
        foreach (var w in words)
        {
            var h = ParseWord(w);
            if (h is not null) result.Add(h);
        }
        return result;
    }

    /// <summary>Removes leading tabs from every line (<c>&lt;&lt;-</c>).</summary>
    public static string ChompContent(string content)
    {
        if (content.IndexOf('\t') < 0) return content;
        var sb = new StringBuilder(content.Length);
        bool atLineStart = true;
        foreach (char c in content)
        {
            if (atLineStart && c == '\t') continue;
            atLineStart = c == '\n';
            sb.Append(c);
        }
        return sb.ToString();
    }
}
