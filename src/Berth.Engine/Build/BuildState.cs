using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;

namespace Berth.Engine.Build;

/// <summary>
/// The image a build has made so far in one stage: its config (with history and diff IDs), its layers, the cache key that
/// names it, and the local image it started from (the final image's parent).
/// </summary>
public sealed record BuildState(ImageConfig Config, IReadOnlyList<LayerRecord> Layers, string Key, Digest? BaseImage)
{
    public ContainerConfig Run => Config.Config ?? new ContainerConfig();

    /// <summary>The serialised config, kept with the config object it was made from (a state changed with <c>with</c> serialises anew).</summary>
    (ImageConfig Of, byte[] Json)? _json;

    /// <summary>The config JSON: the bytes the cache stored for a cached state, else serialised once.</summary>
    public byte[] ConfigJson()
    {
        if (_json is { } known && ReferenceEquals(known.Of, Config)) return known.Json;
        var json = ImageJson.Write(Config, ImageJsonContext.Default.ImageConfig);
        _json = (Config, json);
        return json;
    }

    /// <summary>This state, with <paramref name="json"/> as the bytes of its config (they were parsed into <see cref="Config"/>).</summary>
    public BuildState WithConfigJson(byte[] json)
    {
        _json = (Config, json);
        return this;
    }

    /// <summary>What Docker prints as the step's image ID: the digest of this state's config.</summary>
    public Digest Id => Build.SmallSha256.Of(ConfigJson());

    /// <summary>A new state with one more history entry and, when the step made one, one more layer.</summary>
    public BuildState Append(ContainerConfig run, string createdBy, string created, LayerRecord? layer) => this with
    {
        Config = Config with
        {
            Config = run,
            Created = created,
            History = [.. Config.History ?? [], new HistoryEntry { Created = created, CreatedBy = createdBy, EmptyLayer = layer is null ? true : null }],
            RootFs = layer is null ? Config.RootFs : Config.RootFs with { DiffIds = [.. Config.RootFs.DiffIds, layer.DiffId.ToString()] },
        },
        Layers = layer is null ? Layers : [.. Layers, layer],
    };
}
