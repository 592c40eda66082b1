using System.Text;

namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>
/// Dockerfile text → <see cref="DockerfileAst"/>, following BuildKit's <c>frontend/dockerfile/parser</c>:
/// directives, comments, line continuations, flags, per-keyword argument splitting, heredocs, line ranges.
/// Knows nothing of what instructions mean; unknown keywords are kept for the instruction layer to reject.
/// </summary>
public static class DockerfileParser
{
    /// <summary>Go's <c>bufio.Scanner</c> limit that BuildKit reports for longer physical lines.</summary>
    public const int MaxLineBytes = 65535;

    public const string EmptyContinuationUrl = "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/";

    public static DockerfileAst Parse(ReadOnlySpan<byte> content, string fileName = "Dockerfile")
    {
        CheckLineLengths(content, fileName);
        return Parse(SourceText.Decode(content), fileName, lengthsChecked: true);
    }

    public static DockerfileAst Parse(string text, string fileName = "Dockerfile") => Parse(text, fileName, lengthsChecked: false);

    private static DockerfileAst Parse(string text, string fileName, bool lengthsChecked)
    {
        var state = new ParseState(text, fileName, lengthsChecked);
        return state.Run();
    }

    private static void CheckLineLengths(ReadOnlySpan<byte> content, string fileName)
    {
        int line = 0;
        while (!content.IsEmpty)
        {
            line++;
            int nl = content.IndexOf((byte)'\n');
            int len = nl < 0 ? content.Length : nl + 1;
            // Go's scanner must fit the line plus its newline (or EOF) in a 64 KiB buffer.
            if ((nl < 0 ? len : len - 1) > MaxLineBytes)
                throw new DockerfileSyntaxException(fileName, line, $"dockerfile line greater than max allowed size of {MaxLineBytes}");
            content = content[len..];
        }
    }

    private sealed class ParseState(string text, string fileName, bool lengthsChecked)
    {
        private readonly string _text = text;
        private readonly string _fileName = fileName;
        private readonly bool _lengthsChecked = lengthsChecked;
        private int _offset; // start of the next physical line
        private int _lineNo; // physical lines consumed
        private char _escape = '\\';
        private readonly ParserDirectives _directives = new();
        private readonly List<Directive> _directiveList = [];
        private readonly List<ParserWarning> _warnings = [];

        // Next physical line including its '\n' (if any); false at end of input.
        private bool NextLine(out ReadOnlySpan<char> line)
        {
            if (_offset >= _text.Length)
            {
                line = default;
                return false;
            }
            int nl = _text.IndexOf('\n', _offset);
            int end = nl < 0 ? _text.Length : nl + 1;
            line = _text.AsSpan(_offset, end - _offset);
            _offset = end;
            _lineNo++;
            if (!_lengthsChecked && line.Length > MaxLineBytes / 3 && Utf8Length(TrimOneNewline(line)) > MaxLineBytes)
                throw Error(_lineNo, $"dockerfile line greater than max allowed size of {MaxLineBytes}");
            return true;
        }

        private static ReadOnlySpan<char> TrimOneNewline(ReadOnlySpan<char> s) => s.EndsWith('\n') ? s[..^1] : s;

        private static int Utf8Length(ReadOnlySpan<char> s)
        {
            int n = 0;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c < 0x80 || SourceText.IsEscapedByte(c)) n += 1;
                else if (c < 0x800) n += 2;
                else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { n += 4; i++; }
                else n += 3;
            }
            return n;
        }

        private DockerfileSyntaxException Error(int line, string reason) => new(_fileName, Math.Max(1, line), reason);

        public DockerfileAst Run()
        {
            var root = new Node();
            var children = new List<Node>();
            var buf = new StringBuilder();
            var comments = new List<string>();

            while (NextLine(out var raw))
            {
                if (_lineNo == 1 && raw.Length > 0 && raw[0] == '\uFEFF') raw = raw[1..];
                var line = TrimNewline(raw).TrimStart();
                if (IsComment(raw))
                {
                    // BuildKit drops the first byte of the untrimmed line, then trims.
                    var comment = TrimNewline(raw)[1..].Trim();
                    if (comment.IsEmpty) comments.Clear();
                    else comments.Add(comment.ToString());
                }
                if (!_directives.Done)
                {
                    Directive? d;
                    try
                    {
                        d = _directives.ParseLine(line);
                    }
                    catch (FormatException e)
                    {
                        throw Error(_lineNo, e.Message);
                    }
                    if (d is not null)
                    {
                        if (d.Name == "escape")
                        {
                            if (d.Value != "`" && d.Value != "\\")
                                throw Error(_lineNo, $"invalid escape token '{d.Value}' does not match ` or \\");
                            _escape = d.Value[0];
                        }
                        _directiveList.Add(d);
                        if (comments.Count > 0) comments.RemoveAt(comments.Count - 1);
                    }
                }
                int startLine = _lineNo;
                if (IsComment(line)) line = default;
                bool endOfLine = TrimContinuation(ref line);
                if (endOfLine && line.IsEmpty) continue;

                buf.Clear();
                buf.Append(line);
                bool hasEmptyContinuation = false;
                while (!endOfLine && NextLine(out var cont))
                {
                    var c = TrimNewline(cont);
                    if (IsComment(c)) continue;
                    if (c.TrimStart().IsEmpty)
                    {
                        hasEmptyContinuation = true;
                        continue;
                    }
                    endOfLine = TrimContinuation(ref c);
                    buf.Append(c);
                }

                string logical = buf.ToString();
                if (hasEmptyContinuation)
                {
                    _warnings.Add(new ParserWarning(
                        "Empty continuation line found in: " + logical,
                        "Empty continuation lines will become errors in a future release",
                        EmptyContinuationUrl,
                        _lineNo));
                }

                Node child;
                try
                {
                    child = NodeFromLine(logical, _escape);
                }
                catch (FormatException e)
                {
                    throw new DockerfileSyntaxException(_fileName, Math.Max(1, startLine), e.Message, e is InstructionFormatException ? logical : null);
                }
                if (!endOfLine) child.ContinuedPastEnd = _escape;

                if (CanContainHeredoc(child) && logical.Contains("<<", StringComparison.Ordinal))
                {
                    List<Heredoc> heredocs;
                    try
                    {
                        heredocs = HeredocSyntax.FromLine(logical);
                    }
                    catch (FormatException e)
                    {
                        throw Error(startLine, e.Message);
                    }
                    if (heredocs.Count > 0)
                    {
                        var filled = new List<Heredoc>(heredocs.Count);
                        var content = new StringBuilder();
                        foreach (var h in heredocs)
                        {
                            content.Clear();
                            bool terminated = false;
                            while (NextLine(out var body))
                            {
                                var candidate = TrimNewline(body);
                                if (h.Chomp) candidate = candidate.TrimStart('\t');
                                if (candidate.SequenceEqual(h.Name))
                                {
                                    terminated = true;
                                    break;
                                }
                                content.Append(body);
                            }
                            if (!terminated)
                                throw Error(startLine, "unterminated heredoc");
                            filled.Add(h with { Content = content.ToString() });
                        }
                        child.Heredocs = filled;
                    }
                }

                child.StartLine = startLine;
                child.EndLine = _lineNo;
                if (comments.Count > 0)
                {
                    child.Comments = [.. comments];
                    comments.Clear();
                }
                children.Add(child);
            }

            if (children.Count == 0)
                throw Error(_lineNo, "file with no instructions");

            root.Children = children;
            root.StartLine = children[0].StartLine;
            root.EndLine = children[^1].EndLine;
            return new DockerfileAst(root, _directiveList, _escape, _warnings, _fileName);
        }

        private static ReadOnlySpan<char> TrimNewline(ReadOnlySpan<char> s) => s.TrimEnd("\r\n");

        private static bool IsComment(ReadOnlySpan<char> s)
        {
            s = s.TrimStart();
            return !s.IsEmpty && s[0] == '#';
        }

        // A line continues when it ends with the escape character plus blanks, unless that escape is itself escaped.
        private bool TrimContinuation(ref ReadOnlySpan<char> line)
        {
            int end = line.Length;
            while (end > 0 && line[end - 1] is ' ' or '\t') end--;
            if (end == 0 || line[end - 1] != _escape) return true;
            if (end >= 2 && line[end - 2] == _escape) return true;
            line = line[..(end - 1)];
            return false;
        }
    }

    private static bool CanContainHeredoc(Node node)
    {
        if (string.Equals(node.Value, "onbuild", StringComparison.OrdinalIgnoreCase) && node.Next is { Children.Count: > 0 } wrapper)
            node = wrapper.Children[0];
        return !node.IsJson && IsOneOf(node.Value, "run", "copy", "add");
    }

    private static bool IsOneOf(string value, string a, string b, string c) =>
        value.Equals(a, StringComparison.OrdinalIgnoreCase) || value.Equals(b, StringComparison.OrdinalIgnoreCase) || value.Equals(c, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses one logical line (continuations already joined) into an instruction node. Throws <see cref="FormatException"/>.</summary>
    internal static Node NodeFromLine(string line, char escape)
    {
        var (cmd, flags, args) = SplitCommand(line, escape);
        var node = new Node { Value = cmd, Original = line, Flags = flags };
        var (next, isJson) = DispatchArguments(cmd, args, escape);
        node.Next = next;
        node.IsJson = isJson;
        return node;
    }

    private static (string Cmd, List<string> Flags, string Args) SplitCommand(string line, char escape)
    {
        string trimmed = line.Trim();
        int i = 0;
        while (i < trimmed.Length && !ArgumentWords.IsBlank(trimmed[i])) i++;
        string cmd = trimmed[..i];
        if (i == trimmed.Length) return (cmd, [], "");
        while (i < trimmed.Length && ArgumentWords.IsBlank(trimmed[i])) i++;
        var (rest, flags) = ExtractFlags(trimmed[i..], escape);
        return (cmd, flags, rest.Trim());
    }

    /// <summary>Leading <c>--flag</c> words: quotes removed, escape char escapes, bare <c>--</c> ends them.</summary>
    internal static (string Remainder, List<string> Flags) ExtractFlags(string line, char escape)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        int n = line.Length;
        int pos = 0;
        while (true)
        {
            // Looking for the start of a word.
            while (pos < n && char.IsWhiteSpace(line[pos])) pos++;
            if (pos == n) return ("", words);
            if (line[pos] != '-' || pos + 1 == n || line[pos + 1] != '-')
                return (line[pos..], words);

            sb.Clear();
            bool blankOk = false;
            bool inQuote = false;
            char quote = '\0';
            for (; ; pos++)
            {
                if (pos == n)
                {
                    string last = sb.ToString();
                    if (last != "--" && (blankOk || last.Length > 0)) words.Add(last);
                    return ("", words);
                }
                char ch = line[pos];
                if (!inQuote)
                {
                    if (char.IsWhiteSpace(ch))
                    {
                        string word = sb.ToString();
                        if (word == "--") return (line[pos..], words);
                        if (blankOk || word.Length > 0) words.Add(word);
                        break;
                    }
                    if (ch is '\'' or '"')
                    {
                        quote = ch;
                        blankOk = true;
                        inQuote = true;
                        continue;
                    }
                    if (ch == escape)
                    {
                        if (pos + 1 == n) continue;
                        pos++;
                        ch = line[pos];
                    }
                    sb.Append(ch);
                }
                else
                {
                    if (ch == quote)
                    {
                        inQuote = false;
                        continue;
                    }
                    if (ch == escape)
                    {
                        if (pos + 1 == n)
                        {
                            inQuote = false;
                            continue;
                        }
                        pos++;
                        ch = line[pos];
                    }
                    sb.Append(ch);
                }
            }
        }
    }

    private static (Node? Next, bool IsJson) DispatchArguments(string cmd, string rest, char escape)
    {
        switch (cmd.ToLowerInvariant())
        {
            case "run":
            case "cmd":
            case "entrypoint":
            case "shell":
                return MaybeJson(rest);
            case "add":
            case "copy":
            case "volume":
                return MaybeJsonToList(rest);
            case "from":
            case "expose":
                return (BlankDelimited(rest), false);
            case "maintainer":
            case "user":
            case "workdir":
            case "stopsignal":
                return (rest.Length == 0 ? null : new Node { Value = rest }, false);
            case "healthcheck":
                return HealthConfig(rest);
            case "arg":
                return (Chain(ArgumentWords.ParseWords(rest, escape)), false);
            case "env":
                return (Chain(ArgumentWords.ParseNameValue(rest, "ENV", escape)), false);
            case "label":
                return (Chain(ArgumentWords.ParseNameValue(rest, "LABEL", escape)), false);
            case "onbuild":
                if (rest.Length == 0) return (null, false);
                var inner = NodeFromLine(rest, escape);
                return (new Node { Children = [inner] }, false);
            default:
                return (new Node(), false);
        }
    }

    private static Node? Chain(List<string> values)
    {
        Node? head = null, tail = null;
        foreach (var v in values)
        {
            var n = new Node { Value = v };
            if (tail is null) head = n;
            else tail.Next = n;
            tail = n;
        }
        return head;
    }

    private static (Node?, bool) MaybeJson(string rest)
    {
        if (rest.Length == 0) return (null, false);
        switch (JsonArgs.TryParse(rest, out var elements))
        {
            case JsonArrayStatus.Strings:
                return (Chain(elements), true);
            case JsonArrayStatus.NotAllStrings:
                throw new InstructionFormatException(JsonArgs.NotAllStringsMessage);
            default:
                return (new Node { Value = rest }, false);
        }
    }

    private static (Node?, bool) MaybeJsonToList(string rest)
    {
        switch (JsonArgs.TryParse(rest, out var elements))
        {
            case JsonArrayStatus.Strings:
                return (Chain(elements), true);
            case JsonArrayStatus.NotAllStrings:
                throw new InstructionFormatException(JsonArgs.NotAllStringsMessage);
            default:
                return (BlankDelimited(rest), false);
        }
    }

    private static Node? BlankDelimited(string rest) => rest.Length == 0 ? null : Chain(ArgumentWords.SplitBlanks(rest));

    private static (Node?, bool) HealthConfig(string rest)
    {
        int sep = 0;
        while (sep < rest.Length && !char.IsWhiteSpace(rest[sep])) sep++;
        if (sep == 0) return (null, false);
        int next = sep;
        while (next < rest.Length && char.IsWhiteSpace(rest[next])) next++;
        var (cmd, isJson) = MaybeJson(rest[next..]);
        return (new Node { Value = rest[..sep], Next = cmd }, isJson);
    }
}
