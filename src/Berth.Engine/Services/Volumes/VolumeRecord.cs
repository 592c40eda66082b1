namespace Berth.Engine.Services.Volumes;

/// <summary>A volume: a directory under the store's volumes/ folder, with Docker's metadata.</summary>
/// <remarks><see cref="Labels"/> includes <c>com.docker.volume.anonymous</c> for anonymous volumes, as Docker 23+ records it.</remarks>
public sealed record VolumeRecord(
    string Name, string Driver, string Mountpoint, DateTimeOffset CreatedAt,
    IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Options, bool Anonymous);
