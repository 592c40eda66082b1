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
}

/// <summary>What a build produced.</summary>
public sealed record BuildResult(Content.Digest ImageId, IReadOnlyList<string> Tags, IReadOnlyList<string> Warnings);
