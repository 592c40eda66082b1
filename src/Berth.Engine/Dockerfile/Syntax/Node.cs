using System.Text;

namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>
/// One node of BuildKit's Dockerfile AST: the root (children = instructions), an instruction
/// (<see cref="Value"/> = keyword as written, <see cref="Next"/> = first argument), or an argument.
/// </summary>
public sealed class Node
{
    private static readonly IReadOnlyList<string> NoFlags = [];
    private static readonly IReadOnlyList<Node> NoChildren = [];
    private static readonly IReadOnlyList<Heredoc> NoHeredocs = [];

    public string Value { get; internal set; } = "";
    public Node? Next { get; internal set; }
    public IReadOnlyList<Node> Children { get; internal set; } = NoChildren;
    public IReadOnlyList<string> Flags { get; internal set; } = NoFlags;
    public IReadOnlyList<Heredoc> Heredocs { get; internal set; } = NoHeredocs;
    /// <summary>
    /// The comment lines just above the instruction (text after <c>#</c>, trimmed; directives excluded; a bare <c>#</c> starts
    /// over), as BuildKit's <c>PrevComment</c>: stage and ARG descriptions, and per-instruction <c># check=skip=…</c>.
    /// </summary>
    public IReadOnlyList<string> Comments { get; internal set; } = [];
    /// <summary>The logical line the node was parsed from (continuations joined), as BuildKit's <c>Original</c>.</summary>
    public string Original { get; internal set; } = "";
    /// <summary>True when the arguments came from a JSON array (exec form).</summary>
    public bool IsJson { get; internal set; }
    /// <summary>1-based first line of the instruction.</summary>
    public int StartLine { get; internal set; }
    /// <summary>1-based last line consumed (continuations, skipped lines inside them, heredoc bodies).</summary>
    public int EndLine { get; internal set; }
    /// <summary>The escape character when the file ended inside this instruction's line continuation, else <c>'\0'</c>.</summary>
    internal char ContinuedPastEnd { get; set; }

    /// <summary>The instruction's text for error messages: the logical line, plus a note when a continuation ran into the end of the file.</summary>
    /// Null when the line is the bare keyword: the message names it already.
    internal string? ErrorText()
    {
        string text = Original.Trim();
        if (ContinuedPastEnd != '\0') return $"{text} {ContinuedPastEnd} (line continuation at end of file)";
        return text == Value ? null : text;
    }

    /// <summary>The argument values chained from <see cref="Next"/>.</summary>
    public IEnumerable<Node> Arguments
    {
        get
        {
            for (var n = Next; n is not null; n = n.Next) yield return n;
        }
    }

    /// <summary>The S-expression dump BuildKit's tests compare against (<c>parser.Node.Dump</c>).</summary>
    public string Dump()
    {
        var sb = new StringBuilder();
        DumpInto(sb);
        return sb.ToString().Trim();
    }

    private void DumpInto(StringBuilder sb)
    {
        sb.Append(Value.ToLowerInvariant());
        if (Flags.Count > 0)
        {
            sb.Append(" [");
            for (int i = 0; i < Flags.Count; i++)
            {
                if (i > 0) sb.Append(' ');
                GoQuote.Append(sb, Flags[i]);
            }
            sb.Append(']');
        }
        foreach (var c in Children)
        {
            sb.Append('(');
            sb.Append(c.Dump());
            sb.Append(")\n");
        }
        for (var n = Next; n is not null; n = n.Next)
        {
            sb.Append(' ');
            if (n.Children.Count > 0) sb.Append(n.Dump());
            else GoQuote.Append(sb, n.Value);
        }
    }

    public override string ToString() => Dump();
}

/// <summary>A non-fatal finding while parsing (BuildKit's "Empty continuation line" warning).</summary>
public sealed record ParserWarning(string Short, string Detail, string Url, int Line);

/// <summary>The parse result: the root node, the directives at the top, the escape character in effect, warnings.</summary>
public sealed class DockerfileAst
{
    internal DockerfileAst(Node root, IReadOnlyList<Directive> directives, char escapeToken, IReadOnlyList<ParserWarning> warnings, string fileName)
    {
        Root = root;
        Directives = directives;
        EscapeToken = escapeToken;
        Warnings = warnings;
        FileName = fileName;
    }

    public Node Root { get; }
    public IReadOnlyList<Directive> Directives { get; }
    public char EscapeToken { get; }
    public IReadOnlyList<ParserWarning> Warnings { get; }
    public string FileName { get; }

    /// <summary>The instruction nodes in file order.</summary>
    public IReadOnlyList<Node> Instructions => Root.Children;

    /// <summary><see cref="Node.Dump"/> of the root plus a final newline: the format of the corpus <c>result</c> files.</summary>
    public string Dump() => Root.Dump() + "\n";
}
