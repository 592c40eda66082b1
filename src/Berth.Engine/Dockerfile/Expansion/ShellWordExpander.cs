using System.Text;

namespace Berth.Engine.Dockerfile.Expansion;

/// <summary>What one expansion produced, with the variable names it found and did not find (for the "undefined variable" lint).</summary>
public sealed record ExpansionResult(string Result, IReadOnlyList<string> Words, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);

/// <summary>
/// Expands Dockerfile shell words the way BuildKit's <c>shell.Lex</c> does: quotes, escapes, <c>$v</c>, <c>${v}</c> and the
/// <c>${v:-w}</c> family, pattern trims and substitutions, and word splitting. Instances are immutable and thread-safe.
/// </summary>
public sealed class ShellWordExpander
{
    /// <summary>Creates an expander whose escape character is <paramref name="escapeToken"/> (<c>\</c>, or <c>`</c> under <c># escape=`</c>).</summary>
    public ShellWordExpander(char escapeToken = '\\')
    {
        if (escapeToken != '\\' && escapeToken != '`')
            throw new ArgumentOutOfRangeException(nameof(escapeToken), escapeToken, "escape must be \\ or `");
        EscapeToken = escapeToken;
    }

    /// <summary>The escape character.</summary>
    public char EscapeToken { get; }

    /// <summary>Keep quote characters in the output (heredoc detection needs them).</summary>
    public bool RawQuotes { get; init; }

    /// <summary>Keep escape characters in the output.</summary>
    public bool RawEscapes { get; init; }

    /// <summary>Treat quotes as ordinary characters.</summary>
    public bool SkipProcessQuotes { get; init; }

    /// <summary>Leave references to unset variables as written (<c>$x</c>, <c>${x:-y}</c>) instead of expanding them to empty.</summary>
    public bool SkipUnsetVariables { get; init; }

    /// <summary>Expands <paramref name="word"/> into one string: quotes removed, escapes applied, no word splitting.</summary>
    public string ProcessWord(string word, IExpansionEnvironment environment) => Process(word, environment).Result;

    /// <summary>Like <see cref="ProcessWord"/> and also reports which variables were looked up and found or not found.</summary>
    public ExpansionResult ProcessWordWithMatches(string word, IExpansionEnvironment environment) => Process(word, environment);

    /// <summary>Expands <paramref name="word"/> and splits it on unquoted white space (including white space that came out of unquoted expansions).</summary>
    public IReadOnlyList<string> ProcessWords(string word, IExpansionEnvironment environment) => Process(word, environment).Words;

    private ExpansionResult Process(string word, IExpansionEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(environment);
        var lexer = new Lexer(this, Runes.Of(word), environment);
        try
        {
            var (result, words) = lexer.ProcessUntil(-1, RawEscapes);
            return new ExpansionResult(result, words, lexer.Matched, lexer.Unmatched);
        }
        catch (ShellLexError e)
        {
            throw new ShellExpansionException(word, e.Message);
        }
    }

    /// <summary>Word accumulator: white space splits words unless it was quoted or escaped.</summary>
    private sealed class WordCollector
    {
        private readonly StringBuilder _buffer = new();
        private readonly List<string> _words = [];
        private bool _inWord;

        public void AddChar(int rune)
        {
            if (Runes.IsSpace(rune))
            {
                if (_inWord && _buffer.Length != 0)
                {
                    _words.Add(_buffer.ToString());
                    _buffer.Clear();
                    _inWord = false;
                }
            }
            else
            {
                AddRawChar(rune);
            }
        }

        public void AddRawChar(int rune)
        {
            Runes.Append(_buffer, rune);
            _inWord = true;
        }

        public void AddString(string text)
        {
            foreach (var r in text.EnumerateRunes()) AddChar(r.Value);
        }

        public void AddRawString(string text)
        {
            _buffer.Append(text);
            _inWord = true;
        }

        public List<string> Finish()
        {
            if (_buffer.Length > 0)
            {
                _words.Add(_buffer.ToString());
                _buffer.Clear();
                _inWord = false;
            }
            return _words;
        }
    }

    /// <summary>The state of one expansion call.</summary>
    private sealed class Lexer(ShellWordExpander options, int[] text, IExpansionEnvironment environment)
    {
        private int _pos;

        public HashSet<string> Matched { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Unmatched { get; } = new(StringComparer.Ordinal);

        private int Peek => _pos < text.Length ? text[_pos] : -1;

        private int Next() => _pos < text.Length ? text[_pos++] : -1;

        /// <summary>Processes text until <paramref name="stop"/> (consumed) or the end (-1).</summary>
        public (string Result, List<string> Words) ProcessUntil(int stop, bool rawEscapes)
        {
            var result = new StringBuilder();
            // Each level has its own word buffer. (BuildKit shares one buffer across nesting, which makes
            // ProcessWords("ab${x:-y}") lose "ab"; we deliberately keep the intended result "aby".)
            var words = new WordCollector();
            var escape = (int)options.EscapeToken;

            while (Peek != -1)
            {
                var ch = Peek;
                if (stop != -1 && ch == stop)
                {
                    _pos++;
                    return (result.ToString(), words.Finish());
                }

                if (ch == '$')
                {
                    var value = ProcessDollar();
                    result.Append(value);
                    words.AddString(value);
                    continue;
                }
                if (ch == '<')
                {
                    var value = ProcessPossibleHeredoc();
                    result.Append(value);
                    words.AddRawString(value);
                    continue;
                }
                if (!options.SkipProcessQuotes && (ch == '\'' || ch == '"'))
                {
                    var value = ch == '\'' ? ProcessSingleQuote() : ProcessDoubleQuote(rawEscapes);
                    result.Append(value);
                    words.AddRawString(value);
                    continue;
                }

                ch = Next();
                if (ch == escape)
                {
                    if (rawEscapes)
                    {
                        words.AddRawChar(ch);
                        Runes.Append(result, ch);
                    }
                    ch = Next();
                    if (ch == -1) break; // a lone escape at the very end is dropped
                    words.AddRawChar(ch);
                }
                else
                {
                    words.AddChar(ch);
                }
                Runes.Append(result, ch);
            }

            if (stop != -1)
                throw new ShellLexError($"unexpected end of statement while looking for matching {Runes.Show(stop)}");
            return (result.ToString(), words.Finish());
        }

        private string ProcessSingleQuote()
        {
            var result = new StringBuilder();
            var ch = Next();
            if (options.RawQuotes) Runes.Append(result, ch);
            while (true)
            {
                ch = Next();
                if (ch == -1) throw new ShellLexError("unexpected end of statement while looking for matching single-quote");
                if (ch == '\'')
                {
                    if (options.RawQuotes) Runes.Append(result, ch);
                    return result.ToString();
                }
                Runes.Append(result, ch);
            }
        }

        private string ProcessDoubleQuote(bool rawEscapes)
        {
            var result = new StringBuilder();
            var escape = (int)options.EscapeToken;
            var ch = Next();
            if (options.RawQuotes) Runes.Append(result, ch);
            while (true)
            {
                switch (Peek)
                {
                    case -1:
                        throw new ShellLexError("unexpected end of statement while looking for matching double-quote");
                    case '"':
                        ch = Next();
                        if (options.RawQuotes) Runes.Append(result, ch);
                        return result.ToString();
                    case '$':
                        result.Append(ProcessDollar());
                        break;
                    default:
                        ch = Next();
                        if (ch == escape)
                        {
                            if (rawEscapes) Runes.Append(result, ch);
                            var next = Peek;
                            if (next == -1) continue; // the missing closing quote is reported next round
                            // Only ", $ and the escape itself can be escaped; any other escape stays as written.
                            if (next == '"' || next == '$' || next == escape) ch = Next();
                        }
                        Runes.Append(result, ch);
                        break;
                }
            }
        }

        private string ProcessPossibleHeredoc()
        {
            Next();
            if (Peek != '<') return "<";
            Next();
            var sb = new StringBuilder("<<");
            // White space between << and the heredoc name stays attached to the operator.
            while (Peek is '\t' or '\r' or ' ') Runes.Append(sb, Next());
            return sb.ToString();
        }

        private string ProcessDollar()
        {
            Next(); // '$'
            if (Peek != '{')
            {
                var plainName = ProcessName();
                if (plainName.Length == 0) return "$";
                var found = TryGetVariable(plainName, out var plainValue);
                if (!found && options.SkipUnsetVariables) return "$" + plainName;
                return plainValue;
            }

            Next(); // '{'
            switch (Peek)
            {
                case -1: throw new ShellLexError("syntax error: missing '}'");
                case '{' or '}' or ':': throw new ShellLexError("syntax error: bad substitution");
            }

            var name = ProcessName();
            var ch = Next();
            if (ch == -1) throw new ShellLexError("syntax error: missing '}'");
            var modifier = Runes.Show(ch);

            if (ch == '}')
            {
                var set = TryGetVariable(name, out var value);
                if (!set && options.SkipUnsetVariables) return "${" + name + "}";
                return value;
            }

            if (ch == '/') return ProcessSubstitution(name);

            var nullIsUnset = false;
            if (ch == ':')
            {
                nullIsUnset = true;
                ch = Next();
                modifier += Runes.Show(ch);
            }

            if (ch is not ('+' or '-' or '?' or '#' or '%'))
            {
                if (!nullIsUnset) throw new ShellLexError($"unsupported modifier ({modifier}) in substitution");
                // After ':' BuildKit still reads the word before rejecting the modifier; keep that order so
                // an unterminated ${X:YYY reports the missing brace.
                ReadModifierWord(false);
                throw new ShellLexError($"unsupported modifier ({modifier}) in substitution");
            }

            var isTrim = ch is '#' or '%';
            if (nullIsUnset && isTrim) throw new ShellLexError($"unsupported modifier ({modifier}) in substitution");

            var word = ReadModifierWord(isTrim);
            var isSet = TryGetVariable(name, out var current);
            if (options.SkipUnsetVariables && !isSet) return "${" + name + modifier + word + "}";

            switch (ch)
            {
                case '-':
                    return !isSet || (nullIsUnset && current.Length == 0) ? word : current;
                case '+':
                    return !isSet || (nullIsUnset && current.Length == 0) ? "" : word;
                case '?':
                    if (!isSet)
                        throw new ShellLexError($"{name}: {(word.Length != 0 ? word : "is not allowed to be unset")}");
                    if (nullIsUnset && current.Length == 0)
                        throw new ShellLexError($"{name}: {(word.Length != 0 ? word : "is not allowed to be empty")}");
                    return current;
                default: // '#' or '%'
                    var greedy = word.Length > 0 && word[0] == ch;
                    if (greedy) word = word[1..];
                    return ch == '%' ? TrimSuffix(word, current, greedy) : TrimPrefix(word, current, greedy);
            }
        }

        private string ReadModifierWord(bool rawEscapes)
        {
            try
            {
                return ProcessUntil('}', rawEscapes).Result;
            }
            catch (ShellLexError) when (Peek == -1)
            {
                throw new ShellLexError("syntax error: missing '}'");
            }
        }

        private string ProcessSubstitution(string name)
        {
            var replaceAll = Peek == '/';
            if (replaceAll) Next();

            string pattern;
            try
            {
                pattern = ProcessUntil('/', true).Result;
            }
            catch (ShellLexError) when (Peek == -1)
            {
                throw new ShellLexError("syntax error: missing '/' in ${}");
            }
            var replacement = ReadModifierWord(true);

            var isSet = TryGetVariable(name, out var value);
            if (options.SkipUnsetVariables && !isSet) return "${" + name + "/" + pattern + "/" + replacement + "}";

            var compiled = ShellPattern.Parse(pattern, greedy: true);
            var runes = Runes.Of(value);
            if (!replaceAll)
            {
                var m = compiled.Find(runes, 0);
                if (m is null) return value;
                return Runes.ToText(runes, 0, m.Value.Start) + replacement + Runes.ToText(runes, m.Value.End, runes.Length);
            }
            return ReplaceAll(compiled, runes, replacement);
        }

        // Go's Regexp.ReplaceAllString: non-overlapping matches, an empty match right after a match is not replaced,
        // and the replacement is a template in which $0/${0} is the match, $$ is '$' and any other $name is empty.
        private static string ReplaceAll(ShellPattern pattern, int[] text, string template)
        {
            var sb = new StringBuilder();
            var lastEnd = 0;
            var search = 0;
            while (search <= text.Length)
            {
                var m = pattern.Find(text, search);
                if (m is null) break;
                var (start, end) = m.Value;
                sb.Append(Runes.ToText(text, lastEnd, start));
                if (end > lastEnd || start == 0) ExpandTemplate(sb, template, Runes.ToText(text, start, end));
                lastEnd = end;
                search = search + 1 > end ? search + 1 : end;
            }
            sb.Append(Runes.ToText(text, lastEnd, text.Length));
            return sb.ToString();
        }

        private static void ExpandTemplate(StringBuilder sb, string template, string match)
        {
            var i = 0;
            while (i < template.Length)
            {
                var dollar = template.IndexOf('$', i);
                if (dollar < 0) break;
                sb.Append(template, i, dollar - i);
                i = dollar + 1;
                if (i < template.Length && template[i] == '$')
                {
                    sb.Append('$');
                    i++;
                    continue;
                }
                var brace = i < template.Length && template[i] == '{';
                var nameStart = brace ? i + 1 : i;
                var j = nameStart;
                while (j < template.Length)
                {
                    var r = Rune.GetRuneAt(template, j);
                    if (!Rune.IsLetter(r) && !Rune.IsDigit(r) && r.Value != '_') break;
                    j += r.Utf16SequenceLength;
                }
                if (j == nameStart || (brace && (j >= template.Length || template[j] != '}')))
                {
                    sb.Append('$'); // malformed reference: the '$' is plain text
                    continue;
                }
                var refName = template[nameStart..j];
                i = brace ? j + 1 : j;
                if (refName == "0") sb.Append(match);
            }
            sb.Append(template, i, template.Length - i);
        }

        private static string TrimPrefix(string pattern, string value, bool greedy)
        {
            var compiled = ShellPattern.Parse(pattern, greedy);
            var runes = Runes.Of(value);
            var end = compiled.MatchAt(runes, 0);
            return end < 0 ? value : Runes.ToText(runes, end, runes.Length);
        }

        // The shortest/longest suffix is the shortest/longest prefix of the reversed text under the reversed pattern.
        private static string TrimSuffix(string pattern, string value, bool greedy)
        {
            var reversed = Runes.Of(value);
            Array.Reverse(reversed);
            var trimmed = TrimPrefix(ShellPattern.Reverse(pattern), Runes.ToText(reversed, 0, reversed.Length), greedy);
            var output = Runes.Of(trimmed);
            Array.Reverse(output);
            return Runes.ToText(output, 0, output.Length);
        }

        private string ProcessName()
        {
            var sb = new StringBuilder();
            while (Peek != -1)
            {
                var ch = Peek;
                if (sb.Length == 0 && Runes.IsDigit(ch))
                {
                    // Positional parameter: all the digits, never set.
                    while (Peek != -1 && Runes.IsDigit(Peek)) Runes.Append(sb, Next());
                    return sb.ToString();
                }
                if (sb.Length == 0 && ch is '@' or '*' or '#' or '?' or '-' or '$' or '!' or '0')
                    return Runes.Show(Next());
                if (!Runes.IsLetter(ch) && !Runes.IsDigit(ch) && ch != '_') break;
                Runes.Append(sb, Next());
            }
            return sb.ToString();
        }

        private bool TryGetVariable(string name, out string value)
        {
            if (environment.TryGet(name, out value))
            {
                Matched.Add(name);
                return true;
            }
            Unmatched.Add(name);
            value = "";
            return false;
        }
    }
}
