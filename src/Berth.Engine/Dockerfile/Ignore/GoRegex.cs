using System.Globalization;

namespace Berth.Engine.Dockerfile.Ignore;

/// <summary>
/// The part of Go's RE2 syntax that patternmatcher's generated expressions can contain (literals, escapes, '.', classes with
/// ranges, POSIX and Perl classes, groups, '|', '*', '+', '?', '^', '$', \A, \z, \Q…\E), compiled once to an NFA and run on
/// code points. We do not use .NET Regex because its classes, '.' and escapes differ from Go's on the same text.
/// Not supported (reported as a syntax error): \b \B \p \P \C, (?flags), {n,m} counted repetition.
/// </summary>
internal sealed class GoRegex
{
    private enum Op { Char, Split, Jmp, Begin, End, Match }

    private readonly record struct Inst(Op Op, int Out, int Out1, RangeSet? Set);

    private readonly Inst[] _program;

    private GoRegex(Inst[] program) => _program = program;

    /// <summary>Compiles <paramref name="expression"/>; throws <see cref="FormatException"/> where Go's <c>regexp.Compile</c> fails (or on the unsupported constructs).</summary>
    public static GoRegex Compile(string expression)
    {
        var parser = new Parser(expression);
        var node = parser.ParseAll();
        var program = new List<Inst>();
        Emit(node, program);
        program.Add(new Inst(Op.Match, 0, 0, null));
        return new GoRegex([.. program]);
    }

    /// <summary>Go <c>MatchString</c>: is there a match anywhere in <paramref name="text"/>?</summary>
    public bool IsMatch(string text)
    {
        var runes = new List<int>(text.Length);
        foreach (var r in text.EnumerateRunes()) runes.Add(r.Value);
        var n = runes.Count;
        var marks = new int[_program.Length];
        var generation = 1;
        var matched = false;

        void Add(List<int> list, int pc, int pos)
        {
            if (matched || marks[pc] == generation) return;
            marks[pc] = generation;
            var inst = _program[pc];
            switch (inst.Op)
            {
                case Op.Jmp: Add(list, inst.Out, pos); break;
                case Op.Split: Add(list, inst.Out, pos); Add(list, inst.Out1, pos); break;
                case Op.Begin: if (pos == 0) Add(list, inst.Out, pos); break;
                case Op.End: if (pos == n) Add(list, inst.Out, pos); break;
                case Op.Match: matched = true; break;
                case Op.Char: list.Add(pc); break;
            }
        }

        var current = new List<int>();
        Add(current, 0, 0);
        for (var pos = 0; pos < n && !matched; pos++)
        {
            generation++;
            var next = new List<int>();
            foreach (var pc in current)
            {
                var inst = _program[pc];
                if (inst.Set!.Contains(runes[pos])) Add(next, inst.Out, pos + 1);
            }
            Add(next, 0, pos + 1); // unanchored search: a new attempt may start at every position
            current = next;
        }
        return matched;
    }

    // ---- AST ----

    private abstract record Node;
    private sealed record CharNode(RangeSet Set) : Node;
    private sealed record AssertNode(bool Begin) : Node;
    private sealed record ConcatNode(List<Node> Items) : Node;
    private sealed record AltNode(List<Node> Items) : Node;
    private sealed record RepeatNode(Node Item, char Kind) : Node;

    private static void Emit(Node node, List<Inst> p)
    {
        switch (node)
        {
            case CharNode c:
                p.Add(new Inst(Op.Char, p.Count + 1, 0, c.Set));
                break;
            case AssertNode a:
                p.Add(new Inst(a.Begin ? Op.Begin : Op.End, p.Count + 1, 0, null));
                break;
            case ConcatNode c:
                foreach (var item in c.Items) Emit(item, p);
                break;
            case AltNode alt:
                EmitAlt(alt.Items, 0, p);
                break;
            case RepeatNode { Kind: '*' } r:
            {
                var split = p.Count;
                p.Add(default);
                Emit(r.Item, p);
                p.Add(new Inst(Op.Jmp, split, 0, null));
                p[split] = new Inst(Op.Split, split + 1, p.Count, null);
                break;
            }
            case RepeatNode { Kind: '+' } r:
            {
                var start = p.Count;
                Emit(r.Item, p);
                p.Add(new Inst(Op.Split, start, p.Count + 1, null));
                break;
            }
            case RepeatNode r: // '?'
            {
                var split = p.Count;
                p.Add(default);
                Emit(r.Item, p);
                p[split] = new Inst(Op.Split, split + 1, p.Count, null);
                break;
            }
        }
    }

    private static void EmitAlt(List<Node> items, int index, List<Inst> p)
    {
        if (index == items.Count - 1)
        {
            Emit(items[index], p);
            return;
        }
        var split = p.Count;
        p.Add(default);
        Emit(items[index], p);
        var jmp = p.Count;
        p.Add(default);
        var second = p.Count;
        EmitAlt(items, index + 1, p);
        p[split] = new Inst(Op.Split, split + 1, second, null);
        p[jmp] = new Inst(Op.Jmp, p.Count, 0, null);
    }

    // ---- parser ----

    private sealed class Parser(string expression)
    {
        private readonly int[] _t = expression.EnumerateRunes().Select(r => r.Value).ToArray();
        private int _i;

        private int Peek(int ahead = 0) => _i + ahead < _t.Length ? _t[_i + ahead] : -1;

        private FormatException Error(string what) => new($"error parsing regexp: {what}: `{expression}`");

        public Node ParseAll()
        {
            var node = ParseAlternation();
            if (_i < _t.Length) throw Error("unexpected )");
            return node;
        }

        private Node ParseAlternation()
        {
            var items = new List<Node> { ParseSequence() };
            while (Peek() == '|')
            {
                _i++;
                items.Add(ParseSequence());
            }
            return items.Count == 1 ? items[0] : new AltNode(items);
        }

        private Node ParseSequence()
        {
            var items = new List<Node>();
            while (_i < _t.Length && Peek() != '|' && Peek() != ')')
            {
                var c = Peek();
                if (c is '*' or '+' or '?')
                {
                    if (items.Count == 0) throw Error("missing argument to repetition operator");
                    _i++;
                    if (Peek() == '?') _i++; // non-greedy: same set of matches
                    if (Peek() is '*' or '+' or '?') throw Error("invalid nested repetition operator");
                    if (items[^1] is RepeatNode) throw Error("invalid nested repetition operator");
                    items[^1] = new RepeatNode(items[^1], (char)c);
                    continue;
                }
                items.AddRange(ParseAtom());
            }
            return new ConcatNode(items);
        }

        private IEnumerable<Node> ParseAtom()
        {
            var c = _t[_i++];
            switch (c)
            {
                case '(':
                    if (Peek() == '?') throw Error("unsupported group flags");
                    var inner = ParseAlternation();
                    if (Peek() != ')') throw Error("missing closing )");
                    _i++;
                    return [inner];
                case '[':
                    return [new CharNode(ParseClass())];
                case '.':
                    return [new CharNode(RangeSet.Of((0, '\n' - 1), ('\n' + 1, 0x10FFFF)))];
                case '^':
                    return [new AssertNode(true)];
                case '$':
                    return [new AssertNode(false)];
                case '\\':
                    return ParseEscapeAtom();
                default:
                    return [new CharNode(RangeSet.Of((c, c)))];
            }
        }

        private IEnumerable<Node> ParseEscapeAtom()
        {
            var c = Peek();
            if (c == -1) throw Error("trailing backslash at end of expression");
            switch (c)
            {
                case 'A': _i++; return [new AssertNode(true)];
                case 'z': _i++; return [new AssertNode(false)];
                case 'Q':
                {
                    _i++;
                    var list = new List<Node>();
                    while (_i < _t.Length && !(Peek() == '\\' && Peek(1) == 'E'))
                        list.Add(new CharNode(RangeSet.Of((_t[_i], _t[_i++]))));
                    if (_i < _t.Length) _i += 2;
                    return list;
                }
            }
            if (PerlClass(c) is { } perl)
            {
                _i++;
                return [new CharNode(perl)];
            }
            var r = ParseEscapedChar();
            return [new CharNode(RangeSet.Of((r, r)))];
        }

        private static RangeSet? PerlClass(int c) => c switch
        {
            'd' => RangeSet.Of(('0', '9')),
            'D' => RangeSet.Of(('0', '9')).Complement(),
            's' => RangeSet.Of(('\t', '\n'), ('\f', '\r'), (' ', ' ')),
            'S' => RangeSet.Of(('\t', '\n'), ('\f', '\r'), (' ', ' ')).Complement(),
            'w' => RangeSet.Of(('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')),
            'W' => RangeSet.Of(('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')).Complement(),
            _ => null,
        };

        // After the backslash: one escaped character (Go parseEscape).
        private int ParseEscapedChar()
        {
            var c = Peek();
            if (c == -1) throw Error("trailing backslash at end of expression");
            _i++;
            if (c < 0x80 && !char.IsAsciiLetterOrDigit((char)c)) return c;
            switch (c)
            {
                case >= '1' and <= '7' when Peek() is >= '0' and <= '7':
                case '0':
                {
                    var value = c - '0';
                    for (var k = 1; k < 3 && Peek() is >= '0' and <= '7'; k++) value = value * 8 + (_t[_i++] - '0');
                    return value;
                }
                case 'x':
                {
                    if (Peek() == '{')
                    {
                        var close = Array.IndexOf(_t, '}', _i);
                        if (close < 0) throw Error("invalid escape sequence");
                        var hex = new string(_t[(_i + 1)..close].Select(x => (char)x).ToArray());
                        if (hex.Length == 0 || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) || v > 0x10FFFF)
                            throw Error("invalid escape sequence");
                        _i = close + 1;
                        return v;
                    }
                    if (IsHex(Peek()) && IsHex(Peek(1)))
                    {
                        var v = Convert.ToInt32(new string([(char)_t[_i], (char)_t[_i + 1]]), 16);
                        _i += 2;
                        return v;
                    }
                    throw Error("invalid escape sequence");
                }
                case 'a': return 7;
                case 'f': return 12;
                case 'n': return 10;
                case 'r': return 13;
                case 't': return 9;
                case 'v': return 11;
            }
            throw Error("invalid escape sequence");
        }

        private static bool IsHex(int c) => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

        private RangeSet ParseClass()
        {
            var set = new RangeSet();
            var negated = false;
            if (Peek() == '^')
            {
                negated = true;
                _i++;
            }
            var first = true;
            while (Peek() != ']' || first)
            {
                if (Peek() == -1) throw Error("missing closing ]");
                first = false;
                if (Peek() == '[' && Peek(1) == ':')
                {
                    var end = -1;
                    for (var k = _i + 2; k + 1 < _t.Length; k++)
                        if (_t[k] == ':' && _t[k + 1] == ']') { end = k; break; }
                    if (end >= 0)
                    {
                        var name = new string(_t[(_i + 2)..end].Select(x => (char)x).ToArray());
                        set.AddAll(PosixClass(name) ?? throw Error("invalid character class range"));
                        _i = end + 2;
                        continue;
                    }
                }
                if (Peek() == '\\' && PerlClass(Peek(1)) is { } perl)
                {
                    _i += 2;
                    set.AddAll(perl);
                    continue;
                }
                if (Peek() == '\\' && Peek(1) is 'p' or 'P') throw Error("unsupported Unicode class");
                var lo = ParseClassChar();
                var hi = lo;
                if (Peek() == '-' && Peek(1) != ']' && Peek(1) != -1)
                {
                    _i++;
                    hi = ParseClassChar();
                    if (hi < lo) throw Error("invalid character class range");
                }
                set.Add(lo, hi);
            }
            _i++; // ']'
            return negated ? set.Complement() : set;
        }

        private int ParseClassChar()
        {
            var c = Peek();
            if (c == -1) throw Error("missing closing ]");
            _i++;
            return c == '\\' ? ParseEscapedChar() : c;
        }

        private static RangeSet? PosixClass(string name)
        {
            var negate = name.StartsWith('^');
            var set = (negate ? name[1..] : name) switch
            {
                "alnum" => RangeSet.Of(('0', '9'), ('A', 'Z'), ('a', 'z')),
                "alpha" => RangeSet.Of(('A', 'Z'), ('a', 'z')),
                "ascii" => RangeSet.Of((0, 0x7F)),
                "blank" => RangeSet.Of(('\t', '\t'), (' ', ' ')),
                "cntrl" => RangeSet.Of((0, 0x1F), (0x7F, 0x7F)),
                "digit" => RangeSet.Of(('0', '9')),
                "graph" => RangeSet.Of(('!', '~')),
                "lower" => RangeSet.Of(('a', 'z')),
                "print" => RangeSet.Of((' ', '~')),
                "punct" => RangeSet.Of(('!', '/'), (':', '@'), ('[', '`'), ('{', '~')),
                "space" => RangeSet.Of(('\t', '\r'), (' ', ' ')),
                "upper" => RangeSet.Of(('A', 'Z')),
                "word" => RangeSet.Of(('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')),
                "xdigit" => RangeSet.Of(('0', '9'), ('A', 'F'), ('a', 'f')),
                _ => null,
            };
            return set is null ? null : negate ? set.Complement() : set;
        }
    }
}

/// <summary>A set of code points as inclusive ranges.</summary>
internal sealed class RangeSet
{
    private readonly List<(int Lo, int Hi)> _ranges = [];

    public static RangeSet Of(params (int Lo, int Hi)[] ranges)
    {
        var set = new RangeSet();
        foreach (var (lo, hi) in ranges) set.Add(lo, hi);
        return set;
    }

    public void Add(int lo, int hi) => _ranges.Add((lo, hi));

    public void AddAll(RangeSet other) => _ranges.AddRange(other._ranges);

    public bool Contains(int rune)
    {
        foreach (var (lo, hi) in _ranges)
            if (lo <= rune && rune <= hi) return true;
        return false;
    }

    public RangeSet Complement()
    {
        var sorted = _ranges.OrderBy(r => r.Lo).ToList();
        var result = new RangeSet();
        var next = 0;
        foreach (var (lo, hi) in sorted)
        {
            if (lo > next) result.Add(next, lo - 1);
            next = Math.Max(next, hi + 1);
        }
        if (next <= 0x10FFFF) result.Add(next, 0x10FFFF);
        return result;
    }
}
