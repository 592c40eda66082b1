using System.Text;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.Store;

namespace Berth.Engine.Build;

/// <summary>
/// The inputs of one step that decide whether a cached result may be reused: the expanded instruction (without build-arg
/// values), the build args it uses (<c>K=V</c> lines), and for COPY/ADD the sources (<c>path&#9;digest</c> lines).
/// </summary>
public sealed record StepInputs(string Instruction, string Args = "", IReadOnlyList<string>? SourceLines = null)
{
    public IReadOnlyList<string> Sources => SourceLines ?? [];

    /// <summary>Digest of everything that decides the step's result on top of <paramref name="parentKey"/>.</summary>
    public string KeyOn(string parentKey, string platform)
    {
        var text = new StringBuilder().Append("berth-build-cache-v1\n").Append(parentKey).Append('\n').Append(platform).Append('\n')
            .Append(Instruction).Append('\n').Append(Args).Append('\n');
        foreach (var line in Sources) text.Append(line).Append('\n');
        return SmallSha256.Of(text.ToString()).ToString();
    }
}

/// <summary>The build cache over the store's metadata: looks steps up, records them, and explains misses.</summary>
/// <remarks>Every state it hands out or records is pinned in the build's <see cref="BuildLease"/>, so no prune frees it mid-build.</remarks>
public sealed class StepCache(BerthStore store, BuildLease lease)
{
    /// <summary>Source lists longer than this are stored only as part of the key (explanations then say "source files changed").</summary>
    const int MaxStoredSources = 5000;

    /// <summary>A hit refreshes the row's last-used time only when it is older than this, so a rebuild that changes nothing writes nothing.</summary>
    static readonly TimeSpan LastUsedGranularity = TimeSpan.FromMinutes(10);

    readonly object _gate = new();
    readonly List<string> _stale = [];

    /// <summary>The cached state for <paramref name="key"/>, pinned in the build's lease; null when missing or when its layers are gone.</summary>
    /// <remarks>
    /// The row and its layer chain are read in one query without any lock (a miss costs nothing more); the pin is then taken
    /// under the reference lock, which checks again that every layer's row and files are there: a prune either finished
    /// before (a miss) or waits until the layers are pinned.
    /// </remarks>
    public BuildState? Find(string key, Digest? baseImage)
    {
        var found = store.Metadata.FindCachedStep(key);
        if (found is null) return null;
        var config = ImageJson.ReadConfig(found.Record.Config, "cached build step");
        if (found.WholeLayers(config.RootFs.DiffIds) is not { } layers) return null;
        using (store.ReferenceLock())
            if (!lease.TryPinLocked(layers)) return null;
        if (DateTimeOffset.UtcNow - found.LastUsed > LastUsedGranularity)
            lock (_gate) _stale.Add(key);
        return new BuildState(config, layers, key, baseImage).WithConfigJson(found.Record.Config);
    }

    /// <summary>Refreshes the last-used time of the steps this build took from the cache (those not refreshed recently), in one write.</summary>
    public void SaveUsage()
    {
        string[] keys;
        lock (_gate)
        {
            keys = [.. _stale];
            _stale.Clear();
        }
        store.Metadata.TouchBuildCache(keys);
    }

    public void Record(string parentKey, StepInputs inputs, BuildState state, long layerSize)
    {
        // Called under the reference lock, so no prune runs now. A layer without a row whose files are gone was freed by a
        // prune that ran after this build took it from the cache: recording it would bring back a row with nothing behind it.
        foreach (var layer in state.Layers)
            if (!store.Metadata.HasLayer(layer.ChainId) && !(store.Snapshots.HasLayer(layer.ChainId) && store.Content.Exists(layer.DiffId)))
                throw new BuildException($"layer {layer.ChainId} of this build was removed by a concurrent prune; run the build again");
        var sources = inputs.Sources.Count <= MaxStoredSources ? string.Join('\n', inputs.Sources) : "";
        var replaced = store.Metadata.AddBuildCache(new BuildCacheRecord(state.Key, parentKey, inputs.Instruction, inputs.Args, sources, state.ConfigJson(),
            state.Layers.Count == 0 ? null : state.Layers[^1].ChainId, layerSize) { ImageId = state.Id }, state.Layers);
        lease.TryPinLocked(state.Layers); // the rows were just written and the files checked above
        // A --no-cache rebuild replaced the row's layer: the one it held may now be referenced by nothing. Pinned, it is a
        // candidate when the lease ends, which frees it then unless something else uses it.
        if (replaced is { } old) lease.PinChainLocked(old);
    }

    /// <summary>Why <paramref name="inputs"/> on <paramref name="parentKey"/> missed: which input differs from the closest cached step.</summary>
    public string ExplainMiss(string parentKey, StepInputs inputs, bool parentWasRebuilt)
    {
        var siblings = store.Metadata.BuildCacheChildren(parentKey);
        if (siblings.Count == 0)
        {
            if (parentWasRebuilt) return "parent changed: an earlier step was rebuilt";
            var elsewhere = store.Metadata.BuildCacheByInstruction(inputs.Instruction);
            return elsewhere.Count > 0 ? "parent changed: this step was cached on a different base image or earlier state" : "new step: never built before";
        }
        var same = siblings.FirstOrDefault(s => s.Instruction == inputs.Instruction);
        if (same is null)
        {
            string keyword = inputs.Instruction.Split(' ', 2)[0];
            var closest = siblings.FirstOrDefault(s => s.Instruction.Split(' ', 2)[0] == keyword) ?? siblings[0];
            return $"instruction changed: was \"{closest.Instruction}\"";
        }
        if (same.Args != inputs.Args)
        {
            var before = ParseLines(same.Args, '=');
            var now = ParseLines(inputs.Args, '=');
            var changed = before.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
                .Where(k => before.GetValueOrDefault(k) != now.GetValueOrDefault(k))
                .Select(k => $"build arg {k} changed ({Show(before.GetValueOrDefault(k))} -> {Show(now.GetValueOrDefault(k))})");
            return string.Join("; ", changed);
        }
        if (same.Sources.Length == 0 && inputs.Sources.Count > 0) return "source files changed";
        var was = ParseLines(same.Sources, '\t');
        var isNow = ParseLines(string.Join('\n', inputs.Sources), '\t');
        var reasons = new List<string>();
        foreach (var (path, digest) in isNow)
        {
            if (!was.TryGetValue(path, out var old)) reasons.Add($"new source file {path}");
            else if (old != digest) reasons.Add($"source file {path} changed");
        }
        foreach (var path in was.Keys) if (!isNow.ContainsKey(path)) reasons.Add($"source file {path} removed");
        if (reasons.Count == 0) return "cached result is no longer in the store";
        return reasons.Count > 5 ? string.Join("; ", reasons.Take(5)) + $"; and {reasons.Count - 5} more" : string.Join("; ", reasons);
    }

    static string Show(string? value) => value is null ? "unset" : "\"" + value + "\"";

    static Dictionary<string, string> ParseLines(string text, char separator)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int at = separator == '\t' ? line.LastIndexOf(separator) : line.IndexOf(separator);
            if (at < 0) result[line] = "";
            else result[line[..at]] = line[(at + 1)..];
        }
        return result;
    }
}
