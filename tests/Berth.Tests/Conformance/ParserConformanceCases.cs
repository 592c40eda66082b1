using System.Text.Json;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Tests.Conformance;

/// <summary>One corpus check: <see cref="Id"/> is <c>&lt;folder&gt;/&lt;case&gt;</c> as used in known-failures.txt.</summary>
public sealed record ParserConformanceCase(string Folder, string Id, Action Check);

/// <summary>Every parser case of the shared corpus as a runnable check (README sections 1–5).</summary>
public static class ParserConformanceCases
{
    public const string Positive = "dockerfile-parser";
    public const string Negative = "dockerfile-parser-negative";
    public const string Heredoc = "dockerfile-parser-heredoc";
    public const string Directives = "dockerfile-parser-directives";
    public const string Misc = "dockerfile-parser-misc";

    private static readonly Lazy<IReadOnlyList<ParserConformanceCase>> AllLazy = new(Build);
    private static readonly Lazy<IReadOnlyDictionary<string, ParserConformanceCase>> ById =
        new(() => AllLazy.Value.ToDictionary(c => c.Id, StringComparer.Ordinal));

    public static IReadOnlyList<ParserConformanceCase> All => AllLazy.Value;

    public static ParserConformanceCase Get(string id) => ById.Value[id];

    /// <summary>Theory data: the ids of one corpus file (prefix), or a single marker row when the corpus is missing.</summary>
    public static IEnumerable<object[]> Ids(string prefix)
    {
        if (ParserConformanceCorpus.Root is null)
        {
            yield return [MissingCorpus];
            yield break;
        }
        foreach (var c in All)
            if (c.Id.StartsWith(prefix, StringComparison.Ordinal)) yield return [c.Id];
    }

    public const string MissingCorpus = "<corpus missing>";

    /// <summary>Runs a case; a known failure must still fail (so a fixed case gets removed from the list).</summary>
    public static void Run(string id)
    {
        if (id == MissingCorpus) Assert.Fail(ParserConformanceCorpus.MissingMessage);
        var c = Get(id);
        if (ParserConformanceCorpus.KnownFailures.TryGetValue(id, out var reason))
        {
            bool passed;
            try
            {
                c.Check();
                passed = true;
            }
            catch (Exception)
            {
                passed = false;
            }
            Assert.False(passed, $"{id} is listed in known-failures.txt ({reason}) but passes now: remove it from the list.");
            return;
        }
        c.Check();
    }

    private static IReadOnlyList<ParserConformanceCase> Build()
    {
        var root = ParserConformanceCorpus.RequireRoot();
        var list = new List<ParserConformanceCase>();

        foreach (var dir in Directory.GetDirectories(Path.Combine(root, Positive)).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            list.Add(new(Positive, $"{Positive}/{name}", () => CheckPositive(name)));
        }
        foreach (var dir in Directory.GetDirectories(Path.Combine(root, Negative)).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            list.Add(new(Negative, $"{Negative}/{name}", () => CheckNegative(name)));
        }

        foreach (var sub in new[] { "extract", "json-form" })
        {
            foreach (var (line, row) in ParserConformanceCorpus.JsonLines(Heredoc, sub, "expected.jsonl"))
            {
                int child = row.GetProperty("child").GetInt32();
                list.Add(new(Heredoc, $"{Heredoc}/{sub}#{child}", () => CheckHeredocExtract(sub, row)));
            }
        }
        foreach (var (line, f) in ParserConformanceCorpus.TsvLines(Heredoc, "heredoc-words.tsv"))
            list.Add(new(Heredoc, $"{Heredoc}/heredoc-words.tsv#{line}", () => CheckHeredocWord(f)));
        foreach (var (line, f) in ParserConformanceCorpus.TsvLines(Heredoc, "heredoc-lines.tsv"))
            list.Add(new(Heredoc, $"{Heredoc}/heredoc-lines.tsv#{line}", () => CheckHeredocLine(f)));
        foreach (var (line, row) in ParserConformanceCorpus.JsonLines(Heredoc, "chomp.jsonl"))
            list.Add(new(Heredoc, $"{Heredoc}/chomp.jsonl#{line}", () =>
                Assert.Equal(row.GetProperty("expected").GetString(), HeredocSyntax.ChompContent(row.GetProperty("input").GetString()!))));

        foreach (var (line, row) in ParserConformanceCorpus.JsonLines(Directives, "directives.jsonl"))
            list.Add(new(Directives, $"{Directives}/directives.jsonl#{line}", () => CheckDirective(row)));

        list.Add(new(Misc, $"{Misc}/line-numbers", CheckLineNumbers));
        list.Add(new(Misc, $"{Misc}/empty-continuation-warning", CheckEmptyContinuation));
        list.Add(new(Misc, $"{Misc}/line-too-long", CheckLineTooLong));
        foreach (var (line, row) in ParserConformanceCorpus.JsonLines(Misc, "json-arrays.jsonl"))
            list.Add(new(Misc, $"{Misc}/json-arrays.jsonl#{line}", () => CheckJsonArray(row)));
        foreach (var (line, row) in ParserConformanceCorpus.JsonLines(Misc, "parse-words.jsonl"))
            list.Add(new(Misc, $"{Misc}/parse-words.jsonl#{line}", () => CheckParseWords(row)));
        foreach (var (line, row) in ParserConformanceCorpus.JsonLines(Misc, "name-value.jsonl"))
            list.Add(new(Misc, $"{Misc}/name-value.jsonl#{line}", () => CheckNameValue(row)));
        return list;
    }

    private static void CheckPositive(string name)
    {
        var ast = DockerfileParser.Parse(ParserConformanceCorpus.ReadBytes(Positive, name, "Dockerfile"));
        var expected = ParserConformanceCorpus.ReadText(Positive, name, "result");
        Assert.Equal(expected, ast.Dump());
    }

    private static void CheckNegative(string name)
    {
        var bytes = ParserConformanceCorpus.ReadBytes(Negative, name, "Dockerfile");
        Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse(bytes));
    }

    private static void CheckHeredocExtract(string sub, JsonElement row)
    {
        var ast = DockerfileParser.Parse(ParserConformanceCorpus.ReadBytes(Heredoc, sub, "Dockerfile"));
        int child = row.GetProperty("child").GetInt32();
        var node = ast.Instructions[child];
        Assert.Equal(row.GetProperty("line").GetString(), node.Original);
        var expected = row.GetProperty("heredocs").EnumerateArray().Select(h => new Heredoc(
            h.GetProperty("name").GetString()!,
            h.GetProperty("content").GetString()!,
            h.GetProperty("expand").GetBoolean(),
            h.GetProperty("chomp").GetBoolean(),
            h.GetProperty("fd").GetInt32())).ToList();
        Assert.Equal(expected, node.Heredocs.ToList());
    }

    private static void CheckHeredocWord(string[] f)
    {
        string word = f[0], outcome = f[1], name = f.Length > 2 ? f[2] : "";
        switch (outcome)
        {
            case "heredoc":
                var h = HeredocSyntax.ParseWord(word);
                Assert.NotNull(h);
                Assert.Equal(name, h.Name);
                break;
            case "none":
                Assert.Null(HeredocSyntax.ParseWord(word));
                break;
            case "error":
                Assert.Throws<FormatException>(() => HeredocSyntax.ParseWord(word));
                break;
            default:
                throw new InvalidOperationException($"unknown outcome {outcome}");
        }
    }

    private static void CheckHeredocLine(string[] f)
    {
        string line = f[0];
        var expected = f.Length > 1 && f[1].Length > 0 ? f[1].Split(',') : [];
        bool informative = f.Length > 2 && f[2].Length > 0;
        var names = HeredocSyntax.FromLine(line).Select(h => h.Name).ToArray();
        if (informative)
        {
            // Upstream only checks the names it returns against the list, index by index.
            for (int i = 0; i < names.Length; i++) Assert.Equal(expected[i], names[i]);
        }
        else
        {
            Assert.Equal(expected, names);
        }
    }

    private static void CheckDirective(JsonElement row)
    {
        string function = row.GetProperty("function").GetString()!;
        string input = row.GetProperty("input").GetString()!;
        if (function == "ParseAll")
        {
            var found = new ParserDirectives().ParseAll(input);
            var expected = row.GetProperty("expected_directives").EnumerateArray()
                .Select(d => (d.GetProperty("name").GetString(), d.GetProperty("value").GetString())).ToList();
            Assert.Equal(expected, found.Select(d => ((string?)d.Name, (string?)d.Value)).ToList());
            return;
        }
        DirectiveMatch? m = function switch
        {
            "DetectSyntax" => ParserDirectives.DetectSyntax(input),
            "ParseDirective" => ParserDirectives.ParseDirective(row.GetProperty("key").GetString()!, input),
            _ => throw new InvalidOperationException($"unknown function {function}"),
        };
        Assert.Equal(row.GetProperty("ok").GetBoolean(), m is not null);
        if (row.TryGetProperty("ref", out var r)) Assert.Equal(r.GetString(), m?.Ref ?? "");
        if (row.TryGetProperty("cmdline", out var c)) Assert.Equal(c.GetString(), m?.CommandLine ?? "");
        if (row.TryGetProperty("line", out var l)) Assert.Equal(l.GetInt32(), m?.Line ?? 0);
    }

    private static void CheckLineNumbers()
    {
        var ast = DockerfileParser.Parse(ParserConformanceCorpus.ReadBytes(Misc, "line-numbers", "Dockerfile"));
        using var doc = JsonDocument.Parse(ParserConformanceCorpus.ReadText(Misc, "line-numbers", "expected.json"));
        var e = doc.RootElement;
        Assert.Equal(e.GetProperty("root").GetProperty("start").GetInt32(), ast.Root.StartLine);
        Assert.Equal(e.GetProperty("root").GetProperty("end").GetInt32(), ast.Root.EndLine);
        var expected = e.GetProperty("children").EnumerateArray()
            .Select(c => (c.GetProperty("start").GetInt32(), c.GetProperty("end").GetInt32())).ToList();
        Assert.Equal(expected, ast.Instructions.Select(n => (n.StartLine, n.EndLine)).ToList());
    }

    private static void CheckEmptyContinuation()
    {
        var ast = DockerfileParser.Parse(ParserConformanceCorpus.ReadBytes(Misc, "empty-continuation-warning", "Dockerfile"));
        using var doc = JsonDocument.Parse(ParserConformanceCorpus.ReadText(Misc, "empty-continuation-warning", "expected.json"));
        var e = doc.RootElement;
        Assert.Equal(e.GetProperty("warning_count").GetInt32(), ast.Warnings.Count);
        int i = 0;
        foreach (var w in e.GetProperty("warnings").EnumerateArray())
        {
            foreach (var s in w.GetProperty("short_contains").EnumerateArray())
                Assert.Contains(s.GetString()!, ast.Warnings[i].Short, StringComparison.Ordinal);
            if (w.TryGetProperty("detail0_contains", out var d))
                Assert.Contains(d.GetString()!, ast.Warnings[i].Detail, StringComparison.Ordinal);
            i++;
        }
    }

    private static void CheckLineTooLong()
    {
        var bytes = ParserConformanceCorpus.ReadBytes(Misc, "line-too-long", "Dockerfile");
        using var doc = JsonDocument.Parse(ParserConformanceCorpus.ReadText(Misc, "line-too-long", "expected.json"));
        var ex = Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse(bytes));
        Assert.Contains(doc.RootElement.GetProperty("error").GetString()!, ex.Message, StringComparison.Ordinal);
    }

    private static void CheckJsonArray(JsonElement row)
    {
        var status = JsonArgs.TryParse(row.GetProperty("input").GetString()!, out var elements);
        if (row.GetProperty("valid").GetBoolean())
        {
            Assert.Equal(JsonArrayStatus.Strings, status);
            Assert.Equal(row.GetProperty("expected").EnumerateArray().Select(x => x.GetString()!).ToList(), elements);
        }
        else
        {
            Assert.Equal(JsonArrayStatus.NotAllStrings, status);
        }
    }

    private static void CheckParseWords(JsonElement row)
    {
        char escape = row.GetProperty("escape").GetString()![0];
        var words = ArgumentWords.ParseWords(row.GetProperty("input").GetString()!, escape);
        Assert.Equal(row.GetProperty("expected").EnumerateArray().Select(x => x.GetString()!).ToList(), words);
    }

    private static void CheckNameValue(JsonElement row)
    {
        string text = $"{row.GetProperty("instruction").GetString()} {row.GetProperty("args").GetString()}\n";
        if (row.TryGetProperty("error", out var err))
        {
            var ex = Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse(text));
            Assert.Equal(err.GetString(), ex.Reason);
            return;
        }
        var node = DockerfileParser.Parse(text).Instructions[0];
        Assert.Equal(row.GetProperty("values").EnumerateArray().Select(x => x.GetString()!).ToList(), node.Arguments.Select(a => a.Value).ToList());
    }
}
