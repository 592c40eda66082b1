using System.Text;

namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>The word splitters the parser uses for ARG, ENV, LABEL and white-space-delimited instructions.</summary>
public static class ArgumentWords
{
    /// <summary>
    /// Splits on Unicode white space outside quotes, keeping quotes and escapes in the words
    /// (they are removed later, by expansion). A lone escape at the very end is dropped.
    /// </summary>
    public static List<string> ParseWords(string rest, char escape = '\\')
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        bool inWord = false, inQuote = false, blankOk = false;
        char quote = '\0';
        int n = rest.Length;
        for (int pos = 0; pos < n; pos++)
        {
            char ch = rest[pos];
            if (!inWord && !inQuote)
            {
                if (char.IsWhiteSpace(ch)) continue;
                inWord = true;
            }
            if (inQuote)
            {
                if (ch == quote) { inQuote = false; inWord = true; }
                if (ch == escape && quote != '\'')
                {
                    if (pos + 1 == n) { inQuote = false; inWord = true; continue; }
                    sb.Append(ch);
                    pos++;
                    ch = rest[pos];
                }
                sb.Append(ch);
                continue;
            }
            // in a word
            if (char.IsWhiteSpace(ch))
            {
                inWord = false;
                if (blankOk || sb.Length > 0) words.Add(sb.ToString());
                sb.Clear();
                blankOk = false;
                continue;
            }
            if (ch == '\'' || ch == '"')
            {
                quote = ch;
                blankOk = true;
                inQuote = true;
                inWord = false;
            }
            if (ch == escape)
            {
                if (pos + 1 == n) continue;
                sb.Append(ch);
                pos++;
                ch = rest[pos];
            }
            sb.Append(ch);
        }
        if ((inWord || inQuote) && (blankOk || sb.Length > 0))
            words.Add(sb.ToString());
        return words;
    }

    /// <summary>Splits on runs of <c>[ \t\v\f\r]</c> (Go's <c>reWhitespace</c>), at most <paramref name="max"/> parts (0 = no limit).</summary>
    public static List<string> SplitBlanks(string s, int max = 0)
    {
        var parts = new List<string>();
        int start = 0, i = 0;
        while (i < s.Length)
        {
            if (!IsBlank(s[i])) { i++; continue; }
            if (max > 0 && parts.Count == max - 1) break;
            int j = i;
            while (j < s.Length && IsBlank(s[j])) j++;
            parts.Add(s[start..i]);
            start = i = j;
        }
        parts.Add(s[start..]);
        return parts;
    }

    internal static bool IsBlank(char c) => c is ' ' or '\t' or '\v' or '\f' or '\r';

    /// <summary>
    /// The ENV/LABEL argument chain: <c>key value ""</c> for the legacy form, <c>key value "="</c> per word for the
    /// <c>key=value</c> form. <paramref name="instruction"/> names the instruction in error messages.
    /// </summary>
    public static List<string> ParseNameValue(string rest, string instruction, char escape = '\\')
    {
        var words = ParseWords(rest, escape);
        var values = new List<string>();
        if (words.Count == 0) return values;
        if (!words[0].Contains('='))
        {
            var parts = SplitBlanks(rest, 2);
            if (parts.Count < 2)
                throw new InstructionFormatException($"{instruction} must have two arguments");
            values.Add(parts[0]);
            values.Add(parts[1]);
            values.Add("");
            return values;
        }
        foreach (var word in words)
        {
            int eq = word.IndexOf('=');
            if (eq < 0)
                throw new FormatException($"Syntax error - can't find = in {GoQuote.Quote(word)}. Must be of the form: name=value");
            values.Add(word[..eq]);
            values.Add(word[(eq + 1)..]);
            values.Add("=");
        }
        return values;
    }
}
