using System.Text;
using Xunit.Abstractions;

namespace Berth.Tests.Conformance;

/// <summary>Finds the shared conformance corpus and the expansion/ignore known-failures list.</summary>
public static class ExpansionIgnoreCorpus
{
    private static readonly Lazy<string> Root = new(ParserConformanceCorpus.RequireRoot);
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Known = new(LoadKnownFailures);

    /// <summary>The absolute path of <c>shared/conformance</c>; throws when it cannot be found (never skips).</summary>
    public static string Directory => Root.Value;

    /// <summary>Path of a corpus file, e.g. <c>shell-expansion/envVarTest</c>.</summary>
    public static string PathOf(string relative) => Path.Combine(Directory, relative);

    /// <summary>Corpus file content decoded as UTF-8 without any normalisation (a BOM is kept).</summary>
    public static string ReadText(string relative) => new UTF8Encoding(false, true).GetString(File.ReadAllBytes(PathOf(relative)));

    /// <summary>Lines split on LF only, exactly as stored (a CR stays part of its line).</summary>
    public static string[] ReadLines(string relative)
    {
        var text = ReadText(relative);
        var lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    /// <summary><c>&lt;file&gt;:&lt;row id&gt;</c> → reason, from <c>known-failures-expansion-ignore.txt</c>.</summary>
    public static IReadOnlyDictionary<string, string> KnownFailures => Known.Value;

    private static IReadOnlyDictionary<string, string> LoadKnownFailures()
    {
        var path = KnownFailuresPath();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            // "<file>:<row id>: reason"
            var first = line.IndexOf(':');
            var second = first < 0 ? -1 : line.IndexOf(':', first + 1);
            if (second < 0) throw new InvalidOperationException($"malformed known-failures line: {line}");
            var key = line[..second];
            if (!result.TryAdd(key, line[(second + 1)..].Trim()))
                throw new InvalidOperationException($"known failure listed twice: {key}");
        }
        return result;
    }

    /// <summary>The known-failures file, searched from the test assembly up to the source tree.</summary>
    public static string KnownFailuresPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Berth.Tests", "Conformance", "known-failures-expansion-ignore.txt");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("known-failures-expansion-ignore.txt not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One corpus case: the file it comes from and its row id (1-based line number).</summary>
public sealed record CorpusCase(string File, int Row)
{
    public string Key => $"{File}:{Row}";
    public override string ToString() => Key;
}

/// <summary>Runs a set of corpus cases against known failures and reports per-file counts.</summary>
public static class CorpusRunner
{
    /// <summary>Asserts one case: it passes, or it is a listed known failure and still fails.</summary>
    public static void AssertCase(CorpusCase c, Func<string?> run)
    {
        var failure = Capture(run);
        if (ExpansionIgnoreCorpus.KnownFailures.TryGetValue(c.Key, out var reason))
        {
            Assert.True(failure is not null, $"{c.Key} is listed as a known failure ({reason}) but now passes; remove it from the list");
            return;
        }
        Assert.True(failure is null, $"{c.Key}: {failure}");
    }

    /// <summary>Runs every case of one file, writes "file: passed/total" and returns the failures that are not listed.</summary>
    public static (int Passed, int KnownFailing, List<string> Unexpected) Summarise(string file, IEnumerable<CorpusCase> cases, Func<CorpusCase, string?> run, ITestOutputHelper output)
    {
        int passed = 0, known = 0, total = 0;
        var unexpected = new List<string>();
        foreach (var c in cases)
        {
            total++;
            var failure = Capture(() => run(c));
            var listed = ExpansionIgnoreCorpus.KnownFailures.ContainsKey(c.Key);
            if (failure is null)
            {
                passed++;
                if (listed) unexpected.Add($"{c.Key}: listed as known failure but passes");
            }
            else if (listed) known++;
            else unexpected.Add($"{c.Key}: {failure}");
        }
        output.WriteLine($"{file}: {passed}/{total} passed, {known} known failures, {unexpected.Count} unexpected");
        return (passed, known, unexpected);
    }

    private static string? Capture(Func<string?> run)
    {
        try
        {
            return run();
        }
        catch (Exception e)
        {
            return "threw " + e.GetType().Name + ": " + e.Message;
        }
    }
}
