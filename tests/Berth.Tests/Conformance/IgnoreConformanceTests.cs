using System.Text.Json;
using Berth.Engine.Dockerfile.Ignore;
using Xunit.Abstractions;

namespace Berth.Tests.Conformance;

/// <summary>moby/patternmatcher and fsutil corpus (<c>shared/conformance/dockerignore</c>): one theory per file, one case per row.</summary>
public class IgnoreConformanceTests(ITestOutputHelper output)
{
    private const string MatchesFile = "dockerignore/matches.tsv";
    private const string NewPatternsFile = "dockerignore/new-patterns.jsonl";
    private const string CompileFile = "dockerignore/compile.tsv";
    private const string IgnoreFileInput = "dockerignore/ignorefile/input.dockerignore";
    private const string ContextWalkFile = "dockerignore/context-walk.jsonl";

    // ---- matches.tsv ----

    public static TheoryData<string, int> MatchesCases() => ToData(TsvRows(MatchesFile).Select(r => r.Case));

    private static IEnumerable<(CorpusCase Case, string[] Fields)> TsvRows(string file)
    {
        var lines = ExpansionIgnoreCorpus.ReadLines(file);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith('#') || lines[i].Length == 0) continue;
            yield return (new CorpusCase(file, i + 1), lines[i].Split('\t'));
        }
    }

    private static string? RunMatches(CorpusCase c)
    {
        var f = TsvRows(MatchesFile).Single(r => r.Case == c).Fields;
        var (api, os, expect, path, patterns) = (f[1], f[2], f[3], f[4], f[5..]);
        if (os is not ("any" or "unix")) return $"unknown os column {os}";
        var outcomes = new List<(string Api, Func<bool> Run)>();
        switch (api)
        {
            case "all-parent-aware":
                outcomes.Add(("MatchesOrParentMatches", () => new PatternMatcher(patterns).MatchesOrParentMatches(path)));
                outcomes.Add(("MatchesUsingParentResult", () => WalkSingleBool(new PatternMatcher(patterns), path)));
                outcomes.Add(("MatchesUsingParentResults", () => WalkInfo(new PatternMatcher(patterns), path)));
                outcomes.Add(("MatchesUsingParentResults(empty)", () => new PatternMatcher(patterns).MatchesUsingParentResults(path, MatchInfo.None).Matched));
                break;
            case "parent-aware-except-MatchesUsingParentResult":
                outcomes.Add(("MatchesOrParentMatches", () => new PatternMatcher(patterns).MatchesOrParentMatches(path)));
                outcomes.Add(("MatchesUsingParentResults", () => WalkInfo(new PatternMatcher(patterns), path)));
                outcomes.Add(("MatchesUsingParentResults(empty)", () => new PatternMatcher(patterns).MatchesUsingParentResults(path, MatchInfo.None).Matched));
                break;
            case "legacy-Matches":
                outcomes.Add(("Matches", () => PatternMatcher.MatchesOrParentMatches(path, patterns)));
                break;
            case "MatchesOrParentMatches":
                outcomes.Add(("MatchesOrParentMatches", () =>
                {
                    var m = new PatternMatcher(patterns);
                    // Called twice: a bad expression must fail every time, never be cached as a success.
                    try { m.MatchesOrParentMatches(path); } catch (IgnorePatternException) { }
                    return m.MatchesOrParentMatches(path);
                }));
                break;
            default:
                return $"unknown api column {api}";
        }

        foreach (var (name, run) in outcomes)
        {
            string got;
            try
            {
                got = run() ? "true" : "false";
            }
            catch (IgnorePatternException)
            {
                got = "error";
            }
            if (got != expect) return $"{name}({path}, [{string.Join(" ", patterns)}]) = {got}, expected {expect}";
        }
        return null;
    }

    // Upstream's walk protocol: every ancestor prefix of Dir(path) first, then the path.
    private static IEnumerable<string> WalkOrder(string path)
    {
        var dir = GoDir(path);
        if (dir != ".")
        {
            var parts = dir.Split('/');
            for (var i = 0; i < parts.Length; i++) yield return string.Join('/', parts, 0, i + 1);
        }
        yield return path;
    }

    private static string GoDir(string path)
    {
        // filepath.Dir; checked by the unit tests of GoPath, restated here to keep the harness independent.
        var i = path.LastIndexOf('/');
        var head = path[..(i + 1)];
        if (head.Length == 0) return ".";
        var trimmed = head.Length > 1 ? head.TrimEnd('/') : head;
        return trimmed.Length == 0 ? "/" : trimmed;
    }

    private static bool WalkSingleBool(PatternMatcher m, string path)
    {
        var matched = false;
        foreach (var p in WalkOrder(path)) matched = m.MatchesUsingParentResult(p, matched);
        return matched;
    }

    private static bool WalkInfo(PatternMatcher m, string path)
    {
        var info = MatchInfo.None;
        var matched = false;
        foreach (var p in WalkOrder(path)) (matched, info) = m.MatchesUsingParentResults(p, info);
        return matched;
    }

    [Theory]
    [MemberData(nameof(MatchesCases))]
    public void Matches_row_gives_the_upstream_result(string file, int row)
        => CorpusRunner.AssertCase(new CorpusCase(file, row), () => RunMatches(new CorpusCase(file, row)));

    // ---- new-patterns.jsonl ----

    public static TheoryData<string, int> NewPatternsCases() => ToData(JsonRows(NewPatternsFile).Select(r => r.Case));

    private static IEnumerable<(CorpusCase Case, JsonElement Row)> JsonRows(string file)
    {
        var lines = ExpansionIgnoreCorpus.ReadLines(file);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            yield return (new CorpusCase(file, i + 1), JsonDocument.Parse(lines[i]).RootElement.Clone());
        }
    }

    private static string? RunNewPatterns(CorpusCase c)
    {
        var row = JsonRows(NewPatternsFile).Single(r => r.Case == c).Row;
        var patterns = row.GetProperty("patterns").EnumerateArray().Select(e => e.GetString()!).ToList();
        PatternMatcher matcher;
        try
        {
            matcher = new PatternMatcher(patterns);
        }
        catch (IgnorePatternException e)
        {
            return row.GetProperty("error").GetBoolean() ? null : "unexpected error: " + e.Message;
        }
        if (row.GetProperty("error").GetBoolean()) return "expected an error";
        if (row.TryGetProperty("count", out var count) && count.GetInt32() != matcher.Patterns.Count)
            return $"count {matcher.Patterns.Count}, expected {count.GetInt32()}";
        if (row.TryGetProperty("exclusions", out var ex) && ex.GetBoolean() != matcher.HasExceptions)
            return $"exclusions {matcher.HasExceptions}, expected {ex.GetBoolean()}";
        return null;
    }

    [Theory]
    [MemberData(nameof(NewPatternsCases))]
    public void New_patterns_row_builds_as_upstream(string file, int row)
        => CorpusRunner.AssertCase(new CorpusCase(file, row), () => RunNewPatterns(new CorpusCase(file, row)));

    // ---- compile.tsv (white-box: we port the classification and the expression text) ----

    public static TheoryData<string, int> CompileCases() => ToData(TsvRows(CompileFile).Select(r => r.Case));

    private static string? RunCompile(CorpusCase c)
    {
        var f = TsvRows(CompileFile).Single(r => r.Case == c).Fields;
        var pattern = new PatternMatcher([f[0]]).Patterns.Single();
        var kind = pattern.Kind switch
        {
            PatternMatchKind.Exact => "exactMatch",
            PatternMatchKind.Prefix => "prefixMatch",
            PatternMatchKind.Suffix => "suffixMatch",
            _ => "regexpMatch",
        };
        if (kind != f[1]) return $"{f[0]}: kind {kind}, expected {f[1]}";
        var expectedRegex = f.Length > 2 ? f[2] : "";
        if ((pattern.RegexText ?? "") != expectedRegex) return $"{f[0]}: regex {pattern.RegexText}, expected {expectedRegex}";
        return null;
    }

    [Theory]
    [MemberData(nameof(CompileCases))]
    public void Compile_row_classifies_the_pattern_as_upstream(string file, int row)
        => CorpusRunner.AssertCase(new CorpusCase(file, row), () => RunCompile(new CorpusCase(file, row)));

    // ---- ignorefile/ ----

    private static string? RunIgnoreFile()
    {
        var patterns = DockerignoreReader.Read(ExpansionIgnoreCorpus.ReadText(IgnoreFileInput));
        using var expected = JsonDocument.Parse(ExpansionIgnoreCorpus.ReadText("dockerignore/ignorefile/expected.json"));
        var want = expected.RootElement.GetProperty("patterns").EnumerateArray().Select(e => e.GetString()!).ToList();
        return patterns.SequenceEqual(want) ? null : $"got [{string.Join(", ", patterns)}], expected [{string.Join(", ", want)}]";
    }

    [Fact]
    public void Ignorefile_input_reads_to_the_expected_patterns()
        => CorpusRunner.AssertCase(new CorpusCase(IgnoreFileInput, 1), RunIgnoreFile);

    // ---- context-walk.jsonl ----

    public static TheoryData<string, int> ContextWalkCases() => ToData(JsonRows(ContextWalkFile).Select(r => r.Case));

    /// <summary>Denies reading one directory: tests run as root, where chmod 0000 does not stop a read.</summary>
    private sealed class DenyingFileSystem(string root, string denied) : IContextFileSystem
    {
        private readonly PhysicalContextFileSystem _inner = new(root);

        public IEnumerable<ContextDirectoryEntry> ReadDirectory(string relativeDirectory)
            => relativeDirectory == denied ? throw new UnauthorizedAccessException("permission denied") : _inner.ReadDirectory(relativeDirectory);
    }

    private static string? RunContextWalk(CorpusCase c)
    {
        var row = JsonRows(ContextWalkFile).Single(r => r.Case == c).Row;
        var root = Directory.CreateTempSubdirectory("berth-walk-").FullName;
        try
        {
            foreach (var item in row.GetProperty("tree").EnumerateArray().Select(e => e.GetString()!))
            {
                var space = item.LastIndexOf(' ');
                var (path, kind) = (item[..space], item[(space + 1)..]);
                var full = Path.Combine(root, path);
                if (kind == "dir") Directory.CreateDirectory(full);
                else File.WriteAllBytes(full, []);
            }
            var excludes = row.GetProperty("exclude").EnumerateArray().Select(e => e.GetString()!).ToList();
            BuildContextFilter filter;
            try
            {
                filter = new BuildContextFilter(excludes);
            }
            catch (IgnorePatternException e)
            {
                return row.TryGetProperty("error", out var err) && err.GetBoolean() ? null : "unexpected pattern error: " + e.Message;
            }
            if (row.TryGetProperty("error", out var expectError) && expectError.GetBoolean()) return "expected the filter to fail";

            // The fsutil rows that need an unreadable foo/bar get it from an injected accessor.
            IContextFileSystem fs = row.TryGetProperty("requires", out _) ? new DenyingFileSystem(root, "foo/bar") : new PhysicalContextFileSystem(root);
            List<string> walked;
            try
            {
                walked = filter.Walk(fs).Select(e => (e.IsDirectory ? "dir " : "file ") + e.Path).ToList();
            }
            catch (BuildContextException e)
            {
                if (row.TryGetProperty("error_contains", out var contains))
                    return e.Message.Contains(contains.GetString()!, StringComparison.Ordinal) ? null : $"error \"{e.Message}\" lacks \"{contains.GetString()}\"";
                return "unexpected walk error: " + e.Message;
            }
            if (row.TryGetProperty("error_contains", out var missing)) return $"expected an error containing \"{missing.GetString()}\", walked [{string.Join(", ", walked)}]";
            if (row.TryGetProperty("walk", out var walk))
            {
                var want = walk.EnumerateArray().Select(e => e.GetString()!).ToList();
                if (!walked.SequenceEqual(want)) return $"walked [{string.Join(", ", walked)}], expected [{string.Join(", ", want)}]";
            }
            if (row.TryGetProperty("open_ok", out var ok))
                foreach (var p in ok.EnumerateArray().Select(e => e.GetString()!))
                    if (filter.IsExcluded(p) || !File.Exists(Path.Combine(root, p))) return $"open {p} should succeed";
            if (row.TryGetProperty("open_not_exist", out var notExist))
                foreach (var p in notExist.EnumerateArray().Select(e => e.GetString()!))
                    if (!filter.IsExcluded(p) && File.Exists(Path.Combine(root, p))) return $"open {p} should report not-exist";
            return null;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(ContextWalkCases))]
    public void Context_walk_row_sends_what_fsutil_sends(string file, int row)
        => CorpusRunner.AssertCase(new CorpusCase(file, row), () => RunContextWalk(new CorpusCase(file, row)));

    // ---- summary ----

    [Fact]
    public void Dockerignore_corpus_summary_has_no_unexpected_results()
    {
        var all = new List<string>();
        int passed = 0, known = 0;
        foreach (var (file, cases, run) in Files())
        {
            var (p, k, unexpected) = CorpusRunner.Summarise(file, cases.ToList(), run, output);
            passed += p;
            known += k;
            all.AddRange(unexpected);
        }
        output.WriteLine($"dockerignore total: {passed} passed, {known} known failures, {all.Count} unexpected");
        Assert.True(all.Count == 0, string.Join("\n", all));
    }

    private static IEnumerable<(string, IEnumerable<CorpusCase>, Func<CorpusCase, string?>)> Files()
    {
        yield return (MatchesFile, TsvRows(MatchesFile).Select(r => r.Case), RunMatches);
        yield return (NewPatternsFile, JsonRows(NewPatternsFile).Select(r => r.Case), RunNewPatterns);
        yield return (CompileFile, TsvRows(CompileFile).Select(r => r.Case), RunCompile);
        yield return (IgnoreFileInput, [new CorpusCase(IgnoreFileInput, 1)], _ => RunIgnoreFile());
        yield return (ContextWalkFile, JsonRows(ContextWalkFile).Select(r => r.Case), RunContextWalk);
    }

    private static TheoryData<string, int> ToData(IEnumerable<CorpusCase> cases)
    {
        var data = new TheoryData<string, int>();
        foreach (var c in cases) data.Add(c.File, c.Row);
        return data;
    }
}
