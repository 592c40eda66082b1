using Berth.Engine.Content;

namespace Berth.Engine.Metadata;

/// <summary>
/// One build cache row: the inputs of a step (what <c>--explain-cache</c> compares) and the state it produced.
/// </summary>
/// <param name="Instruction">The expanded instruction text without build-arg values.</param>
/// <param name="Args">Build args the step used, <c>K=V</c> lines sorted by name.</param>
/// <param name="Sources">For COPY/ADD: <c>path digest</c> lines of the source files (empty when too many to list).</param>
/// <param name="Config">The image config JSON of the state after the step.</param>
/// <param name="ChainId">Top layer of that state, null for a state without layers.</param>
/// <param name="Size">Size of the layer this step added (0 when it added none).</param>
public sealed record BuildCacheRecord(string Key, string ParentKey, string Instruction, string Args, string Sources, byte[] Config, Digest? ChainId, long Size)
{
    /// <summary>The state's image ID (sha256 of <see cref="Config"/>) as the build printed it; set when recording.</summary>
    public Digest? ImageId { get; init; }
}

/// <summary>A cache row found for a step, with the layers of its state (top first) and when it was last used.</summary>
public sealed record CachedStep(BuildCacheRecord Record, IReadOnlyList<LayerRecord> LayersTopFirst, DateTimeOffset LastUsed)
{
    /// <summary>
    /// The state's layers base first, when the whole chain from the row's top layer down still has its rows and their diff
    /// IDs are the config's <paramref name="diffIds"/>; null when a layer row is gone or they do not match.
    /// </summary>
    public List<LayerRecord>? WholeLayers(IReadOnlyList<string> diffIds)
    {
        var layers = new List<LayerRecord>(LayersTopFirst.Count);
        var expected = Record.ChainId;
        foreach (var layer in LayersTopFirst)
        {
            if (layer.ChainId != expected) return null;
            layers.Add(layer);
            expected = layer.Parent;
        }
        if (expected is not null) return null; // a layer row of the chain is gone
        layers.Reverse();
        if (diffIds.Count != layers.Count) return null;
        for (int i = 0; i < layers.Count; i++)
            if (diffIds[i] != layers[i].DiffId.ToString()) return null;
        return layers;
    }
}

/// <summary>What a build cache prune removes: the cache keys (most recently used first) and the layers only they kept.</summary>
public sealed record BuildCachePrunePlan(IReadOnlyList<string> Keys, IReadOnlyList<LayerRecord> FreedLayers);
