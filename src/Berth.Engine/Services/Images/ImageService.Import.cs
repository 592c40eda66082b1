using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Images;

/// <summary>Options of `import`: the source's description, `--change` lines, `-m`, `--platform`.</summary>
public sealed record ImportOptions(string SourceDescription, IReadOnlyList<string> Changes, string? Message, Platform? Platform, string? Reference);

public sealed partial class ImageService
{
    static ContainerConfig ApplyChanges(ContainerConfig config, IReadOnlyList<string> changes) => Berth.Engine.Build.ImageConfigEditor.ApplyChanges(config, changes);

    /// <summary>`import`: a (possibly compressed) tar of a root file system becomes a one-layer image.</summary>
    public async Task<Digest> ImportAsync(Stream source, ImportOptions options, CancellationToken cancellationToken = default)
    {
        var tag = options.Reference is null ? null : ImageNameParser.Parse(options.Reference);
        if (tag?.Digest is not null) throw new InvalidInputException($"import: a tag cannot have a digest: {options.Reference}");
        var containerConfig = ApplyChanges(new ContainerConfig(), options.Changes);
        // Held from unpacking until the image row exists, so a concurrent rmi cannot free a layer this import reuses.
        var referencing = store.ReferenceLock();
        LayerRecord? layer = null;
        try
        {
            layer = await Layers.AddAsync(source, null, new LayerSource(options.SourceDescription), cancellationToken).ConfigureAwait(false);
            return await CreateImportedImageAsync(layer, containerConfig, tag, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            referencing.Dispose();
            if (layer is not null) Layers.DiscardUnreferenced([layer]);
            throw;
        }
        finally
        {
            referencing.Dispose();
        }
    }

    Task<Digest> CreateImportedImageAsync(LayerRecord layer, ContainerConfig containerConfig, ImageName? tag, ImportOptions options, CancellationToken cancellationToken)
    {
        string created = ImageJson.FormatTime(DateTimeOffset.UtcNow);
        var platform = options.Platform ?? Platform.Host;
        string comment = string.IsNullOrEmpty(options.Message) ? "Imported from " + options.SourceDescription : options.Message;
        var config = new ImageConfig
        {
            Architecture = platform.Architecture,
            Os = platform.Os,
            Variant = platform.Variant,
            Comment = comment,
            Config = containerConfig,
            Created = created,
            History = [new HistoryEntry { Created = created, Comment = comment }],
            RootFs = new RootFs { DiffIds = [layer.DiffId.ToString()] },
        };
        byte[] json = ImageJson.Write(config, ImageJsonContext.Default.ImageConfig);
        return CreateImageAsync(json, [layer], null, tag is null ? [] : [tag], cancellationToken);
    }
}
