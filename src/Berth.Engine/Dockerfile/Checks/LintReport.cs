namespace Berth.Engine.Dockerfile.Checks;

/// <summary>An error that stopped the check: a Dockerfile that does not parse, or warnings under <c>check=error=true</c>.</summary>
/// <param name="Message">One line.</param>
/// <param name="StartLine">First line it points at, 0 when it points at none.</param>
public sealed record LintError(string Message, int StartLine, int EndLine);

/// <summary>
/// What <c>berth build --check</c> found: warnings sorted by line, and at most one error. <see cref="Render"/> prints it as
/// <c>docker build --check</c> does.
/// </summary>
public sealed class LintReport
{
    public LintReport(string fileName, string source, IReadOnlyList<LintWarning> warnings, LintError? error)
    {
        FileName = fileName;
        Source = source;
        // BuildKit sorts by line; equal lines keep the order the checks ran in.
        Warnings = warnings.OrderBy(w => w.StartLine).ToList();
        Error = error;
    }

    /// <summary>The name shown above each excerpt (the Dockerfile path as given).</summary>
    public string FileName { get; }
    public string Source { get; }
    public IReadOnlyList<LintWarning> Warnings { get; }
    public LintError? Error { get; }

    /// <summary>True when the check fails: the Dockerfile is invalid, or it has warnings and says <c>check=error=true</c>.</summary>
    public bool HasErrors => Error is not null;

    /// <summary>The count line, then each warning with its excerpt; "no warnings found" when clean. The error is not included.</summary>
    public void Render(TextWriter writer)
    {
        if (Warnings.Count == 1) writer.Write("Check complete, 1 warning has been found!\n");
        else if (Warnings.Count > 1) writer.Write($"Check complete, {Warnings.Count} warnings have been found!\n");
        foreach (var w in Warnings)
        {
            writer.Write($"\nWARNING: {w.Rule.Name}");
            if (w.Rule.Url is not null) writer.Write($" - {w.Rule.Url}");
            writer.Write($"\n{w.Message}\n");
            SourceExcerpt.Write(writer, FileName, Source, w.StartLine, w.EndLine);
        }
        if (Warnings.Count == 0 && Error is null) writer.Write("Check complete, no warnings found.\n");
    }

    /// <summary>The error line and its excerpt (nothing without an error).</summary>
    public void RenderError(TextWriter writer)
    {
        if (Error is null) return;
        writer.Write(Error.Message + "\n");
        if (Error.StartLine > 0) SourceExcerpt.Write(writer, FileName, Source, Error.StartLine, Error.EndLine);
    }
}
