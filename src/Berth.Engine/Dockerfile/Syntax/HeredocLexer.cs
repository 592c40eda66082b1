using System.Text;

namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>
/// The slice of BuildKit's shell lexer that heredoc detection needs: word splitting with quotes and escapes,
/// no variables set (so <c>$x</c> and <c>${x...}</c> stay literal), and <c>&lt;&lt;</c> swallowing the blanks after it.
/// Full expansion lives in <c>Berth.Engine.Dockerfile.Expansion</c>; this lexer only finds heredoc words.
/// </summary>
internal sealed class HeredocLexer
{
    private readonly string _s;
    private int _pos;
    private readonly bool _rawQuotes;
    private bool _rawEscapes;
    // BuildKit shares one word buffer between nested ${...} scans; kept shared to find the same words.
    private readonly StringBuilder _wordsBuffer = new();
    private const char Escape = '\\';
    private const int Eof = -1;

    private HeredocLexer(string s, bool rawQuotes, bool rawEscapes)
    {
        _s = s;
        _rawQuotes = rawQuotes;
        _rawEscapes = rawEscapes;
    }

    /// <summary>Splits <paramref name="s"/> into words; null when the lexer reports an error (e.g. an unterminated quote).</summary>
    public static List<string>? Words(string s, bool rawQuotes, bool rawEscapes)
    {
        var lexer = new HeredocLexer(s, rawQuotes, rawEscapes);
        var (_, words) = lexer.ProcessStopOn(Eof, rawEscapes);
        return words;
    }

    private int Peek() => _pos < _s.Length ? _s[_pos] : Eof;

    private int Next() => _pos < _s.Length ? _s[_pos++] : Eof;

    private sealed class WordsState(StringBuilder buf)
    {
        public readonly StringBuilder Buf = buf;
        public readonly List<string> Words = [];
        public bool InWord;

        public void AddChar(char ch)
        {
            if (char.IsWhiteSpace(ch))
            {
                if (InWord && Buf.Length != 0)
                {
                    Words.Add(Buf.ToString());
                    Buf.Clear();
                    InWord = false;
                }
            }
            else
            {
                AddRawChar(ch);
            }
        }

        public void AddRawChar(char ch)
        {
            Buf.Append(ch);
            InWord = true;
        }

        public void AddString(string s)
        {
            foreach (char c in s) AddChar(c);
        }

        public void AddRawString(string s)
        {
            Buf.Append(s);
            InWord = true;
        }

        public List<string> GetWords()
        {
            if (Buf.Length > 0)
            {
                Words.Add(Buf.ToString());
                Buf.Clear();
                InWord = false;
            }
            return Words;
        }
    }

    // Returns (null, null) on error.
    private (string? Result, List<string>? Words) ProcessStopOn(int stopChar, bool rawEscapes)
    {
        var result = new StringBuilder();
        _wordsBuffer.Clear();
        var words = new WordsState(_wordsBuffer);
        bool saved = _rawEscapes;
        _rawEscapes = rawEscapes;
        try
        {
            while (Peek() != Eof)
            {
                int ch = Peek();
                if (stopChar != Eof && ch == stopChar)
                {
                    Next();
                    return (result.ToString(), words.GetWords());
                }
                if (ch is '$' or '<' or '\'' or '"')
                {
                    string? tmp = ch switch
                    {
                        '$' => ProcessDollar(),
                        '<' => ProcessPossibleHeredoc(),
                        '\'' => ProcessSingleQuote(),
                        _ => ProcessDoubleQuote(),
                    };
                    if (tmp is null) return (null, null);
                    result.Append(tmp);
                    if (ch == '$') words.AddString(tmp);
                    else words.AddRawString(tmp);
                    continue;
                }
                ch = Next();
                if (ch == Escape)
                {
                    if (_rawEscapes)
                    {
                        words.AddRawChar((char)ch);
                        result.Append((char)ch);
                    }
                    ch = Next();
                    if (ch == Eof) break;
                    words.AddRawChar((char)ch);
                }
                else
                {
                    words.AddChar((char)ch);
                }
                result.Append((char)ch);
            }
            if (stopChar != Eof) return (null, null);
            return (result.ToString(), words.GetWords());
        }
        finally
        {
            _rawEscapes = saved;
        }
    }

    private string? ProcessSingleQuote()
    {
        var sb = new StringBuilder();
        int ch = Next();
        if (_rawQuotes) sb.Append((char)ch);
        while (true)
        {
            ch = Next();
            if (ch == Eof) return null;
            if (ch == '\'')
            {
                if (_rawQuotes) sb.Append('\'');
                return sb.ToString();
            }
            sb.Append((char)ch);
        }
    }

    private string? ProcessDoubleQuote()
    {
        var sb = new StringBuilder();
        int ch = Next();
        if (_rawQuotes) sb.Append((char)ch);
        while (true)
        {
            switch (Peek())
            {
                case Eof:
                    return null;
                case '"':
                    Next();
                    if (_rawQuotes) sb.Append('"');
                    return sb.ToString();
                case '$':
                    string? value = ProcessDollar();
                    if (value is null) return null;
                    sb.Append(value);
                    break;
                default:
                    ch = Next();
                    if (ch == Escape)
                    {
                        if (_rawEscapes) sb.Append((char)ch);
                        int p = Peek();
                        if (p == Eof) continue;
                        if (p is '"' or '$' or Escape) ch = Next();
                    }
                    sb.Append((char)ch);
                    break;
            }
        }
    }

    // No variable is set, so every reference is rebuilt literally (BuildKit's SkipUnsetEnv).
    private string? ProcessDollar()
    {
        Next();
        if (Peek() != '{')
        {
            string name = ProcessName();
            return name.Length == 0 ? "$" : "$" + name;
        }
        Next();
        int p = Peek();
        if (p == Eof || p is '{' or '}' or ':') return null;
        string varName = ProcessName();
        int ch = Next();
        if (ch == Eof) return null;
        string chs = ((char)ch).ToString();
        switch (ch)
        {
            case '}':
                return "${" + varName + "}";
            case ':':
            case '+':
            case '-':
            case '?':
            case '#':
            case '%':
                bool nullIsUnset = false;
                if (ch == ':')
                {
                    nullIsUnset = true;
                    ch = Next();
                    if (ch == Eof) return null;
                    chs += (char)ch;
                }
                bool raw = ch is '#' or '%';
                if (nullIsUnset && raw) return null;
                var (word, _) = ProcessStopOn('}', raw);
                if (word is null) return null;
                return "${" + varName + chs + word + "}";
            case '/':
                if (Peek() == '/') Next();
                var (pattern, _) = ProcessStopOn('/', true);
                if (pattern is null) return null;
                var (replacement, _) = ProcessStopOn('}', true);
                if (replacement is null) return null;
                return "${" + varName + "/" + pattern + "/" + replacement + "}";
            default:
                return null;
        }
    }

    private string ProcessName()
    {
        var sb = new StringBuilder();
        while (Peek() != Eof)
        {
            char ch = (char)Peek();
            if (sb.Length == 0 && char.IsDigit(ch))
            {
                while (Peek() != Eof && char.IsDigit((char)Peek())) sb.Append((char)Next());
                return sb.ToString();
            }
            if (sb.Length == 0 && ch is '@' or '*' or '#' or '?' or '-' or '$' or '!' or '0')
            {
                Next();
                return ch.ToString();
            }
            if (!char.IsLetter(ch) && !char.IsDigit(ch) && ch != '_') break;
            sb.Append((char)Next());
        }
        return sb.ToString();
    }

    private string ProcessPossibleHeredoc()
    {
        Next();
        if (Peek() != '<') return "<";
        Next();
        var sb = new StringBuilder("<<");
        while (Peek() is '\t' or '\r' or ' ') sb.Append((char)Next());
        return sb.ToString();
    }
}
