using System.Text;
using Berth.Engine.Dockerfile.Checks;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;
using Berth.Tests.Conformance;
using Xunit.Abstractions;

namespace Berth.Tests.Dockerfile.Fuzz;

/// <summary>
/// Random and mutated Dockerfiles (the conformance corpus, mutated byte- and line-wise, with deep continuations and huge
/// heredocs): the parser and <see cref="DockerfileModel.Parse(string, string)"/> throw nothing but
/// <see cref="DockerfileSyntaxException"/>, the linter throws nothing at all, and none of them hangs.
/// </summary>
public sealed class DockerfileFuzzTests(ITestOutputHelper output)
{
    // Generous: a case normally takes well under a millisecond; this only catches hangs and runaway blow-ups.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(20);

    private static readonly string[] Lines =
    [
        "FROM alpine", "FROM --platform=$BUILDPLATFORM golang:1.22 AS Build", "from scratch as out", "ARG V=1", "ARG", "ENV A=$V B=\"x y\"",
        "ENV legacy value", "LABEL a=b c", "RUN echo hi", "RUN --mount=type=cache,target=/c${X} make", "RUN <<EOF", "RUN <<-'E' <<F cat",
        "EOF", "E", "\tE", "F", "COPY --from=build /a /b", "COPY <<EOF /x", "ADD --chmod=755 --checksum=sha256:00 http://x/y /z",
        "CMD echo", "CMD [\"a\", 1]", "ENTRYPOINT [\"a\"", "HEALTHCHECK --interval=1x CMD true", "HEALTHCHECK NONE", "ONBUILD ONBUILD RUN x",
        "ONBUILD FROM x", "SHELL [\"sh\"]", "WORKDIR rel/$NOPE", "USER ${U:-root}", "VOLUME [\"/v\"]", "EXPOSE 80/TCP 1:2", "STOPSIGNAL ${S?x}",
        "MAINTAINER me", "# escape=`", "# check=skip=all;error=true", "# syntax=docker/dockerfile:1", "\\", "`", "", "   ", "# comment",
        "WORKDIR ${a:-${b:-${c}}}", "ENV X=${X/a/b} Y=${Y#*} Z=${Z%%?}", "COPY [\"a\", \"b\"]", "FROM $UNDEF", "RUNN x",
    ];

    private static readonly string[] Fragments =
    [
        "\\", "`", "\"", "'", "[", "]", "<<", "<<-", "EOF", "\n", "\r\n", " ", "\t", "#", "--", "${", "}", "$", "=", ",", ":", "\u00a0", "\ufeff", "\0", "\u2028", "é",
    ];

    private static List<byte[]> Corpus()
    {
        var corpus = new List<byte[]>
        {
            Encoding.UTF8.GetBytes("FROM alpine AS base\nARG V=1\nENV P=/x\nRUN echo hi\nCMD run\n"),
            Encoding.UTF8.GetBytes("FROM a AS b\nCOPY --from=b <<EOF /x\nhello $V\nEOF\nFROM b\nWORKDIR app\n"),
        };
        var root = ParserConformanceCorpus.RequireRoot();
        foreach (var f in Directory.GetFiles(root, "Dockerfile", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(f);
            if (bytes.Length < 16_000) corpus.Add(bytes);
        }
        return corpus;
    }

    [Fact]
    public async Task Mutated_and_random_dockerfiles_fail_only_with_syntax_errors_and_never_hang()
    {
        var corpus = Corpus();
        Assert.True(corpus.Count > 30, $"only {corpus.Count} corpus files");
        var rng = new Random(31337);
        int parsed = 0, rejected = 0, linted = 0;
        const int Cases = 4000;
        var watchdog = new HangWatchdog(HangLimit);
        await watchdog.RunAsync(() =>
        {
            for (int i = 0; i < Cases; i++)
            {
                byte[] input = (i % 10) switch
                {
                    0 => RandomLines(rng),
                    1 => RandomFragments(rng),
                    _ => Mutate(rng, corpus[rng.Next(corpus.Count)]),
                };
                if (rng.Next(300) == 0) input = Grow(rng, input);
                var buildArgs = rng.Next(4) == 0 ? new Dictionary<string, string> { ["V"] = "2", ["TAG"] = "x" } : [];
                watchdog.Begin($"case {i}, input (base64): {Convert.ToBase64String(input)}");
                var outcome = RunOne(input, buildArgs);
                if (outcome.Parsed) parsed++; else rejected++;
                linted += outcome.Warnings;
            }
        });
        output.WriteLine($"{Cases} cases: {parsed} built a model, {rejected} rejected with DockerfileSyntaxException, {linted} lint warnings");
        Assert.True(parsed > 200 && rejected > 200, $"parsed {parsed}, rejected {rejected}: mutations should exercise both paths");
        Assert.True(linted > 100, $"only {linted} lint warnings: the linter should have had work to do");
    }

    private sealed record Outcome(bool Parsed, int Warnings);

    private static Outcome RunOne(byte[] input, Dictionary<string, string> buildArgs)
    {
        bool parsed = false;
        try
        {
            var ast = DockerfileParser.Parse(input);
            _ = ast.Dump();
            _ = DockerfileInstructions.Build(ast);
            parsed = true;
        }
        catch (DockerfileSyntaxException e)
        {
            Assert.DoesNotContain('\n', e.Message);
            Assert.StartsWith("Dockerfile:", e.Message);
        }
        catch (Exception e)
        {
            Assert.Fail($"{e.GetType().Name}: {e.Message}\n{e.StackTrace}\ninput (base64): {Convert.ToBase64String(input)}");
        }

        LintReport report;
        try
        {
            report = DockerfileLinter.Lint(SourceText.Decode(input), "Dockerfile", buildArgs);
            report.Render(TextWriter.Null);
            report.RenderError(TextWriter.Null);
        }
        catch (Exception e)
        {
            Assert.Fail($"linter threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}\ninput (base64): {Convert.ToBase64String(input)}");
            throw;
        }
        // A Dockerfile the model rejects is the report's error too (the directive or expansion may add errors of their own).
        if (!parsed && !report.HasErrors) Assert.Fail("linter accepted what the parser rejected: " + Convert.ToBase64String(input));
        return new Outcome(parsed, report.Warnings.Count);
    }

    private static byte[] RandomLines(Random rng)
    {
        var sb = new StringBuilder();
        int n = rng.Next(1, 30);
        for (int i = 0; i < n; i++)
        {
            sb.Append(Lines[rng.Next(Lines.Length)]);
            if (rng.Next(8) == 0) sb.Append(" \\");
            sb.Append(rng.Next(10) == 0 ? "\r\n" : "\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static byte[] RandomFragments(Random rng)
    {
        var sb = new StringBuilder(rng.Next(3) == 0 ? "FROM x\n" : "");
        int n = rng.Next(1, 60);
        for (int i = 0; i < n; i++)
        {
            if (rng.Next(3) == 0) sb.Append((char)rng.Next(0x20, 0x7f));
            else sb.Append(Fragments[rng.Next(Fragments.Length)]);
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static byte[] Mutate(Random rng, byte[] source)
    {
        var data = new List<byte>(source);
        int edits = rng.Next(1, 8);
        for (int e = 0; e < edits; e++)
        {
            int pos = data.Count == 0 ? 0 : rng.Next(data.Count);
            switch (rng.Next(9))
            {
                case 0 when data.Count > 0: // delete a run of bytes
                    data.RemoveRange(pos, Math.Min(data.Count - pos, rng.Next(1, 16)));
                    break;
                case 1 when data.Count > 0: // duplicate a run of bytes
                    int len = Math.Min(data.Count - pos, rng.Next(1, 64));
                    data.InsertRange(pos, data.GetRange(pos, len));
                    break;
                case 2: // insert random bytes, invalid UTF-8 included
                    for (int k = rng.Next(1, 8); k > 0; k--) data.Insert(pos, (byte)rng.Next(256));
                    break;
                case 3 when data.Count > 0:
                    data[pos] ^= (byte)(1 << rng.Next(8));
                    break;
                case 4: // insert a whole random line at a line start
                    data.InsertRange(LineStart(data, pos), Encoding.UTF8.GetBytes(Lines[rng.Next(Lines.Length)] + "\n"));
                    break;
                case 5 when data.Count > 0: // delete a line
                {
                    int start = LineStart(data, pos);
                    int end = data.IndexOf((byte)'\n', start);
                    data.RemoveRange(start, (end < 0 ? data.Count : end + 1) - start);
                    break;
                }
                case 6 when data.Count > 0: // duplicate a line
                {
                    int start = LineStart(data, pos);
                    int end = data.IndexOf((byte)'\n', start);
                    var line = data.GetRange(start, (end < 0 ? data.Count : end + 1) - start);
                    data.InsertRange(start, line);
                    break;
                }
                case 7:
                    data.InsertRange(pos, Encoding.UTF8.GetBytes(Fragments[rng.Next(Fragments.Length)]));
                    break;
                default:
                    data.InsertRange(pos, Encoding.UTF8.GetBytes(rng.Next(4) switch { 0 => "\\\n", 1 => "<<EOF ", 2 => "[\"", _ => "${" }));
                    break;
            }
        }
        return [.. data];
    }

    // Rare, large inputs: a continuation thousands of lines deep, a heredoc of many thousand lines, or an unterminated one.
    private static byte[] Grow(Random rng, byte[] input)
    {
        var sb = new StringBuilder(Encoding.UTF8.GetString(input));
        sb.Append("\nFROM alpine\n");
        switch (rng.Next(3))
        {
            case 0:
                sb.Append("RUN echo \\\n");
                for (int i = 0; i < 10_000; i++) sb.Append(i % 3 == 0 ? "\\\n" : i % 3 == 1 ? "# c\n" : "  x \\\n");
                sb.Append("end\n");
                break;
            case 1:
                sb.Append("COPY <<EOF /big\n");
                for (int i = 0; i < 10_000; i++) sb.Append("line $V ${X:-y} ").Append(i).Append('\n');
                sb.Append("EOF\n");
                break;
            default:
                sb.Append("RUN <<EOF\n");
                for (int i = 0; i < 10_000; i++) sb.Append("echo ").Append(i).Append('\n');
                break;
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static int LineStart(List<byte> data, int pos)
    {
        pos = Math.Min(pos, data.Count);
        while (pos > 0 && data[pos - 1] != '\n') pos--;
        return pos;
    }
}
