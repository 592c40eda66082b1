using System.Text;
using System.Text.Json;

namespace Berth.Tests.Conformance;

/// <summary>Finds the shared conformance corpus and the list of cases we knowingly fail.</summary>
public static class ParserConformanceCorpus
{
    private static readonly Lazy<string?> RootLazy = new(Locate);
    private static readonly Lazy<IReadOnlyDictionary<string, string>> KnownLazy = new(LoadKnownFailures);

    /// <summary>The corpus folder, or null when it cannot be found (tests then fail with <see cref="MissingMessage"/>).</summary>
    public static string? Root => RootLazy.Value;

    public static string MissingMessage =>
        $"Conformance corpus not found: looked for 'shared/conformance' in every parent of {AppContext.BaseDirectory} " +
        "(expected at <repo>/../shared/conformance) and in $BERTH_CONFORMANCE_DIR.";

    public static string RequireRoot() => Root ?? throw new InvalidOperationException(MissingMessage);

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("BERTH_CONFORMANCE_DIR");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "conformance");
            if (Directory.Exists(Path.Combine(candidate, "dockerfile-parser"))) return candidate;
        }
        return null;
    }

    /// <summary><c>&lt;folder&gt;/&lt;case&gt;</c> → reason, from known-failures.txt next to this file (copied at build time or read from source).</summary>
    public static IReadOnlyDictionary<string, string> KnownFailures => KnownLazy.Value;

    private static IReadOnlyDictionary<string, string> LoadKnownFailures()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = FindKnownFailuresFile();
        if (path is null) return result;
        foreach (var rawLine in File.ReadAllLines(path))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0) throw new InvalidOperationException($"known-failures.txt: line without ': reason': {line}");
            result.Add(line[..colon], line[(colon + 2)..]);
        }
        return result;
    }

    // The list lives in the source tree (tests/Berth.Tests/Conformance); walk up from the test assembly to find it.
    private static string? FindKnownFailuresFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Berth.Tests", "Conformance", "known-failures.txt");
            if (File.Exists(candidate)) return candidate;
            candidate = Path.Combine(dir.FullName, "Conformance", "known-failures.txt");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Berth.Tests.csproj"))) return candidate;
        }
        return null;
    }

    public static byte[] ReadBytes(params string[] parts) => File.ReadAllBytes(Path.Combine([RequireRoot(), .. parts]));

    public static string ReadText(params string[] parts) => new UTF8Encoding(false).GetString(ReadBytes(parts));

    /// <summary>Non-empty lines of a JSONL file with their 1-based line numbers.</summary>
    public static IEnumerable<(int Line, JsonElement Row)> JsonLines(params string[] parts)
    {
        var lines = ReadText(parts).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            using var doc = JsonDocument.Parse(lines[i]);
            yield return (i + 1, doc.RootElement.Clone());
        }
    }

    /// <summary>Data lines of a TSV file (not starting with '#') with their 1-based line numbers; fields split on TAB only.</summary>
    public static IEnumerable<(int Line, string[] Fields)> TsvLines(params string[] parts)
    {
        var lines = ReadText(parts).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || line.StartsWith('#')) continue;
            yield return (i + 1, line.Split('\t'));
        }
    }
}
