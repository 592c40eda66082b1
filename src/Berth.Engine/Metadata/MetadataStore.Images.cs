using Berth.Engine.Content;
using Berth.Engine.Metadata.Schema;
using Berth.Engine.Metadata.Database;

namespace Berth.Engine.Metadata;

public sealed partial class MetadataStore
{
    static Digest? OptionalDigest(DatabaseRow reader, int column) => reader.IsDBNull(column) ? null : Digest.Parse(reader.GetString(column));

    static ImageRecord ReadImage(DatabaseRow r) => new(
        Digest.Parse(r.GetString(0)), r.IsDBNull(1) ? null : r.GetString(1), OptionalDigest(r, 2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)));

    /// <summary>Records an image and its layers (layers already on disk); a no-op for parts that exist.</summary>
    public void AddImage(ImageRecord image, IReadOnlyList<LayerRecord> layers, DatabaseConnection connection, DatabaseTransaction transaction)
    {
        foreach (var layer in layers)
            connection.Execute("INSERT OR IGNORE INTO layers(chain_id, diff_id, parent, size) VALUES ($c, $d, $p, $s)", transaction,
                ("$c", layer.ChainId.ToString()), ("$d", layer.DiffId.ToString()), ("$p", layer.Parent?.ToString()), ("$s", layer.Size));
        int inserted = connection.Execute("INSERT OR IGNORE INTO images(id, created, parent, added) VALUES ($i, $c, $p, $a)", transaction,
            ("$i", image.Id.ToString()), ("$c", image.Created), ("$p", image.Parent?.ToString()), ("$a", image.Added.ToUnixTimeMilliseconds()));
        if (inserted == 0) return;
        for (int i = 0; i < layers.Count; i++)
            connection.Execute("INSERT INTO image_layers(image_id, position, chain_id) VALUES ($i, $n, $c)", transaction,
                ("$i", image.Id.ToString()), ("$n", i), ("$c", layers[i].ChainId.ToString()));
    }

    public void AddImage(ImageRecord image, IReadOnlyList<LayerRecord> layers) => Write((c, t) => AddImage(image, layers, c, t));

    public ImageRecord? GetImage(Digest id) => Read(c => c.Query("SELECT id, created, parent, added FROM images WHERE id = $i", ReadImage, null, ("$i", id.ToString())).FirstOrDefault());

    public bool HasLayer(Digest chainId) => Read(c => c.Scalar("SELECT 1 FROM layers WHERE chain_id = $c", null, ("$c", chainId.ToString())) is not null);

    static LayerRecord ReadLayer(DatabaseRow r) => new(Digest.Parse(r.GetString(0)), Digest.Parse(r.GetString(1)), OptionalDigest(r, 2), r.GetInt64(3));

    public LayerRecord? GetLayer(Digest chainId) => Read(c => c.Query("SELECT chain_id, diff_id, parent, size FROM layers WHERE chain_id = $c", ReadLayer, null, ("$c", chainId.ToString())).FirstOrDefault());

    /// <summary>Whether any layer row still has this diff ID (its tar blob is shared by every chain that contains it).</summary>
    public bool IsDiffIdReferenced(Digest diffId) => Read(c => c.Scalar("SELECT 1 FROM layers WHERE diff_id = $d LIMIT 1", null, ("$d", diffId.ToString())) is not null);

    /// <summary>The image's layers, base first.</summary>
    public IReadOnlyList<LayerRecord> ImageLayers(Digest id) => Read(c => c.Query(
        "SELECT l.chain_id, l.diff_id, l.parent, l.size FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id WHERE il.image_id = $i ORDER BY il.position",
        ReadLayer, null, ("$i", id.ToString())));

    public IReadOnlyList<Digest> FindImagesByPrefix(string hexPrefix) => Read(c => c.Query(
        "SELECT id FROM images WHERE id >= $lo AND id < $hi ORDER BY id", r => Digest.Parse(r.GetString(0)), null,
        ("$lo", "sha256:" + hexPrefix), ("$hi", "sha256:" + hexPrefix + "\uffff")));

    /// <summary>Points <paramref name="name"/> at an image; returns the image it pointed at before, if another.</summary>
    public Digest? SetTag(string name, Digest imageId, DatabaseConnection connection, DatabaseTransaction transaction)
    {
        var previous = connection.Scalar("SELECT image_id FROM tags WHERE name = $n", transaction, ("$n", name)) as string;
        connection.Execute("INSERT INTO tags(name, image_id, added) VALUES ($n, $i, $a) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, added = excluded.added", transaction,
            ("$n", name), ("$i", imageId.ToString()), ("$a", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        return previous is null || previous == imageId.ToString() ? null : Digest.Parse(previous);
    }

    public Digest? SetTag(string name, Digest imageId) => Write((c, t) => SetTag(name, imageId, c, t));

    public Digest? ResolveTag(string name) => Read(c => c.Scalar("SELECT image_id FROM tags WHERE name = $n", null, ("$n", name)) is string s ? Digest.Parse(s) : (Digest?)null);

    public bool RemoveTag(string name, DatabaseConnection connection, DatabaseTransaction transaction)
        => connection.Execute("DELETE FROM tags WHERE name = $n", transaction, ("$n", name)) > 0;

    public IReadOnlyList<string> TagsOf(Digest imageId) => Read(c => c.Query("SELECT name FROM tags WHERE image_id = $i ORDER BY added, name", r => r.GetString(0), null, ("$i", imageId.ToString())));

    public void AddRepoDigest(string repository, Digest digest, Digest imageId, DatabaseConnection connection, DatabaseTransaction transaction)
        => connection.Execute("INSERT INTO repo_digests(repository, digest, image_id) VALUES ($r, $d, $i) ON CONFLICT(repository, digest) DO UPDATE SET image_id = excluded.image_id", transaction,
            ("$r", repository), ("$d", digest.ToString()), ("$i", imageId.ToString()));

    public void AddRepoDigest(string repository, Digest digest, Digest imageId) => Write((c, t) => AddRepoDigest(repository, digest, imageId, c, t));

    public Digest? ResolveRepoDigest(string repository, Digest digest) => Read(c =>
        c.Scalar("SELECT image_id FROM repo_digests WHERE repository = $r AND digest = $d", null, ("$r", repository), ("$d", digest.ToString())) is string s ? Digest.Parse(s) : (Digest?)null);

    /// <summary>`repository@digest` names of an image.</summary>
    public IReadOnlyList<string> RepoDigestsOf(Digest imageId) => Read(c => c.Query(
        "SELECT repository || '@' || digest FROM repo_digests WHERE image_id = $i ORDER BY repository", r => r.GetString(0), null, ("$i", imageId.ToString())));

    public IReadOnlyList<Digest> ChildrenOf(Digest imageId) => Read(c => c.Query("SELECT id FROM images WHERE parent = $i", r => Digest.Parse(r.GetString(0)), null, ("$i", imageId.ToString())));

    /// <summary>Every image with its tags, digests and size (sum of its layers' unpacked sizes), newest first.</summary>
    public IReadOnlyList<ImageListRow> ListImages() => Read(c =>
    {
        var tags = new Dictionary<string, List<string>>();
        foreach (var (id, name) in c.Query("SELECT image_id, name FROM tags ORDER BY added, name", r => (r.GetString(0), r.GetString(1))))
            (tags.TryGetValue(id, out var l) ? l : tags[id] = []).Add(name);
        var digests = new Dictionary<string, List<string>>();
        foreach (var (id, name) in c.Query("SELECT image_id, repository || '@' || digest FROM repo_digests ORDER BY repository", r => (r.GetString(0), r.GetString(1))))
            (digests.TryGetValue(id, out var l) ? l : digests[id] = []).Add(name);
        return c.Query("""
            SELECT i.id, i.created, i.parent, i.added, COALESCE((SELECT SUM(l.size) FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id WHERE il.image_id = i.id), 0)
            FROM images i ORDER BY i.created DESC, i.added DESC
            """, r =>
        {
            var image = ReadImage(r);
            string key = image.Id.ToString();
            return new ImageListRow(image, r.GetInt64(4),
                tags.TryGetValue(key, out var t) ? t : [], digests.TryGetValue(key, out var d) ? d : []);
        });
    });

    /// <summary>Deletes an image row (tags and digests too) and returns the layers no image references any more.</summary>
    public IReadOnlyList<LayerRecord> DeleteImage(Digest imageId, DatabaseConnection connection, DatabaseTransaction transaction)
    {
        string id = imageId.ToString();
        var layers = connection.Query("SELECT chain_id FROM image_layers WHERE image_id = $i", r => r.GetString(0), transaction, ("$i", id));
        connection.Execute("DELETE FROM tags WHERE image_id = $i", transaction, ("$i", id));
        connection.Execute("DELETE FROM repo_digests WHERE image_id = $i", transaction, ("$i", id));
        connection.Execute("UPDATE images SET parent = NULL WHERE parent = $i", transaction, ("$i", id));
        connection.Execute("DELETE FROM images WHERE id = $i", transaction, ("$i", id));
        return UnreferencedLayers(layers, connection, transaction);
    }

    /// <summary>Of the given layers and their ancestors, those that no image, container or lease references; their rows are deleted.</summary>
    internal IReadOnlyList<LayerRecord> UnreferencedLayers(IEnumerable<string> candidates, DatabaseConnection connection, DatabaseTransaction transaction)
    {
        var freed = new List<LayerRecord>();
        // A layer may be checked again after its child is freed: parents are enqueued once their last child goes.
        var queue = new Queue<string>(candidates);
        while (queue.Count > 0)
        {
            string chain = queue.Dequeue();
            if (IsLayerReferenced(chain, connection, transaction)) continue;
            var layer = connection.Query("SELECT chain_id, diff_id, parent, size FROM layers WHERE chain_id = $c", ReadLayer, transaction, ("$c", chain)).FirstOrDefault();
            if (layer is null) continue;
            connection.Execute("DELETE FROM layers WHERE chain_id = $c", transaction, ("$c", chain));
            freed.Add(layer);
            if (layer.Parent is { } parent) queue.Enqueue(parent.ToString());
        }
        return freed;
    }

    bool IsLayerReferenced(string chain, DatabaseConnection connection, DatabaseTransaction transaction)
    {
        foreach (var check in LayerReferenceChecks)
            if (connection.Scalar(check, transaction, ("$c", chain)) is not null) return true;
        return false;
    }

    /// <summary>Queries that each find a reference to layer $c: every schema component contributes its own.</summary>
    static readonly IReadOnlyList<string> LayerReferenceChecks = MetadataSchema.Components.SelectMany(c => c.LayerReferenceChecks).ToArray();

    /// <summary>Whether a blob digest is still an image (its config) in the metadata.</summary>
    public bool IsImageReferencedAnywhere(Digest imageId) => GetImage(imageId) is not null;

    public void AddLayerBlob(LayerBlobRecord blob, DatabaseConnection connection, DatabaseTransaction transaction)
        => connection.Execute("INSERT OR IGNORE INTO layer_blobs(diff_id, digest, media_type, size) VALUES ($d, $g, $m, $s)", transaction,
            ("$d", blob.DiffId.ToString()), ("$g", blob.Digest.ToString()), ("$m", blob.MediaType), ("$s", blob.Size));

    public IReadOnlyList<LayerBlobRecord> LayerBlobs(Digest diffId) => Read(c => c.Query("SELECT diff_id, digest, media_type, size FROM layer_blobs WHERE diff_id = $d",
        r => new LayerBlobRecord(Digest.Parse(r.GetString(0)), Digest.Parse(r.GetString(1)), r.GetString(2), r.GetInt64(3)), null, ("$d", diffId.ToString())));
}
