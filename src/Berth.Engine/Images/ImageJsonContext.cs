using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Engine.Images;

/// <summary>Source-generated System.Text.Json metadata for the image format records.</summary>
/// <remarks>Case-insensitive reading matches Go's encoding/json, which other tools' configs rely on.</remarks>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(Descriptor))]
[JsonSerializable(typeof(Platform))]
[JsonSerializable(typeof(ContainerConfig))]
[JsonSerializable(typeof(HistoryEntry))]
[JsonSerializable(typeof(IReadOnlyList<DockerArchiveManifestEntry>))]
[JsonSerializable(typeof(OciLayout))]
public sealed partial class ImageJsonContext : JsonSerializerContext;

/// <summary>One entry of a docker-archive's manifest.json.</summary>
public sealed record DockerArchiveManifestEntry
{
    public required string Config { get; init; }
    public IReadOnlyList<string>? RepoTags { get; init; }
    public required IReadOnlyList<string> Layers { get; init; }
    public IReadOnlyDictionary<string, Descriptor>? LayerSources { get; init; }
}

/// <summary>The `oci-layout` marker file of an OCI image layout.</summary>
public sealed record OciLayout
{
    [JsonPropertyName("imageLayoutVersion")] public string ImageLayoutVersion { get; init; } = "1.0.0";
}
