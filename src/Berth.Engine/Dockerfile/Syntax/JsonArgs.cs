using System.Text;

namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>Outcome of reading an argument string as a JSON array of strings.</summary>
public enum JsonArrayStatus
{
    /// <summary>A valid JSON array whose elements are all strings.</summary>
    Strings,
    /// <summary>Not JSON (or not an array): the caller falls back to the shell form.</summary>
    NotJson,
    /// <summary>A valid JSON array with a non-string element: a hard error in BuildKit.</summary>
    NotAllStrings,
}

/// <summary>The exec-form detector: Go's <c>encoding/json</c> rules, written out so results match it exactly.</summary>
public static class JsonArgs
{
    public const string NotAllStringsMessage = "when using JSON array syntax, arrays must be comprised of strings only";

    private const int MaxDepth = 10000; // Go's encoding/json nesting limit

    /// <summary>Reads <paramref name="text"/> (leading Unicode white space allowed) as a JSON array of strings.</summary>
    public static JsonArrayStatus TryParse(string text, out List<string> elements)
    {
        elements = [];
        int p = 0;
        while (p < text.Length && char.IsWhiteSpace(text[p])) p++;
        if (p >= text.Length || text[p] != '[')
            return JsonArrayStatus.NotJson;
        var reader = new Reader(text, p);
        bool allStrings = true;
        reader.Pos++; // '['
        reader.SkipWs();
        if (reader.Peek() == ']')
        {
            reader.Pos++;
        }
        else
        {
            while (true)
            {
                reader.SkipWs();
                if (reader.Peek() == '"')
                {
                    string? s = reader.ReadString();
                    if (s is null) return JsonArrayStatus.NotJson;
                    elements.Add(s);
                }
                else
                {
                    if (!reader.SkipValue(1)) return JsonArrayStatus.NotJson;
                    allStrings = false;
                }
                reader.SkipWs();
                int c = reader.Peek();
                if (c == ',') { reader.Pos++; continue; }
                if (c == ']') { reader.Pos++; break; }
                return JsonArrayStatus.NotJson;
            }
        }
        reader.SkipWs();
        if (reader.Pos != text.Length)
            return JsonArrayStatus.NotJson;
        if (!allStrings)
        {
            elements = [];
            return JsonArrayStatus.NotAllStrings;
        }
        return JsonArrayStatus.Strings;
    }

    private struct Reader(string text, int pos)
    {
        private readonly string _t = text;
        public int Pos = pos;

        public readonly int Peek() => Pos < _t.Length ? _t[Pos] : -1;

        public void SkipWs()
        {
            while (Pos < _t.Length && _t[Pos] is ' ' or '\t' or '\n' or '\r') Pos++;
        }

        public string? ReadString()
        {
            Pos++; // opening quote
            StringBuilder? sb = null;
            int runStart = Pos;
            while (true)
            {
                if (Pos >= _t.Length) return null;
                char c = _t[Pos];
                if (c == '"')
                {
                    string result = sb is null ? _t[runStart..Pos] : sb.Append(_t, runStart, Pos - runStart).ToString();
                    Pos++;
                    return Clean(result);
                }
                if (c < 0x20) return null;
                if (c != '\\') { Pos++; continue; }
                sb ??= new StringBuilder();
                sb.Append(_t, runStart, Pos - runStart);
                Pos++;
                if (Pos >= _t.Length) return null;
                char e = _t[Pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        int u = ReadHex4();
                        if (u < 0) return null;
                        if (char.IsHighSurrogate((char)u) && Pos + 1 < _t.Length && _t[Pos] == '\\' && _t[Pos + 1] == 'u')
                        {
                            int save = Pos;
                            Pos += 2;
                            int lo = ReadHex4();
                            if (lo < 0) return null;
                            if (char.IsLowSurrogate((char)lo)) { sb.Append((char)u).Append((char)lo); }
                            else { sb.Append('\uFFFD'); Pos = save; }
                        }
                        else if (char.IsSurrogate((char)u)) sb.Append('\uFFFD');
                        else sb.Append((char)u);
                        break;
                    default: return null;
                }
                runStart = Pos;
            }
        }

        // Go replaces invalid UTF-8 inside JSON strings with U+FFFD.
        private static string Clean(string s)
        {
            for (int i = 0; i < s.Length; i++)
            {
                if (!char.IsSurrogate(s[i])) continue;
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
                var chars = s.ToCharArray();
                for (int j = i; j < chars.Length; j++)
                {
                    if (char.IsHighSurrogate(chars[j]) && j + 1 < chars.Length && char.IsLowSurrogate(chars[j + 1])) { j++; continue; }
                    if (char.IsSurrogate(chars[j])) chars[j] = '\uFFFD';
                }
                return new string(chars);
            }
            return s;
        }

        private int ReadHex4()
        {
            if (Pos + 4 > _t.Length) return -1;
            int v = 0;
            for (int i = 0; i < 4; i++)
            {
                int d = HexValue(_t[Pos + i]);
                if (d < 0) return -1;
                v = v * 16 + d;
            }
            Pos += 4;
            return v;
        }

        private static int HexValue(char c) => c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };

        // Validates one JSON value without recursion (input may be hostile: deep nesting must not blow the stack).
        public bool SkipValue(int depth)
        {
            var stack = new Stack<char>();
            while (true)
            {
                SkipWs();
                int c = Peek();
                switch (c)
                {
                    case '{':
                    case '[':
                        if (depth + stack.Count + 1 > MaxDepth) return false;
                        Pos++;
                        stack.Push((char)c);
                        SkipWs();
                        if (c == '[' && Peek() == ']') { Pos++; stack.Pop(); break; }
                        if (c == '{')
                        {
                            if (Peek() == '}') { Pos++; stack.Pop(); break; }
                            if (!ReadKey()) return false;
                        }
                        continue; // read the first element
                    case '"':
                        if (ReadString() is null) return false;
                        break;
                    case 't': if (!Literal("true")) return false; break;
                    case 'f': if (!Literal("false")) return false; break;
                    case 'n': if (!Literal("null")) return false; break;
                    default:
                        if (!Number()) return false;
                        break;
                }
                // After a complete value: close containers or move to the next element.
                while (true)
                {
                    if (stack.Count == 0) return true;
                    SkipWs();
                    int d = Peek();
                    char open = stack.Peek();
                    if (d == ',')
                    {
                        Pos++;
                        if (open == '{') { SkipWs(); if (!ReadKey()) return false; }
                        break;
                    }
                    if ((open == '[' && d == ']') || (open == '{' && d == '}'))
                    {
                        Pos++;
                        stack.Pop();
                        continue;
                    }
                    return false;
                }
            }
        }

        private bool ReadKey()
        {
            if (Peek() != '"' || ReadString() is null) return false;
            SkipWs();
            if (Peek() != ':') return false;
            Pos++;
            return true;
        }

        private bool Literal(string word)
        {
            if (string.CompareOrdinal(_t, Pos, word, 0, word.Length) != 0) return false;
            Pos += word.Length;
            return true;
        }

        private bool Number()
        {
            int start = Pos;
            if (Peek() == '-') Pos++;
            if (Peek() == '0') Pos++;
            else if (Peek() is >= '1' and <= '9') { while (Peek() is >= '0' and <= '9') Pos++; }
            else return false;
            if (Peek() == '.')
            {
                Pos++;
                if (Peek() is not (>= '0' and <= '9')) return false;
                while (Peek() is >= '0' and <= '9') Pos++;
            }
            if (Peek() is 'e' or 'E')
            {
                Pos++;
                if (Peek() is '+' or '-') Pos++;
                if (Peek() is not (>= '0' and <= '9')) return false;
                while (Peek() is >= '0' and <= '9') Pos++;
            }
            return Pos > start;
        }
    }
}
