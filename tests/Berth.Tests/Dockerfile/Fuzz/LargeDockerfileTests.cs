using System.Text;
using Berth.Engine.Dockerfile.Checks;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Tests.Dockerfile.Fuzz;

/// <summary>Huge and deeply nested inputs: no stack overflow, no quadratic blow-up (each runs under a generous hang limit).</summary>
public sealed class LargeDockerfileTests
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private static async Task<T> Bounded<T>(Func<T> work)
    {
        try
        {
            return await Task.Run(work).WaitAsync(HangLimit);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"did not finish within {HangLimit}: a hang or a quadratic blow-up");
            throw;
        }
    }

    internal static string HundredThousandLines()
    {
        var sb = new StringBuilder("# syntax=docker/dockerfile:1\nARG BASE=alpine\nFROM $BASE AS build\nARG V=1\n");
        int line = 4;
        while (line < 100_000)
        {
            switch (line % 7)
            {
                case 0: sb.Append("RUN echo ").Append(line).Append(" && \\\n    true\n"); line += 2; continue;
                case 1: sb.Append("ENV K").Append(line).Append("=$V\n"); break;
                case 2: sb.Append("COPY --chown=1:1 src/").Append(line).Append(" /dst/\n"); break;
                case 3: sb.Append("LABEL l").Append(line).Append("=\"v w\"\n"); break;
                case 4: sb.Append("# comment ").Append(line).Append('\n'); break;
                case 5: sb.Append("WORKDIR /w/").Append(line).Append('\n'); break;
                default: sb.Append("RUN [\"sh\", \"-c\", \"echo ").Append(line).Append("\"]\n"); break;
            }
            line++;
        }
        sb.Append("CMD [\"app\"]\n");
        return sb.ToString();
    }

    [Fact]
    public async Task A_100000_line_Dockerfile_parses_builds_a_model_and_lints()
    {
        string text = HundredThousandLines();
        var model = await Bounded(() => DockerfileModel.Parse(text));
        Assert.True(model.Stages[0].Instructions.Count > 60_000, $"{model.Stages[0].Instructions.Count} instructions");
        Assert.True(model.Stages[0].Instructions[^1].EndLine >= 100_000);
        var report = await Bounded(() => DockerfileLinter.Lint(text, "Dockerfile", new Dictionary<string, string>()));
        Assert.Null(report.Error);
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public async Task A_100000_line_continuation_is_one_instruction()
    {
        var sb = new StringBuilder("FROM alpine\nRUN echo \\\n");
        for (int i = 0; i < 100_000; i++) sb.Append(i % 2 == 0 ? "  a \\\n" : "# between\n");
        sb.Append("  end\n");
        var ast = await Bounded(() => DockerfileParser.Parse(sb.ToString()));
        Assert.Equal(2, ast.Instructions.Count);
        Assert.Equal(100_003, ast.Instructions[1].EndLine);
    }

    [Fact]
    public async Task A_100000_line_heredoc_is_read_whole()
    {
        var sb = new StringBuilder("FROM alpine\nCOPY <<EOF /file\n");
        for (int i = 0; i < 100_000; i++) sb.Append("data ").Append(i).Append('\n');
        sb.Append("EOF\nRUN true\n");
        var model = await Bounded(() => DockerfileModel.Parse(sb.ToString()));
        var copy = Assert.IsType<CopyInstruction>(model.Stages[0].Instructions[0]);
        Assert.Equal(100_000, copy.InlineSources[0].Content.Count(c => c == '\n'));
        Assert.Empty((await Bounded(() => DockerfileLinter.Lint(sb.ToString(), "Dockerfile", new Dictionary<string, string>()))).Warnings);
    }

    [Fact]
    public async Task Deeply_nested_JSON_on_one_line_is_refused_or_taken_as_shell_form_without_overflowing()
    {
        string text = "FROM alpine\nCMD " + new string('[', 60_000) + new string(']', 60_000 / 12) + "\n";
        var ast = await Bounded(() => DockerfileParser.Parse(text));
        Assert.False(ast.Instructions[1].IsJson);
    }

    [Fact]
    public async Task Deeply_nested_variable_expansion_does_not_overflow_the_linter()
    {
        var word = new StringBuilder();
        const int Depth = 20_000;
        for (int i = 0; i < Depth; i++) word.Append("${a").Append(":-");
        word.Append('x').Append('}', Depth);
        string text = "FROM alpine\nWORKDIR /" + word + "\n";
        var report = await Bounded(() => DockerfileLinter.Lint(text, "Dockerfile", new Dictionary<string, string>()));
        Assert.True(report.HasErrors || report.Warnings.Count > 0);
    }
}
