namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    // Volumes arrive with the VolumeService; until then image VOLUMEs stay in the container's own layer.
    ContainerMount AnonymousVolume(string destination) => new("volume", "", destination, true, Anonymous: true);

    ContainerMount NamedVolume(string name, string destination, bool readWrite, string options) =>
        throw new InvalidInputException($"named volumes are not available yet: {name}:{destination}");

    Task SeedVolumesAsync(string id, ContainerSettings settings, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Host directory backing a volume mount, or null when the mount has no backing yet.</summary>
    string? VolumeSource(ContainerMount mount) => mount.Source.Length > 0 ? mount.Source : null;

    void RemoveAnonymousVolumes(ContainerRecord container) { }
}
