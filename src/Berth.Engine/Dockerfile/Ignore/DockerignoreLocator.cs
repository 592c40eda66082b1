namespace Berth.Engine.Dockerfile.Ignore;

/// <summary>The ignore file that applies to a build and the patterns read from it.</summary>
public sealed record DockerignoreSource(string? FilePath, IReadOnlyList<string> Patterns);

/// <summary>Finds the ignore file for a build: <c>&lt;Dockerfile&gt;.dockerignore</c> next to the Dockerfile wins over <c>&lt;context&gt;/.dockerignore</c>.</summary>
public static class DockerignoreLocator
{
    /// <summary>The path of the ignore file that applies, or null when there is none.</summary>
    public static string? Find(string contextDirectory, string? dockerfilePath)
    {
        if (!string.IsNullOrEmpty(dockerfilePath))
        {
            var full = Path.IsPathRooted(dockerfilePath) ? dockerfilePath : Path.Combine(contextDirectory, dockerfilePath);
            var specific = full + ".dockerignore";
            if (File.Exists(specific)) return specific;
        }
        var general = Path.Combine(contextDirectory, ".dockerignore");
        return File.Exists(general) ? general : null;
    }

    /// <summary>Finds and reads the ignore file; no file gives no patterns.</summary>
    public static async Task<DockerignoreSource> LoadAsync(string contextDirectory, string? dockerfilePath, CancellationToken cancellationToken = default)
    {
        var path = Find(contextDirectory, dockerfilePath);
        if (path is null) return new DockerignoreSource(null, []);
        return new DockerignoreSource(path, await DockerignoreReader.ReadFileAsync(path, cancellationToken).ConfigureAwait(false));
    }
}
