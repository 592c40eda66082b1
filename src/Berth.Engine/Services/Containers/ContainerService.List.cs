using Berth.Engine.Content;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    /// <summary>`ps`: the containers <paramref name="filter"/> keeps, newest first; running ones only unless <paramref name="all"/>, a status filter or a <paramref name="limit"/>.</summary>
    public IReadOnlyList<ContainerRecord> List(ContainerListFilter filter, bool all, int? limit = null) =>
        filter.Apply(List(), all, limit, TryGet, ImageAndDescendants);

    /// <summary>An image reference's ID and those of every image built on it (Docker's ancestor filter); nothing for an unknown image.</summary>
    IEnumerable<Digest> ImageAndDescendants(string reference)
    {
        if (_images.TryResolve(reference) is not { } id) yield break;
        var seen = new HashSet<Digest> { id };
        var queue = new Queue<Digest>([id]);
        while (queue.TryDequeue(out var current))
        {
            yield return current;
            foreach (var child in _store.Metadata.ChildrenOf(current))
                if (seen.Add(child)) queue.Enqueue(child);
        }
    }
}
