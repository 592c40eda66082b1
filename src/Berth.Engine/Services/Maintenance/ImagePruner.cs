using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.Services.Images;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Maintenance;

/// <summary>What `image prune` removed (or would, on a dry run): Docker's untagged/deleted entries and the bytes freed.</summary>
public sealed record ImagePruneResult(IReadOnlyList<ImageDeleteEntry> Entries, long SpaceReclaimed);

/// <summary>`image prune [-a]`: moby's ImagesPrune rules over Berth's images.</summary>
/// <remarks>
/// Without <c>all</c> the candidates are images without children and without a tag (dangling); with it, every image
/// except untagged intermediate ones (they go with their last child). Each candidate is removed through
/// <see cref="ImageService.Remove"/> as `rmi` would, and a refusal (a container uses it, a child appeared) just skips
/// it, as Docker does. Reclaimed space is the unpacked size of the layers that were freed.
/// </remarks>
public sealed class ImagePruner(BerthStore store, ImageService images)
{
    public async Task<ImagePruneResult> PruneAsync(bool all, PruneFilter filter, bool dryRun, CancellationToken cancellationToken = default)
    {
        bool danglingOnly = !all && filter.Dangling != false;
        var layerSizes = store.Metadata.AllLayers().ToDictionary(l => l.ChainId.ToString(), l => l.Size);
        var candidates = await CandidatesAsync(danglingOnly, filter, cancellationToken).ConfigureAwait(false);
        var entries = dryRun ? Simulate(candidates, danglingOnly) : Remove(candidates, danglingOnly);
        long reclaimed = entries.Where(e => e.Kind == "Deleted" && layerSizes.ContainsKey(e.Value)).Sum(e => layerSizes[e.Value]);
        return new ImagePruneResult(entries, reclaimed);
    }

    sealed record Candidate(Digest Id, IReadOnlyList<string> Tags, IReadOnlyList<string> Digests, Digest? Parent);

    async Task<List<Candidate>> CandidatesAsync(bool danglingOnly, PruneFilter filter, CancellationToken cancellationToken)
    {
        var all = store.Metadata.ListImages();
        var parents = all.Where(i => i.Image.Parent is not null).Select(i => i.Image.Parent!.Value).ToHashSet();
        var result = new List<Candidate>();
        foreach (var image in all.OrderBy(i => i.Image.Added))
        {
            bool hasChildren = parents.Contains(image.Image.Id);
            if (danglingOnly && hasChildren) continue; // only heads
            if (image.Tags.Count + image.RepoDigests.Count == 0 && hasChildren) continue; // intermediate: goes with its child
            if (filter.Until is { } until && ImageJson.ParseTime(image.Image.Created) is { } created && created > until) continue;
            if (filter.Labels.Count > 0)
            {
                var config = await images.ReadConfigAsync(image.Image.Id, cancellationToken).ConfigureAwait(false);
                IReadOnlyDictionary<string, string> labels = config.Config?.Labels ?? new SortedDictionary<string, string>();
                if (!filter.Labels.All(l => l.Matches(labels))) continue;
            }
            result.Add(new Candidate(image.Image.Id, image.Tags, image.RepoDigests, image.Image.Parent));
        }
        return result;
    }

    static bool ShouldDeleteReferenced(Candidate c, bool danglingOnly) => !danglingOnly || c.Tags.Count == 0;

    List<ImageDeleteEntry> Remove(List<Candidate> candidates, bool danglingOnly)
    {
        var entries = new List<ImageDeleteEntry>();
        foreach (var c in candidates)
        {
            var references = c.Tags.Concat(c.Digests).ToList();
            if (references.Count > 0 && !ShouldDeleteReferenced(c, danglingOnly)) continue;
            if (references.Count == 0)
            {
                try { entries.AddRange(images.RemoveUnreferenced(c.Id)); }
                catch (ConflictException) { } // tagged, built on or run meanwhile: Docker skips it
                continue;
            }
            foreach (var target in references)
            {
                try { entries.AddRange(images.Remove(target, force: false, prune: true)); }
                catch (ConflictException) { } // in use or has children now: Docker skips it
                catch (NotFoundException) { } // removed by a concurrent rmi
            }
        }
        return entries;
    }

    /// <summary>The same decisions as <see cref="Remove"/> played in a transaction that is rolled back.</summary>
    List<ImageDeleteEntry> Simulate(List<Candidate> candidates, bool danglingOnly) => store.Metadata.Simulate((c, t) =>
    {
        var entries = new List<ImageDeleteEntry>();
        foreach (var candidate in candidates)
        {
            var references = candidate.Tags.Concat(candidate.Digests).ToList();
            if (references.Count > 0 && !ShouldDeleteReferenced(candidate, danglingOnly)) continue;
            if (images.ImageUsers(candidate.Id).Count > 0) continue;
            if (c.Scalar("SELECT 1 FROM images WHERE parent = $i", t, ("$i", candidate.Id.ToString())) is not null) continue;
            if (c.Scalar("SELECT 1 FROM images WHERE id = $i", t, ("$i", candidate.Id.ToString())) is null) continue;
            foreach (var r in references) entries.Add(new("Untagged", ImageNameParser.Familiar(r)));
            Digest? current = candidate.Id;
            while (current is { } id)
            {
                var parent = c.Scalar("SELECT parent FROM images WHERE id = $i", t, ("$i", id.ToString())) as string;
                var freed = store.Metadata.DeleteImage(id, c, t);
                entries.Add(new("Deleted", id.ToString()));
                foreach (var layer in freed) entries.Add(new("Deleted", layer.ChainId.ToString()));
                current = parent is not null && Digest.TryParse(parent, out var p)
                    && c.Scalar("SELECT 1 FROM tags WHERE image_id = $p UNION SELECT 1 FROM repo_digests WHERE image_id = $p UNION SELECT 1 FROM images WHERE parent = $p", t, ("$p", parent)) is null
                    && images.ImageUsers(p).Count == 0 ? p : null;
            }
        }
        return entries;
    });
}
