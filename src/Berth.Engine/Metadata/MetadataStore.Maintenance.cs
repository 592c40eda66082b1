using Berth.Engine.Content;
using Berth.Engine.Metadata.Database;

namespace Berth.Engine.Metadata;

/// <summary>Whole-store queries for prune, disk usage and `system check`.</summary>
public sealed partial class MetadataStore
{
    public IReadOnlyList<LayerRecord> AllLayers() => Read(c => c.Query("SELECT chain_id, diff_id, parent, size FROM layers ORDER BY chain_id", ReadLayer));

    /// <summary>(image, layer chain ID) pairs, each image's layers base first.</summary>
    public IReadOnlyList<(Digest Image, Digest Chain)> AllImageLayers() => Read(c => c.Query(
        "SELECT image_id, chain_id FROM image_layers ORDER BY image_id, position", r => (Digest.Parse(r.GetString(0)), Digest.Parse(r.GetString(1)))));

    /// <summary>Every tag and repo digest with the image it names: (name, image ID text).</summary>
    public IReadOnlyList<(string Name, string ImageId, bool IsDigest)> AllReferences() => Read(c =>
        c.Query("SELECT name, image_id, 0 FROM tags UNION ALL SELECT repository || '@' || digest, image_id, 1 FROM repo_digests",
            r => (r.GetString(0), r.GetString(1), r.GetInt64(2) != 0)));

    public IReadOnlyList<Digest> AllLayerBlobDigests() => Read(c => c.Query("SELECT DISTINCT digest FROM layer_blobs", r => Digest.Parse(r.GetString(0))));

    /// <summary>Leases (id, owning process id): a lease whose process is gone pins layers for nothing.</summary>
    public IReadOnlyList<(string Id, long Pid)> AllLeases() => Read(c => c.Query("SELECT id, pid FROM leases", r => (r.GetString(0), r.GetInt64(1))));

    public void DeleteLease(string id) => Write((c, t) => c.Execute("DELETE FROM leases WHERE id = $i", t, ("$i", id)));

    public void DeleteReference(string name, bool isDigest) => Write((c, t) =>
    {
        if (!isDigest) { c.Execute("DELETE FROM tags WHERE name = $n", t, ("$n", name)); return; }
        int at = name.IndexOf('@');
        c.Execute("DELETE FROM repo_digests WHERE repository = $r AND digest = $d", t, ("$r", name[..at]), ("$d", name[(at + 1)..]));
    });

    public void SetLayerSize(Digest chainId, long size) => Write((c, t) =>
        c.Execute("UPDATE layers SET size = $s WHERE chain_id = $c", t, ("$s", size), ("$c", chainId.ToString())));

    /// <summary>Deletes the rows of layers that nothing references (and their freed ancestors); returns them so their files can go.</summary>
    public IReadOnlyList<LayerRecord> DeleteUnreferencedLayers(IEnumerable<Digest> candidates)
        => Write((c, t) => UnreferencedLayers(candidates.Select(d => d.ToString()).ToList(), c, t));

    /// <summary>Runs <paramref name="work"/> in a transaction that is always rolled back: a dry run of deletions.</summary>
    public T Simulate<T>(Func<DatabaseConnection, DatabaseTransaction, T> work)
    {
        using var connection = Open();
        // Never committed: disposing rolls it back, and quietly when SQLite has already rolled it back itself (a full
        // disk, an I/O error), so that error is the one reported.
        using var transaction = connection.BeginTransaction();
        return work(connection, transaction);
    }
}
