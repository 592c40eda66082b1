using Berth.Engine;
using Berth.Engine.Dockerfile.Checks;

namespace Berth.Cli.Commands;

/// <summary><c>berth build --check</c>: runs the build checks on a Dockerfile without building, printed as <c>docker build --check</c> does.</summary>
public static class CheckCommand
{
    /// <summary>
    /// Prints the report to <paramref name="stdout"/> and any error to <paramref name="stderr"/>. Returns 0 when there are only
    /// warnings (or none), 1 when the Dockerfile is invalid or <c># check=error=true</c> turns warnings into an error.
    /// </summary>
    public static async Task<int> RunCheckAsync(string contextDir, string? dockerfile, IReadOnlyDictionary<string, string> buildArgs, TextWriter stdout, TextWriter stderr,
        LintOptions? options = null)
    {
        LintReport report;
        try
        {
            report = await DockerfileLinter.LintBuildAsync(contextDir, dockerfile, buildArgs, options).ConfigureAwait(false);
        }
        catch (BerthException e)
        {
            await stderr.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }

        report.Render(stdout);
        if (!report.HasErrors) return 0;
        if (report.Warnings.Count > 0) await stdout.WriteAsync("\n").ConfigureAwait(false); // as buildx, between warnings and the error
        await stderr.WriteAsync("Error: ").ConfigureAwait(false);
        report.RenderError(stderr);
        return 1;
    }
}
