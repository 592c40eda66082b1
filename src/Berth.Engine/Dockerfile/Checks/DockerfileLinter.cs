using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Engine.Dockerfile.Checks;

/// <summary>What the linter cannot know from the Dockerfile alone.</summary>
public sealed record LintOptions
{
    /// <summary>The PATH BuildKit gives a stage whose image sets none (Linux).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static LintOptions Default { get; } = new();

    /// <summary>
    /// The ENV list (<c>KEY=VALUE</c>) of a base image by its expanded name, or null when unknown. Without it, a stage based on
    /// an image starts with PATH only, so <c>$VAR</c>s the image defines are reported as undefined.
    /// </summary>
    public Func<string, IReadOnlyList<string>?>? BaseImageEnv { get; init; }

    /// <summary>The build's <c>.dockerignore</c> patterns, for CopyIgnoredFile; null when there is no ignore file.</summary>
    public IReadOnlyList<string>? IgnorePatterns { get; init; }

    public string TargetPlatform { get; init; } = Images.Platform.Host.ToString();
    public string BuildPlatform { get; init; } = Images.Platform.Host.ToString();
}

/// <summary>
/// <c>docker build --check</c> without a build: parses a Dockerfile, runs BuildKit's build checks (same names, wording and
/// lines) honouring the <c># check=skip=…;error=true</c> directive, and returns a <see cref="LintReport"/>. Never throws for a
/// bad Dockerfile: the parse error becomes the report's error.
/// </summary>
public static class DockerfileLinter
{
    /// <summary>
    /// Checks the Dockerfile of a build context as <c>docker build --check</c> does: finds and reads it (see
    /// <see cref="DockerfileLocator"/>) and its <c>.dockerignore</c>. Throws <see cref="BerthException"/> when the file is missing.
    /// </summary>
    public static async Task<LintReport> LintBuildAsync(string contextDirectory, string? dockerfile, IReadOnlyDictionary<string, string> buildArgs,
        LintOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (text, name, path) = await DockerfileLocator.ReadAsync(contextDirectory, dockerfile, cancellationToken).ConfigureAwait(false);
        var ignore = await Ignore.DockerignoreLocator.LoadAsync(contextDirectory, path, cancellationToken).ConfigureAwait(false);
        options = (options ?? LintOptions.Default) with { IgnorePatterns = ignore.FilePath is null ? null : ignore.Patterns };
        return Lint(text, name, buildArgs, options);
    }

    /// <summary>Checks Dockerfile <paramref name="text"/>; <paramref name="fileName"/> is the name shown in messages and excerpts.</summary>
    public static LintReport Lint(string text, string fileName, IReadOnlyDictionary<string, string> buildArgs, LintOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= LintOptions.Default;

        LintConfig config;
        try
        {
            config = LintConfig.Parse(ParserDirectives.ParseDirective("check", text)?.Ref ?? "");
        }
        catch (FormatException e)
        {
            return new LintReport(fileName, text, [], new LintError("failed to parse check options: " + e.Message, 0, 0));
        }

        var sink = new WarningCollector(config);
        var error = Run(text, fileName, buildArgs, options, sink);
        if (error is null && config.ErrorOnWarnings && sink.Warnings.Count > 0)
            error = new LintError("lint violation found for rules: " + string.Join(", ", sink.FiredRules), 0, 0);
        return new LintReport(fileName, text, sink.Warnings, error);
    }

    private static LintError? Run(string text, string fileName, IReadOnlyDictionary<string, string> buildArgs, LintOptions options, WarningCollector sink)
    {
        DockerfileAst ast;
        try
        {
            ast = DockerfileParser.Parse(text, fileName);
        }
        catch (DockerfileSyntaxException e)
        {
            return new LintError(e.Message, e.Line, e.Line);
        }
        DefinitionChecks.EmptyContinuations(ast, sink);

        DockerfileModel model;
        try
        {
            model = DockerfileInstructions.Build(ast);
        }
        catch (DockerfileSyntaxException e)
        {
            DefinitionChecks.Nodes(ast, sink, e.Line);
            var node = ast.Instructions.FirstOrDefault(n => n.StartLine == e.Line);
            return new LintError(e.Message, e.Line, node?.EndLine ?? e.Line);
        }
        DefinitionChecks.Nodes(ast, sink, int.MaxValue);
        DefinitionChecks.StageNames(model, sink);
        DefinitionChecks.InstructionCasing(model, sink);

        var walker = new StageWalker(model, buildArgs, options, sink);
        try
        {
            walker.CheckDefaultBaseNames();
            walker.Run();
        }
        catch (StageWalker.StopException e)
        {
            return new LintError($"{fileName}:{e.At.StartLine}: {e.Message}", e.At.StartLine, e.At.EndLine);
        }
        return null;
    }
}

/// <summary>Finds and reads the Dockerfile of a build the way <c>docker build</c> does, for the linter and the builder.</summary>
public static class DockerfileLocator
{
    /// <summary>
    /// Reads <paramref name="dockerfile"/> (relative to the current directory, as Docker's CLI resolves <c>-f</c>) or
    /// <c>CONTEXT/Dockerfile</c>. Returns the text, the name to show in messages (the path as given, or "Dockerfile") and the full path.
    /// </summary>
    public static async Task<(string Text, string DisplayName, string FullPath)> ReadAsync(string contextDirectory, string? dockerfile, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(contextDirectory))
            throw new NotFoundException($"unable to prepare context: path {Syntax.GoQuote.Quote(contextDirectory)} not found");
        bool given = !string.IsNullOrEmpty(dockerfile);
        string display = given ? dockerfile! : "Dockerfile";
        string path = given ? Path.GetFullPath(dockerfile!) : Path.Combine(contextDirectory, "Dockerfile");
        if (!File.Exists(path))
            throw new NotFoundException($"failed to read dockerfile: open {display}: no such file or directory");
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0) throw new InvalidInputException("the Dockerfile cannot be empty");
        return (SourceText.Decode(bytes), display, path);
    }
}
