using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Engine.Dockerfile.Instructions;

/// <summary>One build stage: its FROM and the instructions up to the next FROM.</summary>
public sealed record Stage
{
    /// <summary>0-based position in the file (the name <c>--from=0</c> refers to).</summary>
    public required int Index { get; init; }
    /// <summary>The base image or stage reference as written (raw, may hold <c>$ARG</c>s).</summary>
    public required string BaseName { get; init; }
    /// <summary>Lower-cased <c>AS</c> name, or null.</summary>
    public string? Name { get; init; }
    /// <summary><c>--platform</c> as written, or null.</summary>
    public string? Platform { get; init; }
    public required FromInstruction From { get; init; }
    public required IReadOnlyList<Instruction> Instructions { get; init; }
}

/// <summary>A whole Dockerfile as typed instructions: directives, the ARGs before the first FROM, and the stages.</summary>
public sealed record DockerfileModel
{
    public required IReadOnlyList<Directive> Directives { get; init; }
    /// <summary>ARG instructions before the first FROM (usable in FROM lines).</summary>
    public required IReadOnlyList<ArgInstruction> GlobalArgs { get; init; }
    public required IReadOnlyList<Stage> Stages { get; init; }
    /// <summary>The escape character in effect (<c>\</c> or <c>`</c>), needed for expansion.</summary>
    public required char EscapeToken { get; init; }
    public required IReadOnlyList<ParserWarning> Warnings { get; init; }

    /// <summary>Parses Dockerfile text and converts it: the usual entry point.</summary>
    public static DockerfileModel Parse(string text, string fileName = "Dockerfile") =>
        DockerfileInstructions.Build(DockerfileParser.Parse(text, fileName));

    public static DockerfileModel Parse(ReadOnlySpan<byte> content, string fileName = "Dockerfile") =>
        DockerfileInstructions.Build(DockerfileParser.Parse(content, fileName));
}
