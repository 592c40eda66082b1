using System.Text;
using BenchmarkDotNet.Attributes;
using Berth.Engine.Dockerfile.Checks;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Bench.Micro;

/// <summary>Parsing a 5,000-line Dockerfile (issue 3 asks for well under 50 ms): syntax tree, typed model, and the build checks.</summary>
[MemoryDiagnoser]
public class DockerfileParseBenchmarks
{
    private string _text = "";
    private byte[] _bytes = [];

    [GlobalSetup]
    public void Setup()
    {
        // A realistic mix: continuations, comments, flags, JSON and shell forms, heredocs, several stages.
        var sb = new StringBuilder("# syntax=docker/dockerfile:1\n# check=skip=SecretsUsedInArgOrEnv\nARG BASE=alpine:3.20\nFROM $BASE AS build\nARG V=1\n");
        int line = 5;
        int stage = 0;
        while (line < 5_000)
        {
            switch (line % 11)
            {
                case 0: sb.Append("RUN --mount=type=cache,target=/root/.cache apk add --no-cache \\\n    curl \\\n    git && \\\n    echo ").Append(line).Append('\n'); line += 4; continue;
                case 1: sb.Append("ENV K").Append(line).Append("=$V PATH=/opt/bin:$PATH\n"); break;
                case 2: sb.Append("COPY --chown=1000:1000 --chmod=644 src/").Append(line).Append(" /app/src/\n"); break;
                case 3: sb.Append("LABEL org.example.l").Append(line).Append("=\"value with spaces\"\n"); break;
                case 4: sb.Append("# a comment about step ").Append(line).Append('\n'); break;
                case 5: sb.Append("WORKDIR /app/").Append(line).Append('\n'); break;
                case 6: sb.Append("RUN [\"sh\", \"-c\", \"echo ").Append(line).Append("\"]\n"); break;
                case 7: sb.Append("COPY <<EOF /etc/conf").Append(line).Append("\nkey=value\nother=$V\nEOF\n"); line += 4; continue;
                case 8: sb.Append('\n'); break;
                case 9:
                    if (++stage % 10 == 0) sb.Append("FROM build AS stage").Append(stage).Append('\n');
                    else sb.Append("EXPOSE 80/tcp 443\n");
                    break;
                default: sb.Append("ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/a.tgz /a/\n"); break;
            }
            line++;
        }
        sb.Append("CMD [\"/app/run\"]\n");
        _text = sb.ToString();
        _bytes = Encoding.UTF8.GetBytes(_text);
    }

    [Benchmark(Baseline = true)]
    public DockerfileAst ParseSyntaxTree() => DockerfileParser.Parse(_bytes);

    [Benchmark]
    public DockerfileModel ParseModel() => DockerfileModel.Parse(_bytes);

    [Benchmark]
    public LintReport Lint() => DockerfileLinter.Lint(_text, "Dockerfile", new Dictionary<string, string>());
}
