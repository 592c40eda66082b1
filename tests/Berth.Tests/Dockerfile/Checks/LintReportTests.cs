using Berth.Cli.Commands;
using Berth.Engine.Dockerfile.Checks;
using Berth.Tests.Support;

namespace Berth.Tests.Dockerfile.Checks;

/// <summary>The report prints as <c>docker build --check</c> does, and the CLI entry returns Docker's exit codes.</summary>
public sealed class LintReportTests
{
    private static readonly Dictionary<string, string> NoArgs = [];

    private static string Render(LintReport report)
    {
        var w = new StringWriter();
        report.Render(w);
        return w.ToString();
    }

    [Fact]
    public void One_warning_prints_the_count_the_rule_link_message_and_an_excerpt()
    {
        var report = DockerfileLinter.Lint("FROM alpine\nRUN x\nCMD echo hi\n", "Dockerfile", NoArgs);
        Assert.Equal(
            "Check complete, 1 warning has been found!\n" +
            "\n" +
            "WARNING: JSONArgsRecommended - https://docs.docker.com/go/dockerfile/rule/json-args-recommended/\n" +
            "JSON arguments recommended for CMD to prevent unintended behavior related to OS signals\n" +
            "Dockerfile:3\n" +
            "--------------------\n" +
            "   1 |     FROM alpine\n" +
            "   2 |     RUN x\n" +
            "   3 | >>> CMD echo hi\n" +
            "   4 |     \n" +
            "--------------------\n",
            Render(report));
    }

    [Fact]
    public void Several_warnings_are_counted_and_sorted_by_line()
    {
        var text = "frOM busybox as base\ncOpy Dockerfile .\n";
        var output = Render(DockerfileLinter.Lint(text, "sub/Dockerfile", NoArgs));
        Assert.StartsWith("Check complete, 2 warnings have been found!\n", output);
        Assert.True(output.IndexOf("sub/Dockerfile:1", StringComparison.Ordinal) < output.IndexOf("sub/Dockerfile:2", StringComparison.Ordinal));
    }

    [Fact]
    public void Clean_file_says_no_warnings_found()
    {
        Assert.Equal("Check complete, no warnings found.\n", Render(DockerfileLinter.Lint("FROM busybox AS base\nCOPY Dockerfile .\n", "Dockerfile", NoArgs)));
    }

    [Fact]
    public void Excerpt_of_a_multi_line_instruction_marks_every_line_with_two_lines_of_context()
    {
        var w = new StringWriter();
        SourceExcerpt.Write(w, "Dockerfile", "a\nb\nc\nd\ne\nf\ng\nh", 4, 5);
        Assert.Equal("Dockerfile:4\n--------------------\n   3 |     c\n   4 | >>> d\n   5 | >>> e\n   6 |     f\n--------------------\n", w.ToString());
    }

    [Fact]
    public void Excerpt_at_the_first_line_takes_its_context_after_it()
    {
        var w = new StringWriter();
        SourceExcerpt.Write(w, "Dockerfile", "FROM x\nA\nB\nC\nD\nE", 1, 1);
        Assert.Equal("Dockerfile:1\n--------------------\n   1 | >>> FROM x\n   2 |     A\n   3 |     B\n--------------------\n", w.ToString());
    }

    [Fact]
    public void Error_renders_its_message_and_excerpt()
    {
        var report = DockerfileLinter.Lint("FROM alpine\nRUNN x\n", "Dockerfile", NoArgs);
        var w = new StringWriter();
        report.RenderError(w);
        Assert.StartsWith("Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)\nDockerfile:2\n--------------------\n", w.ToString());
        Assert.Contains("   2 | >>> RUNN x\n", w.ToString());
        Assert.Equal("", Render(report));
    }

    private static async Task<(int Code, string Out, string Err)> Check(TempDirectory dir, string dockerfile, string? file = null, Dictionary<string, string>? args = null)
    {
        string path = file is null ? dir.Combine("Dockerfile") : file;
        await File.WriteAllTextAsync(path, dockerfile);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await CheckCommand.RunCheckAsync(dir.Path, file, args ?? NoArgs, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Check_with_warnings_only_exits_zero()
    {
        using var dir = new TempDirectory();
        var (code, stdout, stderr) = await Check(dir, "FROM alpine\nMAINTAINER me\n");
        Assert.Equal(0, code);
        Assert.Contains("WARNING: MaintainerDeprecated - https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/\n", stdout);
        Assert.Contains("Dockerfile:2\n", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Check_of_an_invalid_Dockerfile_exits_one_with_the_error_on_stderr()
    {
        using var dir = new TempDirectory();
        var (code, _, stderr) = await Check(dir, "FROM alpine\nCOPY --form=a b c\n");
        Assert.Equal(1, code);
        Assert.StartsWith("Error: Dockerfile:2: COPY: unknown flag: --form (did you mean --from?)\n", stderr);
        Assert.Contains(">>> COPY --form=a b c", stderr);
    }

    [Fact]
    public async Task Check_error_true_with_warnings_exits_one()
    {
        using var dir = new TempDirectory();
        var (code, stdout, stderr) = await Check(dir, "# check=error=true\nFROM alpine\nCMD run\n");
        Assert.Equal(1, code);
        Assert.Contains("Check complete, 1 warning has been found!", stdout);
        Assert.Equal("Error: lint violation found for rules: JSONArgsRecommended\n", stderr);
    }

    [Fact]
    public async Task Named_Dockerfile_is_shown_by_the_path_given_and_build_args_reach_the_checks()
    {
        using var dir = new TempDirectory();
        string file = dir.Combine("Dockerfile.dev");
        var (code, stdout, _) = await Check(dir, "ARG TAG\nFROM alpine:$TAG\nARG TAG\nWORKDIR /$TAG\n", file, new() { ["TAG"] = "3" });
        Assert.Equal(0, code);
        Assert.Contains(file + ":2\n", stdout);
        Assert.Contains("InvalidDefaultArgInFrom", stdout);
        Assert.DoesNotContain("UndefinedVar", stdout);
    }

    [Fact]
    public async Task Missing_Dockerfile_is_an_error()
    {
        using var dir = new TempDirectory();
        var stderr = new StringWriter();
        int code = await CheckCommand.RunCheckAsync(dir.Path, null, NoArgs, new StringWriter(), stderr);
        Assert.Equal(1, code);
        Assert.Equal("Error: failed to read dockerfile: open Dockerfile: no such file or directory\n", stderr.ToString());
    }

    [Fact]
    public async Task Copying_a_file_the_dockerignore_excludes_gets_CopyIgnoredFile()
    {
        using var dir = new TempDirectory();
        await File.WriteAllTextAsync(dir.Combine(".dockerignore"), "secret.txt\nbuild/\n");
        var (code, stdout, _) = await Check(dir, "FROM alpine\nCOPY secret.txt app.txt /app/\nADD build/out /out\nCOPY --from=alpine /etc/secret.txt /x\nCOPY . /src\n");
        Assert.Equal(0, code);
        Assert.Contains("Attempting to Copy file \"secret.txt\" that is excluded by .dockerignore\nDockerfile:2\n", stdout);
        Assert.Contains("Attempting to Add file \"build/out\" that is excluded by .dockerignore\nDockerfile:3\n", stdout);
        Assert.Contains("Check complete, 2 warnings have been found!", stdout);
    }

    [Fact]
    public void Dockerignore_with_exceptions_turns_CopyIgnoredFile_off()
    {
        var options = new LintOptions { IgnorePatterns = ["*.txt", "!keep.txt"] };
        Assert.Empty(DockerfileLinter.Lint("FROM alpine\nCOPY a.txt /\n", "Dockerfile", NoArgs, options).Warnings);
        options = new LintOptions { IgnorePatterns = ["*"] };
        Assert.Equal(["CopyIgnoredFile"], DockerfileLinter.Lint("FROM alpine\nCOPY . /\n", "Dockerfile", NoArgs, options).Warnings.Select(w => w.Rule.Name));
    }
}
