using System.Globalization;
using System.Text;

namespace Berth.Cli.Formatting;

// The parse tree and lexer/parser for the text/template subset docker uses. Positions are offsets into the source.

internal abstract class TemplateNode(int pos, string source)
{
    public int Pos { get; } = pos;
    /// <summary>The node as written, for error context (Go prints <c>node.String()</c>).</summary>
    public string Source { get; } = source;
}

internal sealed class ListNode(int pos) : TemplateNode(pos, "")
{
    public List<TemplateNode> Nodes { get; } = [];
}

internal sealed class TextNode(int pos, string text) : TemplateNode(pos, text)
{
    public string Text { get; } = text;
}

internal sealed class ActionNode(int pos, PipeNode pipe) : TemplateNode(pos, "{{" + pipe.Source + "}}")
{
    public PipeNode Pipe { get; } = pipe;
}

internal sealed class PipeNode(int pos, string source, List<string> decl, bool isAssign, List<CommandNode> cmds) : TemplateNode(pos, source)
{
    public List<string> Decl { get; } = decl;
    public bool IsAssign { get; } = isAssign;
    public List<CommandNode> Cmds { get; } = cmds;
}

internal sealed class CommandNode(int pos, string source, List<TemplateNode> args) : TemplateNode(pos, source)
{
    public List<TemplateNode> Args { get; } = args;
}

internal sealed class FieldNode(int pos, string[] idents) : TemplateNode(pos, "." + string.Join('.', idents))
{
    public string[] Idents { get; } = idents;
}

internal sealed class VariableNode(int pos, string[] idents) : TemplateNode(pos, string.Join('.', idents))
{
    /// <summary>Idents[0] is the variable name including <c>$</c>; the rest are field names.</summary>
    public string[] Idents { get; } = idents;
}

internal sealed class ChainNode(int pos, TemplateNode target, string[] fields) : TemplateNode(pos, target.Source + "." + string.Join('.', fields))
{
    public TemplateNode Target { get; } = target;
    public string[] Fields { get; } = fields;
}

internal sealed class IdentifierNode(int pos, string name) : TemplateNode(pos, name)
{
    public string Name { get; } = name;
}

internal sealed class DotNode(int pos) : TemplateNode(pos, ".");
internal sealed class NilNode(int pos) : TemplateNode(pos, "nil");
internal sealed class BoolNode(int pos, bool value) : TemplateNode(pos, value ? "true" : "false")
{
    public bool Value { get; } = value;
}
internal sealed class NumberNode(int pos, string text, object value) : TemplateNode(pos, text)
{
    public object Value { get; } = value;
}
internal sealed class StringNode(int pos, string quoted, string value) : TemplateNode(pos, quoted)
{
    public string Value { get; } = value;
}
internal sealed class BreakNode(int pos) : TemplateNode(pos, "{{break}}");
internal sealed class ContinueNode(int pos) : TemplateNode(pos, "{{continue}}");
internal sealed class EndNode(int pos) : TemplateNode(pos, "{{end}}");
internal sealed class ElseNode(int pos) : TemplateNode(pos, "{{else}}");

internal enum BranchKind { If, Range, With }

internal sealed class BranchNode(int pos, BranchKind kind, PipeNode pipe, ListNode list, ListNode? elseList)
    : TemplateNode(pos, "{{" + kind.ToString().ToLowerInvariant() + " " + pipe.Source + "}}")
{
    public BranchKind Kind { get; } = kind;
    public PipeNode Pipe { get; } = pipe;
    public ListNode List { get; } = list;
    public ListNode? ElseList { get; } = elseList;
}

internal enum TokenKind
{
    Text, LeftDelim, RightDelim, Space, Field, Dot, Variable, Identifier, Keyword, Bool, Nil, String, RawString, Char, Number,
    Pipe, LeftParen, RightParen, Declare, Assign, Comma, Eof,
}

internal readonly record struct Token(TokenKind Kind, string Value, int Pos)
{
    // Go's item.String(), used in "unexpected X in Y" messages.
    public override string ToString() => Kind switch
    {
        TokenKind.Eof => "EOF",
        TokenKind.Keyword => "<" + Value + ">",
        TokenKind.LeftDelim or TokenKind.RightDelim or TokenKind.Space or TokenKind.Pipe or TokenKind.LeftParen
            or TokenKind.RightParen or TokenKind.Comma or TokenKind.Declare or TokenKind.Assign => GoQuote.Quote(Value),
        _ when Value.Length > 10 => GoQuote.Quote(Value[..10]) + "...",
        _ => GoQuote.Quote(Value),
    };
}

internal static class TemplateLexer
{
    private static readonly HashSet<string> Keywords = ["if", "else", "end", "range", "with", "break", "continue", "define", "template", "block"];

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    public static List<Token> Lex(string input)
    {
        var tokens = new List<Token>();
        int pos = 0;
        bool trimLeadingText = false;
        while (true)
        {
            int open = input.IndexOf("{{", pos, StringComparison.Ordinal);
            int textEnd = open < 0 ? input.Length : open;
            int textStart = pos;
            if (trimLeadingText)
                while (textStart < textEnd && IsSpace(input[textStart])) textStart++;
            trimLeadingText = false;
            int afterOpen = open + 2;
            bool trimLeft = open >= 0 && afterOpen + 1 < input.Length && input[afterOpen] == '-' && IsSpace(input[afterOpen + 1]);
            int trimmedEnd = textEnd;
            if (trimLeft)
                while (trimmedEnd > textStart && IsSpace(input[trimmedEnd - 1])) trimmedEnd--;
            if (trimmedEnd > textStart) tokens.Add(new Token(TokenKind.Text, input[textStart..trimmedEnd], textStart));
            if (open < 0)
            {
                tokens.Add(new Token(TokenKind.Eof, "", input.Length));
                return tokens;
            }

            pos = trimLeft ? afterOpen + 2 : afterOpen;
            // Comments: {{/* ... */}}, optionally with trim markers.
            if (input.AsSpan(pos).StartsWith("/*"))
            {
                int close = input.IndexOf("*/", pos + 2, StringComparison.Ordinal);
                if (close < 0) throw TemplateParser.Error(input, open, "unclosed comment");
                pos = close + 2;
                if (pos + 1 < input.Length && IsSpace(input[pos]) && input[pos + 1] == '-' && input.AsSpan(pos + 2).StartsWith("}}"))
                {
                    trimLeadingText = true;
                    pos += 4;
                }
                else if (input.AsSpan(pos).StartsWith("}}")) pos += 2;
                else throw TemplateParser.Error(input, open, "comment ends before closing delimiter");
                continue;
            }

            tokens.Add(new Token(TokenKind.LeftDelim, "{{", open));
            pos = LexInsideAction(input, pos, tokens, out trimLeadingText);
        }
    }

    private static int LexInsideAction(string input, int pos, List<Token> tokens, out bool trimAfter)
    {
        int parenDepth = 0;
        trimAfter = false;
        while (true)
        {
            if (pos >= input.Length) throw TemplateParser.Error(input, pos, "unclosed action");
            char c = input[pos];
            if (IsSpace(c) && pos + 1 < input.Length && input[pos + 1] == '-' && input.AsSpan(pos + 2).StartsWith("}}"))
            {
                if (parenDepth > 0) throw TemplateParser.Error(input, pos, "unclosed left paren");
                tokens.Add(new Token(TokenKind.RightDelim, "}}", pos + 2));
                trimAfter = true;
                return pos + 4;
            }
            if (c == '}' && pos + 1 < input.Length && input[pos + 1] == '}')
            {
                if (parenDepth > 0) throw TemplateParser.Error(input, pos, "unclosed left paren");
                tokens.Add(new Token(TokenKind.RightDelim, "}}", pos));
                return pos + 2;
            }
            int start = pos;
            if (IsSpace(c))
            {
                while (pos < input.Length && IsSpace(input[pos]))
                {
                    if (pos + 1 < input.Length && input[pos + 1] == '-' && input.AsSpan(pos + 2).StartsWith("}}")) break;
                    pos++;
                }
                if (pos == start) pos++;
                tokens.Add(new Token(TokenKind.Space, input[start..pos], start));
                continue;
            }
            switch (c)
            {
                case '|': tokens.Add(new Token(TokenKind.Pipe, "|", pos)); pos++; continue;
                case '(': parenDepth++; tokens.Add(new Token(TokenKind.LeftParen, "(", pos)); pos++; continue;
                case ')':
                    parenDepth--;
                    if (parenDepth < 0) throw TemplateParser.Error(input, pos, "unexpected right paren");
                    tokens.Add(new Token(TokenKind.RightParen, ")", pos)); pos++; continue;
                case ',': tokens.Add(new Token(TokenKind.Comma, ",", pos)); pos++; continue;
                case '=': tokens.Add(new Token(TokenKind.Assign, "=", pos)); pos++; continue;
                case ':':
                    if (pos + 1 < input.Length && input[pos + 1] == '=')
                    {
                        tokens.Add(new Token(TokenKind.Declare, ":=", pos));
                        pos += 2;
                        continue;
                    }
                    throw TemplateParser.Error(input, pos, "expected :=");
                case '"':
                {
                    pos++;
                    while (true)
                    {
                        if (pos >= input.Length || input[pos] == '\n') throw TemplateParser.Error(input, start, "unterminated quoted string");
                        if (input[pos] == '\\') pos += 2;
                        else if (input[pos] == '"') { pos++; break; }
                        else pos++;
                    }
                    tokens.Add(new Token(TokenKind.String, input[start..pos], start));
                    continue;
                }
                case '`':
                {
                    int close = input.IndexOf('`', pos + 1);
                    if (close < 0) throw TemplateParser.Error(input, start, "unterminated raw quoted string");
                    pos = close + 1;
                    tokens.Add(new Token(TokenKind.RawString, input[start..pos], start));
                    continue;
                }
                case '\'':
                {
                    pos++;
                    while (true)
                    {
                        if (pos >= input.Length || input[pos] == '\n') throw TemplateParser.Error(input, start, "unterminated character constant");
                        if (input[pos] == '\\') pos += 2;
                        else if (input[pos] == '\'') { pos++; break; }
                        else pos++;
                    }
                    tokens.Add(new Token(TokenKind.Char, input[start..pos], start));
                    continue;
                }
                case '$':
                    pos++;
                    while (pos < input.Length && IsAlphaNumeric(input[pos])) pos++;
                    tokens.Add(new Token(TokenKind.Variable, input[start..pos], start));
                    continue;
                case '.':
                    if (pos + 1 < input.Length && char.IsAsciiDigit(input[pos + 1])) break; // a number like .5
                    pos++;
                    if (pos < input.Length && IsAlphaNumeric(input[pos]))
                    {
                        while (pos < input.Length && IsAlphaNumeric(input[pos])) pos++;
                        tokens.Add(new Token(TokenKind.Field, input[start..pos], start));
                    }
                    else tokens.Add(new Token(TokenKind.Dot, ".", start));
                    continue;
            }
            if (char.IsAsciiDigit(c) || c == '.' || ((c == '+' || c == '-') && pos + 1 < input.Length && (char.IsAsciiDigit(input[pos + 1]) || input[pos + 1] == '.')))
            {
                pos++;
                while (pos < input.Length && (char.IsAsciiLetterOrDigit(input[pos]) || input[pos] is '.' or '_'
                       || ((input[pos] is '+' or '-') && input[pos - 1] is 'e' or 'E' or 'p' or 'P')))
                    pos++;
                tokens.Add(new Token(TokenKind.Number, input[start..pos], start));
                continue;
            }
            if (IsAlphaNumeric(c))
            {
                while (pos < input.Length && IsAlphaNumeric(input[pos])) pos++;
                string word = input[start..pos];
                var kind = word switch
                {
                    "true" or "false" => TokenKind.Bool,
                    "nil" => TokenKind.Nil,
                    _ when Keywords.Contains(word) => TokenKind.Keyword,
                    _ => TokenKind.Identifier,
                };
                tokens.Add(new Token(kind, word, start));
                continue;
            }
            throw TemplateParser.Error(input, pos, $"unrecognized character in action: {GoQuote.RuneDescription(c)}");
        }
    }

    private static bool IsAlphaNumeric(char c) => c == '_' || char.IsLetterOrDigit(c);
}

/// <summary>Builds the parse tree from tokens with Go's grammar and error messages.</summary>
internal sealed class TemplateParser
{
    private readonly string _input;
    private readonly List<Token> _tokens;
    private readonly Func<string, bool> _hasFunction;
    private readonly List<string> _vars = ["$"];
    private int _index;
    private int _rangeDepth;

    private TemplateParser(string input, Func<string, bool> hasFunction)
    {
        _input = input;
        _hasFunction = hasFunction;
        _tokens = TemplateLexer.Lex(input);
    }

    public static ListNode Parse(string input, Func<string, bool> hasFunction) => new TemplateParser(input, hasFunction).ParseRoot();

    public static TemplateException Error(string input, int pos, string message)
    {
        int line = 1;
        for (int i = 0; i < pos && i < input.Length; i++) if (input[i] == '\n') line++;
        return new TemplateException($"template: :{line}: {message}");
    }

    private TemplateException Error(string message) => Error(_input, Current.Pos, message);

    private Token Current => _tokens[Math.Max(0, Math.Min(_index - 1, _tokens.Count - 1))];
    private Token Next() => _tokens[Math.Min(_index++, _tokens.Count - 1)];
    private Token Peek() => _tokens[Math.Min(_index, _tokens.Count - 1)];
    private void Backup() => _index--;

    private Token NextNonSpace()
    {
        Token t;
        do t = Next(); while (t.Kind == TokenKind.Space);
        return t;
    }

    private Token PeekNonSpace()
    {
        var t = NextNonSpace();
        Backup();
        return t;
    }

    private ListNode ParseRoot()
    {
        var root = new ListNode(0);
        while (Peek().Kind != TokenKind.Eof)
        {
            var n = TextOrAction();
            if (n is EndNode or ElseNode) throw Error($"unexpected {n.Source}");
            root.Nodes.Add(n);
        }
        return root;
    }

    private (ListNode List, TemplateNode Stop) ItemList()
    {
        var list = new ListNode(Peek().Pos);
        while (Peek().Kind != TokenKind.Eof)
        {
            var n = TextOrAction();
            if (n is EndNode or ElseNode) return (list, n);
            list.Nodes.Add(n);
        }
        throw Error("unexpected EOF");
    }

    private TemplateNode TextOrAction()
    {
        var t = NextNonSpace();
        return t.Kind switch
        {
            TokenKind.Text => new TextNode(t.Pos, t.Value),
            TokenKind.LeftDelim => Action(),
            _ => throw Error($"unexpected {t} in input"),
        };
    }

    private TemplateNode Action()
    {
        var t = NextNonSpace();
        if (t.Kind == TokenKind.Keyword)
        {
            switch (t.Value)
            {
                case "if": return Control(BranchKind.If, t.Pos);
                case "range": return Control(BranchKind.Range, t.Pos);
                case "with": return Control(BranchKind.With, t.Pos);
                case "end": ExpectRightDelim("end"); return new EndNode(t.Pos);
                case "else":
                {
                    var p = PeekNonSpace();
                    if (p.Kind == TokenKind.Keyword && p.Value is "if" or "with") return new ElseNode(t.Pos);
                    ExpectRightDelim("else");
                    return new ElseNode(t.Pos);
                }
                case "break":
                    if (_rangeDepth == 0) throw Error("{{break}} outside {{range}}");
                    ExpectRightDelim("break");
                    return new BreakNode(t.Pos);
                case "continue":
                    if (_rangeDepth == 0) throw Error("{{continue}} outside {{range}}");
                    ExpectRightDelim("continue");
                    return new ContinueNode(t.Pos);
                default:
                    throw Error($"{{{{{t.Value}}}}} is not supported in --format templates");
            }
        }
        Backup();
        return new ActionNode(t.Pos, Pipeline("command", TokenKind.RightDelim));
    }

    private void ExpectRightDelim(string context)
    {
        var t = NextNonSpace();
        if (t.Kind != TokenKind.RightDelim) throw Error($"unexpected {t} in {context}");
    }

    private BranchNode Control(BranchKind kind, int pos)
    {
        string context = kind.ToString().ToLowerInvariant();
        int varCount = _vars.Count;
        var pipe = Pipeline(context, TokenKind.RightDelim);
        if (kind == BranchKind.Range) _rangeDepth++;
        var (list, stop) = ItemList();
        if (kind == BranchKind.Range) _rangeDepth--;
        ListNode? elseList = null;
        if (stop is ElseNode)
        {
            var p = PeekNonSpace();
            if ((kind == BranchKind.If && p is { Kind: TokenKind.Keyword, Value: "if" }) ||
                (kind == BranchKind.With && p is { Kind: TokenKind.Keyword, Value: "with" }))
            {
                // "{{else if x}}" is "{{else}}{{if x}}...{{end}}" sharing the outer {{end}}.
                var keyword = NextNonSpace();
                elseList = new ListNode(keyword.Pos);
                elseList.Nodes.Add(Control(kind, keyword.Pos));
            }
            else
            {
                (elseList, stop) = ItemList();
                if (stop is not EndNode) throw Error($"expected end; found {stop.Source}");
            }
        }
        _vars.RemoveRange(varCount, _vars.Count - varCount);
        return new BranchNode(pos, kind, pipe, list, elseList);
    }

    private PipeNode Pipeline(string context, TokenKind end)
    {
        int start = Peek().Pos;
        var decl = new List<string>();
        bool isAssign = false;
        var p = PeekNonSpace();
        if (p.Kind == TokenKind.Variable)
        {
            int save = _index;
            var v = NextNonSpace();
            var next = PeekNonSpace();
            if (next.Kind is TokenKind.Declare or TokenKind.Assign)
            {
                NextNonSpace();
                isAssign = next.Kind == TokenKind.Assign;
                decl.Add(v.Value);
                if (!isAssign) _vars.Add(v.Value);
                else if (!_vars.Contains(v.Value)) throw Error($"undefined variable \"{v.Value}\"");
            }
            else if (next.Kind == TokenKind.Comma && context == "range")
            {
                NextNonSpace();
                decl.Add(v.Value);
                var v2 = NextNonSpace();
                if (v2.Kind != TokenKind.Variable) throw Error("range can only initialize variables");
                var d = NextNonSpace();
                if (d.Kind != TokenKind.Declare && d.Kind != TokenKind.Assign) throw Error($"unexpected {d} in range");
                decl.Add(v2.Value);
                _vars.Add(v.Value);
                _vars.Add(v2.Value);
            }
            else if (next.Kind == TokenKind.Comma) throw Error($"too many declarations in {context}");
            else _index = save;
        }

        var cmds = new List<CommandNode>();
        while (true)
        {
            var t = NextNonSpace();
            if (t.Kind == end)
            {
                if (cmds.Count == 0) throw Error($"missing value for {context}");
                for (int i = 1; i < cmds.Count; i++)
                    if (cmds[i].Args[0] is BoolNode or DotNode or NilNode or NumberNode or StringNode)
                        throw Error($"non executable command in pipeline stage {i + 1}");
                string source = _input[start..t.Pos].Trim();
                return new PipeNode(start, source, decl, isAssign, cmds);
            }
            switch (t.Kind)
            {
                case TokenKind.Bool or TokenKind.Char or TokenKind.Dot or TokenKind.Field or TokenKind.Identifier or TokenKind.Number
                    or TokenKind.Nil or TokenKind.RawString or TokenKind.String or TokenKind.Variable or TokenKind.LeftParen:
                    Backup();
                    cmds.Add(Command());
                    break;
                default:
                    throw Error($"unexpected {t} in {context}");
            }
        }
    }

    private CommandNode Command()
    {
        var args = new List<TemplateNode>();
        int start = PeekNonSpace().Pos;
        int endPos;
        while (true)
        {
            PeekNonSpace();
            var operand = Operand();
            if (operand is not null) args.Add(operand);
            var t = Next();
            if (t.Kind == TokenKind.Space) continue;
            if (t.Kind is TokenKind.RightDelim or TokenKind.RightParen) Backup();
            else if (t.Kind != TokenKind.Pipe) throw Error($"unexpected {t} in operand");
            endPos = t.Pos;
            break;
        }
        if (args.Count == 0) throw Error("empty command");
        return new CommandNode(start, _input[start..endPos].Trim(), args);
    }

    private TemplateNode? Operand()
    {
        var node = Term();
        if (node is null) return null;
        if (Peek().Kind != TokenKind.Field) return node;
        var fields = new List<string>();
        while (Peek().Kind == TokenKind.Field) fields.Add(Next().Value[1..]);
        return node switch
        {
            FieldNode f => new FieldNode(f.Pos, [.. f.Idents, .. fields]),
            VariableNode v => new VariableNode(v.Pos, [.. v.Idents, .. fields]),
            BoolNode or StringNode or NumberNode or NilNode or DotNode => throw Error($"unexpected . after term {GoQuote.Quote(node.Source)}"),
            _ => new ChainNode(node.Pos, node, [.. fields]),
        };
    }

    private TemplateNode? Term()
    {
        var t = NextNonSpace();
        switch (t.Kind)
        {
            case TokenKind.Identifier:
                if (!_hasFunction(t.Value)) throw Error($"function {GoQuote.Quote(t.Value)} not defined");
                return new IdentifierNode(t.Pos, t.Value);
            case TokenKind.Dot: return new DotNode(t.Pos);
            case TokenKind.Nil: return new NilNode(t.Pos);
            case TokenKind.Variable:
                if (!_vars.Contains(t.Value)) throw Error($"undefined variable {GoQuote.Quote(t.Value)}");
                return new VariableNode(t.Pos, [t.Value]);
            case TokenKind.Field: return new FieldNode(t.Pos, [t.Value[1..]]);
            case TokenKind.Bool: return new BoolNode(t.Pos, t.Value == "true");
            case TokenKind.Number: return new NumberNode(t.Pos, t.Value, ParseNumber(t.Value));
            case TokenKind.Char: return new NumberNode(t.Pos, t.Value, (long)char.ConvertToUtf32(Unquote(t.Value, t.Pos), 0));
            case TokenKind.String: return new StringNode(t.Pos, t.Value, Unquote(t.Value, t.Pos));
            case TokenKind.RawString: return new StringNode(t.Pos, t.Value, t.Value[1..^1]);
            case TokenKind.LeftParen:
            {
                var pipe = Pipeline("parenthesized pipeline", TokenKind.RightParen);
                return pipe;
            }
            default:
                Backup();
                return null;
        }
    }

    private object ParseNumber(string text)
    {
        string t = text.Replace("_", "", StringComparison.Ordinal);
        bool neg = t.StartsWith('-');
        string body = t.TrimStart('+', '-');
        if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase) &&
            long.TryParse(body[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hex))
            return neg ? -hex : hex;
        if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            // Go constants like 1e3 or 2.0 are usable as ints when integral.
            return d;
        }
        throw Error($"bad number syntax: {GoQuote.Quote(text)}");
    }

    private string Unquote(string quoted, int pos)
    {
        var sb = new StringBuilder();
        for (int i = 1; i < quoted.Length - 1; i++)
        {
            char c = quoted[i];
            if (c != '\\') { sb.Append(c); continue; }
            char e = quoted[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\\': sb.Append('\\'); break;
                case '"': sb.Append('"'); break;
                case '\'': sb.Append('\''); break;
                case 'x': sb.Append((char)Convert.ToInt32(quoted.Substring(i + 1, 2), 16)); i += 2; break;
                case 'u': sb.Append(char.ConvertFromUtf32(Convert.ToInt32(quoted.Substring(i + 1, 4), 16))); i += 4; break;
                case 'U': sb.Append(char.ConvertFromUtf32(Convert.ToInt32(quoted.Substring(i + 1, 8), 16))); i += 8; break;
                default: throw Error(_input, pos, $"invalid syntax in {quoted}");
            }
        }
        return sb.ToString();
    }
}

/// <summary>Go's <c>%q</c> quoting and <c>%#U</c> rune description.</summary>
internal static class GoQuote
{
    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20 || c == 0x7f) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    public static string RuneDescription(char c) => string.Create(CultureInfo.InvariantCulture, $"U+{(int)c:X4} '{c}'");
}
