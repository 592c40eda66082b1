using Berth.Engine.Content;
using Berth.Engine.Metadata;

namespace Berth.Engine.Services.Images;

/// <summary>One line of `rmi` output.</summary>
public sealed record ImageDeleteEntry(string Kind, string Value)
{
    public override string ToString() => $"{Kind}: {Value}";
}

public sealed partial class ImageService
{
    /// <summary>Who uses an image (containers); set by the container service so that rmi can refuse.</summary>
    public Func<Digest, IReadOnlyList<ImageUser>> ImageUsers { get; set; } = _ => [];

    /// <summary>`rmi [-f] NAME|ID`, with Docker's rules for names, IDs, several tags, child images and containers.</summary>
    public IReadOnlyList<ImageDeleteEntry> Remove(string nameOrId, bool force, bool prune = true)
    {
        var id = Resolve(nameOrId);
        var entries = new List<ImageDeleteEntry>();
        bool byId = ResolveByName(nameOrId) is null;
        var tags = store.Metadata.TagsOf(id);
        var digests = store.Metadata.RepoDigestsOf(id);
        var users = ImageUsers(id);
        string shortName = byId ? ShortId(nameOrId) : nameOrId;

        if (users.FirstOrDefault(u => u.Running) is { } running && (byId || IsSingleReference(tags, digests)))
            throw new ConflictException($"conflict: unable to delete {shortName} (cannot be forced) - image is being used by running container {running.ContainerId[..12]}");

        if (!byId)
        {
            var name = ImageNameParser.Parse(nameOrId);
            string key = name.Digest is { } d ? name.Repository + "@" + d : name.TagKey;
            if (IsSingleReference(tags, digests) && users.FirstOrDefault() is { } user && !force)
                throw new ConflictException($"conflict: unable to remove repository reference \"{nameOrId}\" (must force) - container {user.ContainerId[..12]} is using its referenced image {id.Short}");
            // Docker: once a repository's last tag is gone, its digest references go too (they would only keep a dangling image).
            var repositoryDigests = name.Digest is null && !tags.Any(t => t != name.TagKey && ImageNameParser.Parse(t).Repository == name.Repository)
                ? digests.Where(r => RepositoryOf(r) == name.Repository).ToList() : [];
            store.Metadata.Write((c, t) =>
            {
                if (name.Digest is { } dg) c.Execute("DELETE FROM repo_digests WHERE repository = $r AND digest = $d", t, ("$r", name.Repository), ("$d", dg.ToString()));
                else store.Metadata.RemoveTag(name.TagKey, c, t);
                foreach (var r in repositoryDigests)
                    c.Execute("DELETE FROM repo_digests WHERE repository = $r AND digest = $d", t, ("$r", RepositoryOf(r)), ("$d", r[(r.LastIndexOf('@') + 1)..]));
            });
            entries.Add(new("Untagged", ImageNameParser.Familiar(key)));
            foreach (var r in repositoryDigests) entries.Add(new("Untagged", ImageNameParser.Familiar(r)));
            if (store.Metadata.TagsOf(id).Count + store.Metadata.RepoDigestsOf(id).Count > 0) return entries;
        }
        else
        {
            var repositories = tags.Select(t => ImageNameParser.Parse(t).Repository).Concat(digests.Select(d => d[..d.IndexOf('@')])).Distinct().ToList();
            if (repositories.Count > 1 && !force)
                throw new ConflictException($"conflict: unable to delete {shortName} (must be forced) - image is referenced in multiple repositories");
            if (users.Count > 0 && !force)
                throw new ConflictException($"conflict: unable to delete {shortName} (must be forced) - image is being used by stopped container {users[0].ContainerId[..12]}");
        }

        if (store.Metadata.ChildrenOf(id).Count > 0)
        {
            if (!byId) return entries;
            throw new ConflictException($"conflict: unable to delete {shortName} (cannot be forced) - image has dependent child images");
        }

        if (users.Count > 0)
        {
            // rmi -f of an image a container uses: untag it and keep the image for the container (Docker 20.10).
            store.Metadata.Write((c, t) =>
            {
                foreach (var tag in store.Metadata.TagsOf(id)) { store.Metadata.RemoveTag(tag, c, t); entries.Add(new("Untagged", ImageNameParser.Familiar(tag))); }
                c.Execute("DELETE FROM repo_digests WHERE image_id = $i", t, ("$i", id.ToString()));
            });
            return entries;
        }

        // What the decision above saw: by name, nothing is left (checked after the untag); by ID, the tags and digests read first.
        var references = byId ? tags.Concat(digests).ToList() : [];
        foreach (var reference in references) entries.Add(new("Untagged", ImageNameParser.Familiar(reference)));
        try { entries.AddRange(DeleteImageAndParents(id, prune, references, shortName)); }
        catch (ConflictException) when (!byId) { } // the name is gone; the image stays with what it gained meanwhile
        return entries;
    }

    /// <summary>
    /// `rmi ID` of an image the caller found without tag or digest reference (`image prune`'s dangling candidates): refused
    /// as in use when it has gained one since. `rmi ID` itself reads the references afresh and, finding the one tag another
    /// command gave the image meanwhile (a load or build of the same image), would untag and delete it: a lost tag (the
    /// concurrency test's load, rmi and prune found it). Nothing when the image is gone already.
    /// </summary>
    internal IReadOnlyList<ImageDeleteEntry> RemoveUnreferenced(Digest id)
    {
        // As `rmi ID`: its users first (a container's image is skipped), then the delete, which checks again under the lock.
        if (ImageUsers(id).FirstOrDefault() is { } user)
            throw new ConflictException($"conflict: unable to delete {id.Short} (must be forced) - image is being used by {(user.Running ? "running" : "stopped")} container {user.ContainerId[..12]}");
        return DeleteImageAndParents(id, prune: true, references: [], id.Short);
    }

    /// <summary>
    /// Deletes an image, then (with <paramref name="prune"/>) its untagged, childless parents; frees unreferenced layers.
    /// The image must still have only <paramref name="references"/>, no child and no container once the collector lock is
    /// held: the decision was made without it, and another process may have tagged it (a build that gave the same image
    /// ID, `tag`), built on it or run it meanwhile.
    /// </summary>
    internal IReadOnlyList<ImageDeleteEntry> DeleteImageAndParents(Digest id, bool prune, IReadOnlyCollection<string> references, string shortName)
    {
        var entries = new List<ImageDeleteEntry>();
        using var collector = store.CollectorLock();
        bool gainedReference = store.Metadata.TagsOf(id).Concat(store.Metadata.RepoDigestsOf(id)).Any(r => !references.Contains(r));
        if (gainedReference || store.Metadata.ChildrenOf(id).Count > 0 || ImageUsers(id).Count > 0)
            throw new ConflictException($"conflict: unable to delete {shortName} - image is in use: another command tagged it, built on it or ran it meanwhile");
        var current = (Digest?)id;
        while (current is { } image)
        {
            var record = store.Metadata.GetImage(image);
            if (record is null) break;
            var freed = store.Metadata.Write((c, t) => store.Metadata.DeleteImage(image, c, t));
            entries.Add(new("Deleted", image.ToString()));
            foreach (var layer in freed) entries.Add(new("Deleted", layer.ChainId.ToString()));
            Layers.DeleteFiles(freed);
            if (!store.Metadata.IsImageReferencedAnywhere(image)) store.Content.Delete(image);
            current = prune && record.Parent is { } parent && store.Metadata.TagsOf(parent).Count == 0 && store.Metadata.ChildrenOf(parent).Count == 0 && ImageUsers(parent).Count == 0
                ? parent : null;
        }
        return entries;
    }

    static string RepositoryOf(string digestReference) => digestReference[..digestReference.LastIndexOf('@')];

    /// <summary>moby's isSingleReference: one reference, or one tag plus digest references of that same repository only.</summary>
    static bool IsSingleReference(IReadOnlyList<string> tags, IReadOnlyList<string> digests)
    {
        if (tags.Count + digests.Count <= 1) return tags.Count + digests.Count == 1;
        if (tags.Count > 1) return false;
        var digestRepositories = digests.Select(RepositoryOf).ToHashSet(StringComparer.Ordinal);
        string single = tags.Count == 1 ? ImageNameParser.Parse(tags[0]).Repository : RepositoryOf(digests[0]);
        return digestRepositories.Count == 1 && digestRepositories.Contains(single);
    }

    static string ShortId(string text)
    {
        string hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text[7..] : text;
        return hex.Length > 12 ? hex[..12] : hex;
    }
}

/// <summary>A container that uses an image (for rmi's refusals).</summary>
public sealed record ImageUser(string ContainerId, bool Running);
