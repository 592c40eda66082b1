using Berth.Engine.Content;

namespace Berth.Engine.Snapshots;

/// <summary>Chain IDs (OCI image spec): a layer's identity including every layer below it.</summary>
public static class ChainId
{
    public static Digest Next(Digest? parentChain, Digest diffId)
        => parentChain is { } p ? Digest.Of(p + " " + diffId) : diffId;

    public static IReadOnlyList<Digest> For(IEnumerable<Digest> diffIds)
    {
        var chains = new List<Digest>();
        Digest? parent = null;
        foreach (var diff in diffIds)
        {
            parent = Next(parent, diff);
            chains.Add(parent.Value);
        }
        return chains;
    }
}
