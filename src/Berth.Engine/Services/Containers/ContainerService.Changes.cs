using Berth.Engine.Containers.Changes;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Layers;
using Berth.Engine.Metadata;
using Berth.Engine.Services.Images;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Containers;

/// <summary>What `commit` asked for: the new image's reference, `-m`, `-a`, `-c` lines, and whether to pause.</summary>
public sealed record CommitRequest
{
    public string? Reference { get; init; }
    public string? Message { get; init; }
    public string? Author { get; init; }
    public IReadOnlyList<string> Changes { get; init; } = [];
    public bool Pause { get; init; } = true;
}

public sealed partial class ContainerService
{
    /// <summary>Digest of the tar with no entries (1024 zero bytes): moby's layer.DigestSHA256EmptyTar.</summary>
    const string EmptyLayerDiffId = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

    /// <summary>`diff`: what the container's layer changes in its image (A/C/D), without the runtime's mount points.</summary>
    public Task<IReadOnlyList<LayerChange>> DiffAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        var snapshot = Snapshot(Get(nameOrId));
        return ContainerDiff.ComputeAsync(snapshot.UpperDirectory, snapshot.LowerDirectories, cancellationToken);
    }

    /// <summary>`export`: the container's merged root file system (no volumes or binds) as one tar.</summary>
    public async Task ExportAsync(string nameOrId, Stream output, CancellationToken cancellationToken = default)
    {
        using var lease = MountRootfs(nameOrId);
        await ContainerExporter.ExportAsync(lease.Path, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// `commit`: the container's layer on top of its image's layers becomes a new image whose config is the container's
    /// (with `-c` changes applied and merged as Docker does), with a history entry made of the container's command,
    /// `-m` and `-a`. A running container is paused while its layer is read unless <see cref="CommitRequest.Pause"/> is off.
    /// </summary>
    public async Task<Digest> CommitAsync(string nameOrId, CommitRequest request, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (container.State.Status == ContainerStatus.Removing)
            throw new ConflictException($"You cannot commit container {container.Id} which is being removed");
        ImageName? tag = null;
        if (!string.IsNullOrEmpty(request.Reference))
        {
            tag = ImageNameParser.Parse(request.Reference);
            if (tag.Digest is not null) throw new InvalidInputException($"refusing to create a tag with a digest reference: {request.Reference}");
        }
        var config = MergeCommitConfig(Berth.Engine.Build.ImageConfigEditor.ApplyChanges(container.Settings.Config, request.Changes), container.Settings.Config);
        var parent = await _images.ReadConfigAsync(container.ImageId, cancellationToken).ConfigureAwait(false);
        var parentLayers = _store.Metadata.ImageLayers(container.ImageId);

        string layerFile = Path.Combine(_store.TempDirectory, $"commit-{container.Id[..12]}-{Guid.NewGuid():N}.tar");
        try
        {
            LayerTarResult written;
            bool paused = request.Pause && container.State.Status == ContainerStatus.Running;
            if (paused) await PauseAsync(container.Id, cancellationToken).ConfigureAwait(false);
            try
            {
                var snapshot = Snapshot(container);
                await using var output = new FileStream(layerFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                written = await ContainerCommitter.WriteLayerAsync(snapshot.UpperDirectory, snapshot.LowerDirectories, output, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (paused) await UnpauseAsync(container.Id, CancellationToken.None).ConfigureAwait(false);
            }

            bool empty = written.DiffId.ToString() == EmptyLayerDiffId;
            string created = ImageJson.FormatTime(DateTimeOffset.UtcNow);
            string? author = string.IsNullOrEmpty(request.Author) ? null : request.Author;
            string? comment = string.IsNullOrEmpty(request.Message) ? null : request.Message;
            var history = (parent.History ?? []).Append(new HistoryEntry
            {
                Created = created, Author = author, CreatedBy = string.Join(' ', container.Settings.Config.Cmd ?? []), Comment = comment,
                EmptyLayer = empty ? true : null,
            }).ToList();

            // Held from unpacking the layer until the image row exists, so a concurrent prune cannot free what it builds on.
            var referencing = _store.ReferenceLock();
            LayerRecord? layer = null;
            try
            {
                var layers = parentLayers.ToList();
                if (!empty)
                {
                    await using var input = File.OpenRead(layerFile);
                    layer = await _images.Layers.AddAsync(input, parentLayers.Count > 0 ? parentLayers[^1].ChainId : null,
                        new LayerSource($"commit of container {container.ShortId}"), cancellationToken).ConfigureAwait(false);
                    layers.Add(layer);
                }
                var image = new ImageConfig
                {
                    Architecture = parent.Architecture, Os = parent.Os, Variant = parent.Variant, OsVersion = parent.OsVersion,
                    Author = author, Comment = comment, Config = config, Container = container.Id, ContainerConfig = container.Settings.Config,
                    Created = created, History = history,
                    RootFs = new RootFs { DiffIds = layers.Select(l => l.DiffId.ToString()).ToList() },
                };
                byte[] json = ImageJson.Write(image, ImageJsonContext.Default.ImageConfig);
                return await _images.CreateImageAsync(json, layers, container.ImageId, tag is null ? [] : [tag], cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                referencing.Dispose();
                if (layer is not null) _images.Layers.DiscardUnreferenced([layer]);
                throw;
            }
            finally
            {
                referencing.Dispose();
            }
        }
        finally
        {
            File.Delete(layerFile);
        }
    }

    /// <summary>moby daemon/commit.go merge(): fields the changes left empty come from the container's config.</summary>
    static ContainerConfig MergeCommitConfig(ContainerConfig user, ContainerConfig container)
    {
        var merged = user;
        if (merged.User.Length == 0) merged = merged with { User = container.User };
        var exposed = new SortedDictionary<string, EmptyObject>(user.ExposedPorts ?? new(), StringComparer.Ordinal);
        foreach (var p in container.ExposedPorts?.Keys ?? Enumerable.Empty<string>()) exposed.TryAdd(p, new EmptyObject());
        merged = merged with { ExposedPorts = exposed.Count > 0 ? exposed : null };
        if (user.Env is not { Count: > 0 }) merged = merged with { Env = container.Env };
        else
        {
            var keys = user.Env.Select(e => e.Split('=')[0]).ToHashSet(StringComparer.Ordinal);
            merged = merged with { Env = [.. user.Env, .. (container.Env ?? []).Where(e => !keys.Contains(e.Split('=')[0]))] };
        }
        var labels = new SortedDictionary<string, string>(user.Labels ?? new(), StringComparer.Ordinal);
        foreach (var (k, v) in container.Labels ?? new()) labels.TryAdd(k, v);
        merged = merged with { Labels = labels };
        if (user.Entrypoint is not { Count: > 0 })
        {
            if (user.Cmd is not { Count: > 0 }) merged = merged with { Cmd = container.Cmd, Shell = container.Shell };
            if (user.Entrypoint is null) merged = merged with { Entrypoint = container.Entrypoint };
        }
        if (user.Healthcheck is null) merged = merged with { Healthcheck = container.Healthcheck };
        if (user.WorkingDir.Length == 0) merged = merged with { WorkingDir = container.WorkingDir };
        if (user.Volumes is not { Count: > 0 }) merged = merged with { Volumes = container.Volumes };
        else
        {
            var volumes = new SortedDictionary<string, EmptyObject>(user.Volumes, StringComparer.Ordinal);
            foreach (var v in container.Volumes?.Keys ?? Enumerable.Empty<string>()) volumes[v] = new EmptyObject();
            merged = merged with { Volumes = volumes };
        }
        if (string.IsNullOrEmpty(user.StopSignal)) merged = merged with { StopSignal = container.StopSignal };
        return merged;
    }
}
