using System.Text.Json;
using Berth.Engine.Dockerfile.Expansion;
using Xunit.Abstractions;

namespace Berth.Tests.Conformance;

/// <summary>BuildKit's shell-lexer corpus (<c>shared/conformance/shell-expansion</c>): one theory per file, one case per row.</summary>
public class ExpansionConformanceTests(ITestOutputHelper output)
{
    private const string EnvVarTest = "shell-expansion/envVarTest";
    private const string WordsTest = "shell-expansion/wordsTest";
    private const string ProcessWordFile = "shell-expansion/process-word.jsonl";
    private const string EnvFromListFile = "shell-expansion/env-from-list.jsonl";

    private static readonly ShellWordExpander Lexer = new('\\');

    // ---- envVarTest ----

    public static TheoryData<string, int> EnvVarCases() => ToData(EnvVarRows().Select(r => r.Case));

    private static IEnumerable<(CorpusCase Case, string Platform, string Input, string Expected)> EnvVarRows()
    {
        var lines = ExpansionIgnoreCorpus.ReadLines(EnvVarTest);
        for (var i = 0; i < lines.Length; i++)
        {
            var raw = lines[i];
            if (raw.StartsWith('#')) continue;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var fields = line.Split('|');
            if (fields.Length != 3) throw new InvalidDataException($"{EnvVarTest}:{i + 1}: expected 3 fields");
            var platform = fields[0].Trim();
            if (platform is not ("A" or "U" or "W")) throw new InvalidDataException($"{EnvVarTest}:{i + 1}: bad platform {platform}");
            if (platform == "W") continue; // Windows-only rows: a Linux engine does not run them
            yield return (new CorpusCase(EnvVarTest, i + 1), platform, fields[1].Trim(), fields[2].Trim());
        }
    }

    private static readonly EnvironmentList EnvVarEnvironment = new(["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]);

    private static string? RunEnvVar(CorpusCase c)
    {
        var row = EnvVarRows().Single(r => r.Case == c);
        if (row.Expected == "error")
        {
            try
            {
                var got = Lexer.ProcessWord(row.Input, EnvVarEnvironment);
                return $"expected an error for {row.Input}, got \"{got}\"";
            }
            catch (ShellExpansionException)
            {
                return null;
            }
        }
        var result = Lexer.ProcessWord(row.Input, EnvVarEnvironment);
        return result == row.Expected ? null : $"{row.Input}: expected \"{row.Expected}\", got \"{result}\"";
    }

    [Theory]
    [MemberData(nameof(EnvVarCases))]
    public void EnvVarTest_row_expands_as_upstream(string file, int row) => CorpusRunner.AssertCase(new CorpusCase(file, row), () => RunEnvVar(new CorpusCase(file, row)));

    // ---- wordsTest ----

    public static TheoryData<string, int> WordsCases() => ToData(WordsRows().Select(r => r.Case));

    private static IEnumerable<(CorpusCase Case, string Input, string[] Expected, string[] Env)> WordsRows()
    {
        var lines = ExpansionIgnoreCorpus.ReadLines(WordsTest);
        var env = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.StartsWith('#')) continue;
            if (line.StartsWith("ENV "))
            {
                env.Add(line[3..].TrimStart(' '));
                continue;
            }
            var parts = line.Split('|');
            if (parts.Length != 2) throw new InvalidDataException($"{WordsTest}:{i + 1}: expected exactly one |");
            yield return (new CorpusCase(WordsTest, i + 1), parts[0].Trim(), parts[1].TrimStart(' ').Split(','), [.. env]);
        }
    }

    private static string? RunWords(CorpusCase c)
    {
        var row = WordsRows().Single(r => r.Case == c);
        IReadOnlyList<string> got;
        try
        {
            got = Lexer.ProcessWords(row.Input, new EnvironmentList(row.Env));
        }
        catch (ShellExpansionException)
        {
            got = ["error"];
        }
        return got.SequenceEqual(row.Expected)
            ? null
            : $"{row.Input}: expected [{string.Join("|", row.Expected)}], got [{string.Join("|", got)}]";
    }

    [Theory]
    [MemberData(nameof(WordsCases))]
    public void WordsTest_row_splits_as_upstream(string file, int row) => CorpusRunner.AssertCase(new CorpusCase(file, row), () => RunWords(new CorpusCase(file, row)));

    // ---- process-word.jsonl ----

    public static TheoryData<string, int> ProcessWordCases() => ToData(JsonRows(ProcessWordFile).Select(r => r.Case));

    private static IEnumerable<(CorpusCase Case, JsonElement Row)> JsonRows(string file)
    {
        var lines = ExpansionIgnoreCorpus.ReadLines(file);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            yield return (new CorpusCase(file, i + 1), JsonDocument.Parse(lines[i]).RootElement.Clone());
        }
    }

    private static string? RunProcessWord(CorpusCase c)
    {
        var row = JsonRows(ProcessWordFile).Single(r => r.Case == c).Row;
        var input = row.GetProperty("input").GetString()!;
        var env = EnvironmentList.FromPairs(row.GetProperty("env").EnumerateObject()
            .Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.GetString())));
        if (row.GetProperty("error").GetBoolean())
        {
            try
            {
                var got = Lexer.ProcessWord(input, env);
                return $"{input}: expected an error, got \"{got}\"";
            }
            catch (ShellExpansionException e)
            {
                if (row.TryGetProperty("error_contains", out var contains) && !e.Message.Contains(contains.GetString()!, StringComparison.Ordinal))
                    return $"{input}: error \"{e.Message}\" lacks \"{contains.GetString()}\"";
                return null;
            }
        }
        var result = Lexer.ProcessWordWithMatches(input, env);
        var expected = row.GetProperty("expected").GetString()!;
        if (result.Result != expected) return $"{input}: expected \"{expected}\", got \"{result.Result}\"";
        if (row.TryGetProperty("matched", out var matched) && !SameSet(matched, result.Matched))
            return $"{input}: matched [{string.Join(",", result.Matched)}] differs from {matched}";
        if (row.TryGetProperty("unmatched", out var unmatched) && !SameSet(unmatched, result.Unmatched))
            return $"{input}: unmatched [{string.Join(",", result.Unmatched)}] differs from {unmatched}";
        return null;
    }

    private static bool SameSet(JsonElement expected, IReadOnlySet<string> actual)
        => actual.SetEquals(expected.EnumerateArray().Select(e => e.GetString()!));

    [Theory]
    [MemberData(nameof(ProcessWordCases))]
    public void Process_word_row_matches_upstream(string file, int row) => CorpusRunner.AssertCase(new CorpusCase(file, row), () => RunProcessWord(new CorpusCase(file, row)));

    // ---- env-from-list.jsonl ----

    public static TheoryData<string, int> EnvFromListCases() => ToData(JsonRows(EnvFromListFile).Select(r => r.Case));

    private static string? RunEnvFromList(CorpusCase c)
    {
        var row = JsonRows(EnvFromListFile).Single(r => r.Case == c).Row;
        var env = new EnvironmentList(row.GetProperty("env").EnumerateArray().Select(e => e.GetString()!));
        var got = env.Get(row.GetProperty("lookup").GetString()!);
        var expected = row.GetProperty("expected_value").GetString()!;
        return got == expected ? null : $"expected \"{expected}\", got \"{got}\"";
    }

    [Theory]
    [MemberData(nameof(EnvFromListCases))]
    public void Env_from_list_row_resolves_as_upstream(string file, int row) => CorpusRunner.AssertCase(new CorpusCase(file, row), () => RunEnvFromList(new CorpusCase(file, row)));

    // ---- summary ----

    [Fact]
    public void Shell_expansion_corpus_summary_has_no_unexpected_results()
    {
        var all = new List<string>();
        int passed = 0, known = 0;
        foreach (var (file, cases, run) in new (string, IEnumerable<CorpusCase>, Func<CorpusCase, string?>)[]
                 {
                     (EnvVarTest, EnvVarRows().Select(r => r.Case), RunEnvVar),
                     (WordsTest, WordsRows().Select(r => r.Case), RunWords),
                     (ProcessWordFile, JsonRows(ProcessWordFile).Select(r => r.Case), RunProcessWord),
                     (EnvFromListFile, JsonRows(EnvFromListFile).Select(r => r.Case), RunEnvFromList),
                 })
        {
            var (p, k, unexpected) = CorpusRunner.Summarise(file, cases.ToList(), run, output);
            passed += p;
            known += k;
            all.AddRange(unexpected);
        }
        output.WriteLine($"shell-expansion total: {passed} passed, {known} known failures, {all.Count} unexpected (envVarTest W rows are Windows-only and not run)");
        Assert.True(all.Count == 0, string.Join("\n", all));
    }

    private static TheoryData<string, int> ToData(IEnumerable<CorpusCase> cases)
    {
        var data = new TheoryData<string, int>();
        foreach (var c in cases) data.Add(c.File, c.Row);
        return data;
    }
}
