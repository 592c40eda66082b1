using System.Text.Json.Serialization;
using Berth.Engine.Content;

namespace Berth.Engine.Images;

/// <summary>An OCI content descriptor: what a manifest or index says about one blob.</summary>
public sealed record Descriptor
{
    [JsonPropertyName("mediaType")] public required string MediaType { get; init; }
    [JsonPropertyName("digest")] public required string Digest { get; init; }
    [JsonPropertyName("size")] public required long Size { get; init; }
    [JsonPropertyName("urls")] public IReadOnlyList<string>? Urls { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    [JsonPropertyName("platform")] public Platform? Platform { get; init; }
    [JsonPropertyName("artifactType")] public string? ArtifactType { get; init; }

    [JsonIgnore] public Digest ParsedDigest => Content.Digest.Parse(Digest);
}

/// <summary>The platform an image or index entry is for (os/architecture/variant).</summary>
public sealed record Platform
{
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    [JsonPropertyName("os")] public required string Os { get; init; }
    [JsonPropertyName("os.version")] public string? OsVersion { get; init; }
    [JsonPropertyName("os.features")] public IReadOnlyList<string>? OsFeatures { get; init; }
    [JsonPropertyName("variant")] public string? Variant { get; init; }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>Parses `os/arch[/variant]` as given to --platform.</summary>
    public static Platform Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(string.IsNullOrWhiteSpace))
            throw new InvalidInputException($"invalid platform \"{text}\": expected os/arch[/variant], e.g. linux/amd64");
        return new Platform { Os = parts[0].ToLowerInvariant(), Architecture = NormaliseArchitecture(parts[1].ToLowerInvariant()), Variant = parts.Length == 3 ? parts[2] : null };
    }

    /// <summary>The platform of this machine, as Go names it.</summary>
    public static Platform Host => new() { Os = "linux", Architecture = NormaliseArchitecture(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()) };

    static string NormaliseArchitecture(string arch) => arch switch
    {
        "x64" or "x86_64" or "x86-64" => "amd64",
        "arm64" or "aarch64" => "arm64",
        "x86" or "i386" => "386",
        _ => arch,
    };
}

/// <summary>An image manifest (OCI v1 or Docker v2 schema 2: the same shape).</summary>
public sealed record Manifest
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; } = 2;
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("artifactType")] public string? ArtifactType { get; init; }
    [JsonPropertyName("config")] public required Descriptor Config { get; init; }
    [JsonPropertyName("layers")] public required IReadOnlyList<Descriptor> Layers { get; init; }
    [JsonPropertyName("subject")] public Descriptor? Subject { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}

/// <summary>An image index / Docker manifest list: one manifest per platform.</summary>
public sealed record ImageIndex
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; } = 2;
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("manifests")] public required IReadOnlyList<Descriptor> Manifests { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
