using System.Diagnostics;
using System.Text;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;
using Berth.Tests.Conformance;

namespace Berth.Tests.Dockerfile.Syntax;

/// <summary>Random and mutated Dockerfiles: the parser and the instruction layer either succeed or throw DockerfileSyntaxException, quickly.</summary>
public sealed class DockerfileParserFuzzTests
{
    private static readonly string[] Fragments =
    [
        "\\", "`", "\"", "'", "[", "]", "<<", "<<-", "<<'", "EOF", "\n", "\r\n", " ", "\t", "#", "# escape=`\n", "--", "--mount=",
        "${", "}", "$", "=", ",", "{", "\u00a0", "\ufeff", "ONBUILD ", "RUN ", "COPY ", "FROM ", "ENV ", "HEALTHCHECK ", "\0", "\u2028",
    ];

    private static readonly string[] Seeds =
    [
        "FROM alpine\nRUN echo hi\n",
        "FROM a AS b\nCOPY --from=b <<EOF /x\nhello\nEOF\n",
        "# escape=`\nFROM a\nRUN dir `\n  c:\\\n",
        "FROM a\nHEALTHCHECK --interval=5s CMD [\"true\"]\nONBUILD RUN x\nENV a=1 b=\"2 3\"\nLABEL x y\n",
        "ARG X=1\nFROM $X\nRUN --mount=type=cache,target=/c <<-A <<B cat\n\tx\n\tA\ny\nB\n",
    ];

    [Fact]
    public void Random_and_mutated_dockerfiles_parse_or_fail_cleanly_within_the_time_bound()
    {
        var corpus = new List<byte[]>(Seeds.Select(s => Encoding.UTF8.GetBytes(s)));
        if (ParserConformanceCorpus.Root is { } root)
        {
            foreach (var f in Directory.GetFiles(root, "Dockerfile", SearchOption.AllDirectories))
            {
                var bytes = File.ReadAllBytes(f);
                if (bytes.Length < 16_000) corpus.Add(bytes);
            }
        }

        var rng = new Random(20240611);
        var sw = Stopwatch.StartNew();
        var bound = TimeSpan.FromSeconds(20);
        int parsed = 0, rejected = 0;
        for (int i = 0; i < 4000; i++)
        {
            byte[] input = i % 5 == 0 ? RandomText(rng) : Mutate(rng, corpus[rng.Next(corpus.Count)]);
            var one = Stopwatch.StartNew();
            try
            {
                var ast = DockerfileParser.Parse(input);
                _ = ast.Dump();
                try
                {
                    DockerfileInstructions.Build(ast);
                }
                catch (DockerfileSyntaxException)
                {
                }
                parsed++;
            }
            catch (DockerfileSyntaxException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i}: {e.GetType().Name}: {e.Message}\ninput (base64): {Convert.ToBase64String(input)}");
            }
            Assert.True(one.Elapsed < TimeSpan.FromSeconds(2), $"case {i} took {one.Elapsed}: {Convert.ToBase64String(input)}");
            Assert.True(sw.Elapsed < bound, $"fuzz loop exceeded {bound} at case {i}");
        }
        Assert.True(parsed > 100 && rejected > 100, $"parsed {parsed}, rejected {rejected}: mutations should exercise both paths");
    }

    private static byte[] RandomText(Random rng)
    {
        var sb = new StringBuilder();
        int n = rng.Next(1, 40);
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
        int edits = rng.Next(1, 6);
        for (int e = 0; e < edits; e++)
        {
            int pos = data.Count == 0 ? 0 : rng.Next(data.Count);
            switch (rng.Next(5))
            {
                case 0 when data.Count > 0:
                    data[pos] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data.RemoveRange(pos, data.Count - pos); // truncate
                    break;
                case 2:
                    data.InsertRange(pos, Encoding.UTF8.GetBytes(Fragments[rng.Next(Fragments.Length)]));
                    break;
                case 3 when data.Count > 0:
                    data.RemoveAt(pos);
                    break;
                default:
                    data.InsertRange(pos, Encoding.UTF8.GetBytes(rng.Next(4) switch { 0 => "\\\n", 1 => "<<EOF ", 2 => "[\"", _ => "\"" }));
                    break;
            }
        }
        return [.. data];
    }
}
