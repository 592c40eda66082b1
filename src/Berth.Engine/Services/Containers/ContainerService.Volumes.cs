using System.Diagnostics;
using Berth.Engine.Services.Volumes;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    /// <summary>A volume made for this container at create (image VOLUME, or `-v /path`); removed with `rm -v` and --rm.</summary>
    ContainerMount AnonymousVolume(string destination) => new("volume", "", destination, true, Anonymous: true);

    /// <summary>`-v NAME:/path`: the volume is created on demand at create.</summary>
    static ContainerMount NamedVolume(string name, string destination, bool readWrite, string options) =>
        new("volume", "", destination, readWrite, Name: name, Options: options);

    /// <summary>Creates the volumes a new container's mounts name (inside the volumes lock, with the row insert) and fills in their paths.</summary>
    IReadOnlyList<ContainerMount> CreateVolumes(IReadOnlyList<ContainerMount> mounts)
    {
        var result = new List<ContainerMount>();
        foreach (var m in mounts)
        {
            if (m.Type != "volume") { result.Add(m); continue; }
            var volume = m.Name is { } name ? _volumes.GetOrCreate(name, out _) : _volumes.Create(null, anonymous: true);
            result.Add(m with { Name = volume.Name, Source = volume.Mountpoint });
        }
        return result;
    }

    /// <summary>
    /// Docker's copy-up: a volume that is still empty gets the image's content at its mount path (owners, modes, links),
    /// unless the mount says nocopy.
    /// </summary>
    async Task SeedVolumesAsync(string id, ContainerSettings settings, CancellationToken cancellationToken)
    {
        var toSeed = settings.Mounts.Where(m => m.Type == "volume" && m.Source.Length > 0 && !m.Options.Split(',').Contains("nocopy")
            && Directory.Exists(m.Source) && !Directory.EnumerateFileSystemEntries(m.Source).Any()).ToList();
        if (toSeed.Count == 0) return;
        using var rootfs = MountRootfs(id);
        foreach (var m in toSeed)
        {
            string source = Berth.Engine.Containers.RootfsPath.Resolve(rootfs.Path, m.Destination);
            if (!Directory.Exists(source) || !Directory.EnumerateFileSystemEntries(source).Any()) continue;
            var psi = new ProcessStartInfo("cp") { RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-a", "--", source + "/.", m.Source + "/" }) psi.ArgumentList.Add(a);
            using var cp = Process.Start(psi)!;
            string errors = await cp.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await cp.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (cp.ExitCode != 0) throw new InvalidInputException($"copying the image's {m.Destination} into volume {m.Name}: {errors.Trim()}");
        }
    }

    /// <summary>Host directory backing a volume mount, or null when the mount has no backing.</summary>
    static string? VolumeSource(ContainerMount mount) => mount.Source.Length > 0 ? mount.Source : null;

    void RemoveAnonymousVolumes(ContainerRecord container)
    {
        foreach (var m in container.Settings.Mounts.Where(m => m.Type == "volume" && m.Anonymous && m.Name is not null))
        {
            try { _volumes.Remove(m.Name!, force: true); }
            catch (BerthException) { } // another container uses it (--volumes-from) or it is gone
        }
    }
}
