using Berth.Engine.Images;
using Berth.Engine.Runtime;

namespace Berth.Engine.Build;

/// <summary>Everything `berth build` was asked to do.</summary>
public sealed record BuildOptions
{
    /// <summary>Context directory read in place; null for a build without a context (Dockerfile on stdin) or a tar context.</summary>
    public string? ContextDirectory { get; init; }
    /// <summary>A tar (possibly compressed) holding the context, e.g. stdin; unpacked into the store's tmp dir for the build.</summary>
    public Stream? ContextTar { get; init; }
    /// <summary>Dockerfile path (relative to the context or absolute); default <c>Dockerfile</c> in the context.</summary>
    public string? DockerfilePath { get; init; }
    /// <summary>The Dockerfile text itself (<c>-f -</c> or a Dockerfile on stdin); wins over <see cref="DockerfilePath"/>.</summary>
    public string? DockerfileText { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();
    public string? Target { get; init; }
    public bool NoCache { get; init; }
    /// <summary><c>--label k=v</c>: set on the final image.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Network of RUN steps: host (default) or none.</summary>
    public NetworkMode Network { get; init; } = NetworkMode.Host;
    public Platform? Platform { get; init; }
    /// <summary>Clamp layer mtimes and set every created time to this (SOURCE_DATE_EPOCH), for reproducible image IDs.</summary>
    public long? SourceDateEpoch { get; init; }
    /// <summary>Report, for each step, whether the cache hit and, if not, which input changed.</summary>
    public bool ExplainCache { get; init; }
    /// <summary><c>--check</c>: run the lint checks instead of building (wired by the checks feature).</summary>
    public bool Check { get; init; }
    /// <summary>OCI runtime for RUN steps.</summary>
    public string Runtime { get; init; } = "runc";
    /// <summary><c>--secret</c>: secrets by id, for <c>RUN --mount=type=secret</c> (never part of the image or the cache key).</summary>
    public IReadOnlyDictionary<string, BuildSecret> Secrets { get; init; } = new Dictionary<string, BuildSecret>();
    /// <summary><c>--ssh</c>: SSH agent sockets by id (<c>default</c> unless named), for <c>RUN --mount=type=ssh</c>.</summary>
    public IReadOnlyDictionary<string, string> SshAgents { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a build produced.</summary>
public sealed record BuildResult(Content.Digest ImageId, IReadOnlyList<string> Tags, IReadOnlyList<string> Warnings);

/// <summary>A build secret: the contents of a file, or the value of an environment variable of the `berth build` process.</summary>
public sealed record BuildSecret(string? File, string? EnvironmentVariable)
{
    /// <summary>Parses Docker's <c>--secret</c> value: <c>id=ID[,src=PATH|,env=VAR][,type=file|env]</c>; a bare <c>id=ID</c> reads variable ID.</summary>
    public static (string Id, BuildSecret Secret) Parse(string value)
    {
        string? id = null, file = null, env = null, type = null;
        foreach (var field in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = field.IndexOf('=');
            string key = (eq < 0 ? field : field[..eq]).Trim().ToLowerInvariant();
            string v = eq < 0 ? "" : field[(eq + 1)..];
            switch (key)
            {
                case "id": id = v; break;
                case "src" or "source": file = v; break;
                case "env": env = v; break;
                case "type": type = v; break;
                default: throw new InvalidInputException($"invalid --secret {value}: unexpected key '{key}'");
            }
        }
        if (string.IsNullOrEmpty(id)) throw new InvalidInputException($"invalid --secret {value}: id= is required");
        if (type == "env") return (id, new BuildSecret(null, env ?? file ?? id));
        if (type is not (null or "file")) throw new InvalidInputException($"invalid --secret {value}: unsupported type {type}");
        if (file is not null) return (id, new BuildSecret(file, null));
        return (id, new BuildSecret(null, env ?? id));
    }

    public byte[] Read(string id)
    {
        if (File is { } path)
        {
            try { return System.IO.File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidInputException($"secret {id}: cannot read {path}: {e.Message}");
            }
        }
        return System.Text.Encoding.UTF8.GetBytes(Environment.GetEnvironmentVariable(EnvironmentVariable!)
            ?? throw new InvalidInputException($"secret {id}: environment variable {EnvironmentVariable} is not set"));
    }
}
