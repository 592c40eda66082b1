using System.Text;

namespace Berth.Engine.Dockerfile.Ignore;

/// <summary>Reads a <c>.dockerignore</c> file into patterns (moby/patternmatcher's <c>ignorefile.ReadAll</c>).</summary>
public static class DockerignoreReader
{
    /// <summary>
    /// Splits <paramref name="content"/> into patterns: BOM stripped, lines starting with <c>#</c> skipped (before trimming),
    /// blanks skipped, <c>!</c> kept, each path cleaned like Go's <c>filepath.Clean</c> and one leading <c>/</c> removed.
    /// </summary>
    public static IReadOnlyList<string> Read(string content)
    {
        var patterns = new List<string>();
        if (content.Length > 0 && content[0] == '\uFEFF') content = content[1..];
        var lines = content.Split('\n');
        var count = content.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            var line = lines[i];
            if (line.EndsWith('\r')) line = line[..^1];
            if (line.StartsWith('#')) continue;
            var pattern = line.Trim();
            if (pattern.Length == 0) continue;
            var invert = pattern[0] == '!';
            if (invert) pattern = pattern[1..].Trim();
            if (pattern.Length > 0)
            {
                pattern = GoPath.Clean(pattern);
                if (pattern.Length > 1 && pattern[0] == '/') pattern = pattern[1..];
            }
            patterns.Add(invert ? "!" + pattern : pattern);
        }
        return patterns;
    }

    /// <summary>Reads the file at <paramref name="path"/>; a missing file gives no patterns.</summary>
    public static async Task<IReadOnlyList<string>> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) return [];
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return Read(Encoding.UTF8.GetString(bytes));
    }
}
