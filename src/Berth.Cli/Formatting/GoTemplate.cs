using System.Globalization;
using System.Text;

namespace Berth.Cli.Formatting;

/// <summary>
/// A parsed Go <c>text/template</c> with docker/cli's functions (<c>json</c>, <c>join</c>, <c>split</c>, <c>upper</c>, <c>lower</c>,
/// <c>title</c>, <c>pad</c>, <c>truncate</c>) plus Go's builtins; executes over <see cref="System.Text.Json.Nodes.JsonNode"/>
/// (like <c>docker inspect -f</c>) or over list rows (<c>IReadOnlyDictionary&lt;string, object?&gt;</c>).
/// </summary>
public sealed class GoTemplate
{
    private static readonly HashSet<string> Functions =
    [
        "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
        "json", "split", "join", "title", "lower", "upper", "pad", "truncate",
    ];

    // docker/cli's HeaderFunctions: while rendering a table header these return their first argument unchanged.
    private static readonly HashSet<string> HeaderIdentity = ["json", "split", "join", "title", "lower", "upper", "truncate"];

    private readonly ListNode _root;

    /// <summary>The template text as given.</summary>
    public string Text { get; }

    private GoTemplate(string text, ListNode root)
    {
        Text = text;
        _root = root;
    }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="TemplateException"/> with Go's message (<c>template: :1: function "foo" not defined</c>).</summary>
    public static GoTemplate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new GoTemplate(text, TemplateParser.Parse(text, Functions.Contains));
    }

    /// <summary>
    /// The names of the data's fields the template can read (<c>.ID</c>, <c>.Names</c> in <c>{{.ID}} {{.Names}}</c>), so a
    /// caller can leave out the costly ones it would not show; null when it may read any (it uses <c>.</c> or a variable,
    /// <c>$</c> being the data itself). Names read from other values (inside <c>range</c>, say) are included too.
    /// </summary>
    public IReadOnlySet<string>? ReferencedFields()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        return Collect(_root, names) ? names : null;
    }

    /// <summary>Adds the field names <paramref name="node"/> reads; false when it may read the whole data.</summary>
    private static bool Collect(TemplateNode? node, HashSet<string> names)
    {
        switch (node)
        {
            case FieldNode f: names.Add(f.Idents[0]); return true;
            case DotNode or VariableNode: return false;
            case ListNode l: return l.Nodes.All(n => Collect(n, names));
            case ActionNode a: return Collect(a.Pipe, names);
            case PipeNode p: return p.Cmds.All(c => Collect(c, names));
            case CommandNode c: return c.Args.All(a => Collect(a, names));
            case ChainNode c: return Collect(c.Target, names);
            case BranchNode b: return Collect(b.Pipe, names) && Collect(b.List, names) && Collect(b.ElseList, names);
            default: return true; // text, literals, function names, break/continue
        }
    }

    /// <summary>Executes against <paramref name="data"/> and returns the output; throws <see cref="TemplateException"/> on execution errors.</summary>
    public string Execute(object? data) => Execute(data, headerMode: false);

    /// <summary>Writes the output of executing against <paramref name="data"/> to <paramref name="output"/>.</summary>
    public void Execute(TextWriter output, object? data)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(Execute(data));
    }

    internal string Execute(object? data, bool headerMode) => Execute(data, headerMode, new StringBuilder()).ToString();

    /// <summary>Appends the output of executing against <paramref name="data"/> to <paramref name="output"/> and returns it.</summary>
    internal StringBuilder Execute(object? data, bool headerMode, StringBuilder output)
    {
        var state = new ExecState(this, data, headerMode, output);
        state.Walk(data, _root);
        return output;
    }

    private sealed class BreakSignal : Exception;
    private sealed class ContinueSignal : Exception;

    private static readonly object Missing = new();

    private sealed class ExecState(GoTemplate template, object? data, bool headerMode, StringBuilder output)
    {
        public StringBuilder Output { get; } = output;
        private readonly List<(string Name, object? Value)> _vars = [("$", data)];
        private TemplateNode? _node;

        private TemplateException Error(string message)
        {
            if (_node is null) return new TemplateException($"template: : {message}");
            string text = template.Text;
            int pos = Math.Min(_node.Pos, text.Length);
            int lastNl = text.LastIndexOf('\n', Math.Max(pos - 1, 0));
            int line = 1 + text[..pos].Count(c => c == '\n');
            int col = lastNl < 0 || lastNl >= pos ? pos : pos - lastNl - 1;
            string context = _node.Source;
            if (context.Length > 20) context = context[..20] + "...";
            return new TemplateException($"template: :{line}:{col}: executing \"\" at <{context}>: {message}");
        }

        public void Walk(object? dot, TemplateNode node)
        {
            _node = node;
            switch (node)
            {
                case ListNode list:
                    foreach (var n in list.Nodes) Walk(dot, n);
                    break;
                case TextNode t:
                    Output.Append(t.Text);
                    break;
                case ActionNode a:
                {
                    object? v = EvalPipeline(dot, a.Pipe);
                    if (a.Pipe.Decl.Count == 0) GoValues.Print(Output, v);
                    break;
                }
                case BranchNode b when b.Kind == BranchKind.Range:
                    WalkRange(dot, b);
                    break;
                case BranchNode b:
                {
                    int mark = _vars.Count;
                    object? v = EvalPipeline(dot, b.Pipe);
                    if (GoValues.IsTrue(v)) Walk(b.Kind == BranchKind.With ? v : dot, b.List);
                    else if (b.ElseList is not null) Walk(dot, b.ElseList);
                    _vars.RemoveRange(mark, _vars.Count - mark);
                    break;
                }
                case BreakNode: throw new BreakSignal();
                case ContinueNode: throw new ContinueSignal();
                default: throw Error($"unknown node: {node.Source}");
            }
        }

        private void WalkRange(object? dot, BranchNode r)
        {
            int mark = _vars.Count;
            // Range variables are declared per iteration, not by evaluating the pipe.
            var pipe = new PipeNode(r.Pipe.Pos, r.Pipe.Source, [], false, r.Pipe.Cmds);
            _node = r;
            object? v = GoValues.Normalize(EvalPipeline(dot, pipe));
            var items = new List<(object? Key, object? Value)>();
            if (v is null || ReferenceEquals(v, GoValues.NoValue)) { }
            else if (v is long n) for (long i = 0; i < n; i++) items.Add((i, i));
            else if (GoValues.IsMap(v)) foreach (var kv in GoValues.MapEntries(v)) items.Add((kv.Key, kv.Value));
            else if (GoValues.IsList(v)) { long i = 0; foreach (var e in GoValues.ListItems(v)) items.Add((i++, e)); }
            else { _node = r; throw Error($"range can't iterate over {GoValues.Print(v)}"); }

            if (items.Count == 0)
            {
                if (r.ElseList is not null) Walk(dot, r.ElseList);
                return;
            }
            foreach (var (key, value) in items)
            {
                if (r.Pipe.Decl.Count == 1) _vars.Add((r.Pipe.Decl[0], value));
                else if (r.Pipe.Decl.Count == 2) { _vars.Add((r.Pipe.Decl[0], key)); _vars.Add((r.Pipe.Decl[1], value)); }
                try
                {
                    Walk(value, r.List);
                }
                catch (ContinueSignal) { }
                catch (BreakSignal) { _vars.RemoveRange(mark, _vars.Count - mark); break; }
                _vars.RemoveRange(mark, _vars.Count - mark);
            }
        }

        private object? EvalPipeline(object? dot, PipeNode pipe)
        {
            object? value = Missing;
            foreach (var cmd in pipe.Cmds) value = EvalCommand(dot, cmd, value);
            foreach (string name in pipe.Decl)
            {
                if (pipe.IsAssign) SetVar(name, value);
                else _vars.Add((name, value));
            }
            return value;
        }

        private void SetVar(string name, object? value)
        {
            for (int i = _vars.Count - 1; i >= 0; i--)
                if (_vars[i].Name == name) { _vars[i] = (name, value); return; }
            throw Error($"undefined variable: {name}");
        }

        private object? VarValue(string name)
        {
            for (int i = _vars.Count - 1; i >= 0; i--)
                if (_vars[i].Name == name) return _vars[i].Value;
            throw Error($"undefined variable: {name}");
        }

        private object? EvalCommand(object? dot, CommandNode cmd, object? final)
        {
            var first = cmd.Args[0];
            switch (first)
            {
                case FieldNode f:
                    _node = f;
                    return EvalFieldChain(dot, dot, f.Idents, cmd.Args, final);
                case ChainNode c:
                {
                    object? target = EvalArg(dot, c.Target);
                    _node = c;
                    return EvalFieldChain(dot, target, c.Fields, cmd.Args, final);
                }
                case VariableNode v:
                {
                    _node = v;
                    object? value = VarValue(v.Idents[0]);
                    if (v.Idents.Length == 1)
                    {
                        NotAFunction(cmd.Args, final);
                        return value;
                    }
                    return EvalFieldChain(dot, value, v.Idents[1..], cmd.Args, final);
                }
                case IdentifierNode id:
                    return EvalFunction(dot, id, cmd, final);
                case PipeNode p:
                    NotAFunction(cmd.Args, final);
                    return EvalPipeline(dot, p);
            }
            _node = first;
            NotAFunction(cmd.Args, final);
            return first switch
            {
                BoolNode b => b.Value,
                DotNode => dot,
                NilNode => throw Error("nil is not a command"),
                NumberNode n => n.Value,
                StringNode s => s.Value,
                _ => throw Error($"can't evaluate command {first.Source}"),
            };
        }

        private void NotAFunction(List<TemplateNode> args, object? final)
        {
            if (args.Count > 1 || !ReferenceEquals(final, Missing))
                throw Error($"can't give argument to non-function {args[0].Source}");
        }

        private object? EvalFieldChain(object? dot, object? receiver, string[] idents, List<TemplateNode> args, object? final)
        {
            for (int i = 0; i < idents.Length - 1; i++) receiver = EvalField(dot, idents[i], [], Missing, receiver);
            return EvalField(dot, idents[^1], args, final, receiver);
        }

        private object? EvalField(object? dot, string name, List<TemplateNode> args, object? final, object? receiver)
        {
            if (ReferenceEquals(receiver, GoValues.NoValue)) return GoValues.NoValue;
            bool hasArgs = args.Count > 1 || !ReferenceEquals(final, Missing);
            receiver = GoValues.Normalize(receiver);
            if (receiver is null) throw Error($"nil pointer evaluating interface {{}}.{name}");
            if (GoValues.IsRow(receiver))
            {
                var row = (IReadOnlyDictionary<string, object?>)receiver;
                if (!row.TryGetValue(name, out var value)) throw Error($"can't evaluate field {name} in type {GoValues.TypeName(receiver)}");
                if (value is Delegate method)
                {
                    var callArgs = new List<object?>();
                    for (int i = 1; i < args.Count; i++) callArgs.Add(EvalArg(dot, args[i]));
                    if (!ReferenceEquals(final, Missing)) callArgs.Add(final);
                    try
                    {
                        return method.DynamicInvoke([.. callArgs]);
                    }
                    catch (Exception e) when (e is System.Reflection.TargetParameterCountException or ArgumentException)
                    {
                        throw Error($"wrong number of args for {name}: got {callArgs.Count}");
                    }
                }
                if (hasArgs) throw Error($"{name} has arguments but cannot be invoked as function");
                return value;
            }
            if (GoValues.IsMap(receiver))
            {
                if (hasArgs) throw Error($"{name} is not a method but has arguments");
                return GoValues.TryMapLookup(receiver, name, out var value) ? value : GoValues.NoValue;
            }
            throw Error($"can't evaluate field {name} in type {GoValues.TypeName(receiver)}");
        }

        private object? EvalArg(object? dot, TemplateNode n)
        {
            _node = n;
            switch (n)
            {
                case DotNode: return dot;
                case NilNode: return null;
                case BoolNode b: return b.Value;
                case NumberNode num: return num.Value;
                case StringNode s: return s.Value;
                case FieldNode f: return EvalFieldChain(dot, dot, f.Idents, [f], Missing);
                case VariableNode v:
                {
                    object? value = VarValue(v.Idents[0]);
                    return v.Idents.Length == 1 ? value : EvalFieldChain(dot, value, v.Idents[1..], [v], Missing);
                }
                case PipeNode p: return EvalPipeline(dot, p);
                case ChainNode c:
                {
                    object? target = EvalArg(dot, c.Target);
                    _node = c;
                    return EvalFieldChain(dot, target, c.Fields, [c], Missing);
                }
                case IdentifierNode id:
                    return EvalFunction(dot, id, new CommandNode(id.Pos, id.Source, [id]), Missing);
            }
            throw Error($"can't handle {n.Source} for arg");
        }

        private object? EvalFunction(object? dot, IdentifierNode id, CommandNode cmd, object? final)
        {
            string name = id.Name;
            // and/or evaluate lazily, as Go does since 1.18.
            if (name is "and" or "or")
            {
                int count = cmd.Args.Count - 1 + (ReferenceEquals(final, Missing) ? 0 : 1);
                if (count < 1) { _node = id; throw Error($"wrong number of args for {name}: want at least 1 got 0"); }
                object? v = null;
                for (int i = 1; i <= count; i++)
                {
                    v = i < cmd.Args.Count ? EvalArg(dot, cmd.Args[i]) : final;
                    bool t = GoValues.IsTrue(v);
                    if (name == "and" ? !t : t) return v;
                }
                return v;
            }
            var args = new List<object?>();
            for (int i = 1; i < cmd.Args.Count; i++) args.Add(EvalArg(dot, cmd.Args[i]));
            if (!ReferenceEquals(final, Missing)) args.Add(final);
            _node = id;
            // A missing value passed to a function becomes Go's nil interface.
            for (int i = 0; i < args.Count; i++) if (ReferenceEquals(args[i], GoValues.NoValue)) args[i] = null;
            if (headerMode && HeaderIdentity.Contains(name))
            {
                Arity(name, args, name is "json" or "title" or "lower" or "upper" ? 1 : 2);
                return args[0];
            }
            try
            {
                return TemplateFunctions.Call(name, args);
            }
            catch (TemplateFunctionException e)
            {
                throw Error(e.Message);
            }
        }

        private void Arity(string name, List<object?> args, int want)
        {
            if (args.Count != want) throw Error($"wrong number of args for {name}: want {want} got {args.Count}");
        }
    }
}
