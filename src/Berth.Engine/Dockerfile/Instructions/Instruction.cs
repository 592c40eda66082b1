using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Engine.Dockerfile.Instructions;

/// <summary>
/// A typed Dockerfile instruction; words stay raw (unexpanded): the builder expands them with the build args in scope.
/// The source fields are filled by <see cref="DockerfileInstructions"/> from the AST node.
/// </summary>
public abstract record Instruction
{
    /// <summary>The keyword as written (e.g. <c>copy</c> or <c>COPY</c>).</summary>
    public string Keyword { get; init; } = "";
    /// <summary>1-based first line.</summary>
    public int StartLine { get; init; }
    /// <summary>1-based last line (continuations and heredoc bodies included).</summary>
    public int EndLine { get; init; }
    /// <summary>The logical source line (continuations joined), for history and error messages.</summary>
    public string Original { get; init; } = "";
    /// <summary>The comment lines just above the instruction (see <see cref="Node.Comments"/>).</summary>
    public IReadOnlyList<string> Comments { get; init; } = [];
}

/// <summary>A command in shell form (one string, run by the stage's SHELL) or exec form (JSON array, run directly).</summary>
public sealed record CommandLine(IReadOnlyList<string> Arguments, bool IsExecForm)
{
    public static readonly CommandLine Empty = new([], false);
}

/// <summary><c>KEY=value</c> from ENV or LABEL; <see cref="LegacyForm"/> is the <c>ENV KEY value</c> spelling.</summary>
public sealed record KeyValue(string Key, string Value, bool LegacyForm);

/// <summary><c>FROM [--platform=p] image [AS name]</c>.</summary>
public sealed record FromInstruction : Instruction
{
    public required string BaseName { get; init; }
    /// <summary>Lower-cased stage name, null without <c>AS</c>.</summary>
    public string? StageName { get; init; }
    public string? Platform { get; init; }
}

public enum NetworkMode { Default, None, Host }

public enum SecurityMode { Sandbox, Insecure }

/// <summary><c>RUN [--mount=…] [--network=…] [--security=…] command</c>.</summary>
public sealed record RunInstruction : Instruction
{
    public required CommandLine Command { get; init; }
    public IReadOnlyList<RunMount> Mounts { get; init; } = [];
    /// <summary>Null when <c>--network</c> was not given.</summary>
    public NetworkMode? Network { get; init; }
    /// <summary>Null when <c>--security</c> was not given.</summary>
    public SecurityMode? Security { get; init; }
    /// <summary>Heredocs (<c>RUN &lt;&lt;EOF</c>): files whose content feeds the command.</summary>
    public IReadOnlyList<Heredoc> Heredocs { get; init; } = [];
}

public sealed record CmdInstruction : Instruction
{
    public required CommandLine Command { get; init; }
}

public sealed record EntrypointInstruction : Instruction
{
    public required CommandLine Command { get; init; }
}

/// <summary><c>SHELL ["executable", "params"]</c> (JSON form only).</summary>
public sealed record ShellInstruction : Instruction
{
    public required IReadOnlyList<string> Shell { get; init; }
}

public sealed record LabelInstruction : Instruction
{
    public required IReadOnlyList<KeyValue> Labels { get; init; }
}

public sealed record MaintainerInstruction : Instruction
{
    public required string Maintainer { get; init; }
}

/// <summary><c>EXPOSE</c> ports as raw words (<c>80</c>, <c>53/udp</c>, <c>$PORT</c>), in file order.</summary>
public sealed record ExposeInstruction : Instruction
{
    public required IReadOnlyList<string> Ports { get; init; }
}

public sealed record EnvInstruction : Instruction
{
    public required IReadOnlyList<KeyValue> Variables { get; init; }
}

/// <summary>A COPY/ADD source given inline by a heredoc (<c>COPY &lt;&lt;EOF /dest</c>).</summary>
/// <param name="Path">The heredoc name, used as the file name.</param>
/// <param name="Content">The body (already chomped for <c>&lt;&lt;-</c>).</param>
/// <param name="Expand">Whether variables in the body are expanded (name not quoted).</param>
public sealed record InlineSource(string Path, string Content, bool Expand);

/// <summary>Fields COPY and ADD share.</summary>
public abstract record FileTransferInstruction : Instruction
{
    /// <summary>Source paths/URLs (raw words), heredoc sources excluded.</summary>
    public required IReadOnlyList<string> Sources { get; init; }
    public IReadOnlyList<InlineSource> InlineSources { get; init; } = [];
    public required string Destination { get; init; }
    public string? Chown { get; init; }
    public string? Chmod { get; init; }
    public bool Link { get; init; }
    public IReadOnlyList<string> Excludes { get; init; } = [];
    /// <summary>True for the JSON form (<c>COPY ["a b", "/dst/"]</c>).</summary>
    public bool IsJsonForm { get; init; }
}

public sealed record CopyInstruction : FileTransferInstruction
{
    /// <summary><c>--from</c>: a stage name or index, or an image reference.</summary>
    public string? From { get; init; }
    public bool Parents { get; init; }
}

public sealed record AddInstruction : FileTransferInstruction
{
    public string? Checksum { get; init; }
    /// <summary>Null when not given.</summary>
    public bool? KeepGitDir { get; init; }
    /// <summary>Null when not given.</summary>
    public bool? Unpack { get; init; }
}

public sealed record WorkdirInstruction : Instruction
{
    public required string Path { get; init; }
}

/// <summary>One name of an ARG, with its default when given (<c>ARG a=1 b</c>).</summary>
public sealed record ArgDefinition(string Name, string? DefaultValue);

public sealed record ArgInstruction : Instruction
{
    public required IReadOnlyList<ArgDefinition> Args { get; init; }
}

public sealed record UserInstruction : Instruction
{
    public required string User { get; init; }
}

public sealed record VolumeInstruction : Instruction
{
    public required IReadOnlyList<string> Paths { get; init; }
    public bool IsJsonForm { get; init; }
}

public sealed record StopSignalInstruction : Instruction
{
    public required string Signal { get; init; }
}

public enum HealthcheckKind
{
    /// <summary><c>HEALTHCHECK NONE</c>: disable any inherited check.</summary>
    None,
    /// <summary><c>HEALTHCHECK CMD ["exe", "arg"]</c>.</summary>
    Cmd,
    /// <summary><c>HEALTHCHECK CMD command</c> (run by the shell).</summary>
    CmdShell,
}

/// <summary><c>HEALTHCHECK</c>; durations and retries are null when not given (image config then inherits/defaults).</summary>
public sealed record HealthcheckInstruction : Instruction
{
    public required HealthcheckKind Kind { get; init; }
    /// <summary>Docker's <c>Test</c> array: <c>["NONE"]</c>, <c>["CMD", …]</c> or <c>["CMD-SHELL", "cmd"]</c>.</summary>
    public required IReadOnlyList<string> Test { get; init; }
    public TimeSpan? Interval { get; init; }
    public TimeSpan? Timeout { get; init; }
    public TimeSpan? StartPeriod { get; init; }
    public TimeSpan? StartInterval { get; init; }
    public int? Retries { get; init; }
}

/// <summary><c>ONBUILD trigger</c>: the trigger parsed as an instruction, and its text as stored in the image config.</summary>
public sealed record OnBuildInstruction : Instruction
{
    public required Instruction Trigger { get; init; }
    /// <summary>The trigger's source text (what Docker stores in <c>OnBuild</c>), heredoc bodies appended.</summary>
    public required string Expression { get; init; }
}
