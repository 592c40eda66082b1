using Berth.Engine.Content;
using Berth.Engine.Metadata.Database;

namespace Berth.Engine.Metadata;

public sealed partial class MetadataStore
{
    const string CacheColumns = "key, parent_key, instruction, args, sources, config, chain_id, size";

    static BuildCacheRecord ReadCache(DatabaseRow r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetBlob(5), OptionalDigest(r, 6), r.GetInt64(7));

    /// <summary>
    /// The cached step with this key and the layers of its state (top first, following each layer's parent), in one read
    /// that takes no write lock; null when there is no such row. A layer row that is missing ends the list early, which the
    /// caller sees as fewer layers than the config's diff IDs.
    /// </summary>
    public CachedStep? FindCachedStep(string key) => Read(c =>
    {
        var found = c.Query($"SELECT {CacheColumns}, last_used FROM build_cache WHERE key = $k", r => (Row: ReadCache(r), LastUsed: r.GetInt64(8)), null, ("$k", key));
        if (found.Count == 0) return null;
        var (row, lastUsed) = found[0];
        IReadOnlyList<LayerRecord> layers = row.ChainId is not { } top ? [] : c.Query("""
            WITH RECURSIVE chain(chain_id, diff_id, parent, size, depth) AS (
                SELECT chain_id, diff_id, parent, size, 0 FROM layers WHERE chain_id = $c
                UNION ALL
                SELECT l.chain_id, l.diff_id, l.parent, l.size, chain.depth + 1 FROM layers l JOIN chain ON l.chain_id = chain.parent
            )
            SELECT chain_id, diff_id, parent, size FROM chain ORDER BY depth
            """, ReadLayer, null, ("$c", top.ToString()));
        return new CachedStep(row, layers, DateTimeOffset.FromUnixTimeMilliseconds(lastUsed));
    });

    /// <summary>Marks cached steps as used now (one transaction for the whole build).</summary>
    public void TouchBuildCache(IReadOnlyCollection<string> keys)
    {
        if (keys.Count == 0) return;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Write((c, t) =>
        {
            foreach (var key in keys) c.Execute("UPDATE build_cache SET last_used = $u WHERE key = $k", t, ("$k", key), ("$u", now));
        });
    }

    /// <summary>Whether the image is recorded and every one of <paramref name="tagKeys"/> already points at it (a rebuild that changed nothing).</summary>
    public bool IsImageTaggedAs(Digest imageId, IReadOnlyList<string> tagKeys) => Read(c =>
    {
        string id = imageId.ToString();
        if (c.Scalar("SELECT 1 FROM images WHERE id = $i", null, ("$i", id)) is null) return false;
        foreach (var tag in tagKeys)
            if (c.Scalar("SELECT image_id FROM tags WHERE name = $n", null, ("$n", tag)) as string != id) return false;
        return true;
    });

    /// <summary>Cached steps built on the state <paramref name="parentKey"/> (to explain a miss).</summary>
    public IReadOnlyList<BuildCacheRecord> BuildCacheChildren(string parentKey) => Read(c =>
        c.Query($"SELECT {CacheColumns} FROM build_cache WHERE parent_key = $p ORDER BY last_used DESC", ReadCache, null, ("$p", parentKey)));

    /// <summary>Cached steps whose instruction text is <paramref name="instruction"/> (to tell a changed parent from a new step).</summary>
    public IReadOnlyList<BuildCacheRecord> BuildCacheByInstruction(string instruction) => Read(c =>
        c.Query($"SELECT {CacheColumns} FROM build_cache WHERE instruction = $i ORDER BY last_used DESC LIMIT 20", ReadCache, null, ("$i", instruction)));

    /// <summary>
    /// Records a step; <paramref name="layers"/> are the state's layers (rows added when missing), base first. Returns the
    /// top layer the row held before when this replaces a row with another one (a --no-cache rebuild), else null.
    /// </summary>
    public Digest? AddBuildCache(BuildCacheRecord record, IReadOnlyList<LayerRecord> layers) => Write((c, t) =>
    {
        var before = c.Scalar("SELECT chain_id FROM build_cache WHERE key = $k", t, ("$k", record.Key)) as string;
        foreach (var layer in layers)
            c.Execute("INSERT OR IGNORE INTO layers(chain_id, diff_id, parent, size) VALUES ($c, $d, $p, $s)", t,
                ("$c", layer.ChainId.ToString()), ("$d", layer.DiffId.ToString()), ("$p", layer.Parent?.ToString()), ("$s", layer.Size));
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        c.Execute("""
            INSERT INTO build_cache(key, parent_key, instruction, args, sources, config, chain_id, size, created, last_used, image_id)
            VALUES ($k, $p, $i, $a, $s, $c, $ch, $z, $n, $n, $id)
            ON CONFLICT(key) DO UPDATE SET parent_key = excluded.parent_key, instruction = excluded.instruction, args = excluded.args,
                sources = excluded.sources, config = excluded.config, chain_id = excluded.chain_id, size = excluded.size, last_used = excluded.last_used,
                image_id = excluded.image_id
            """, t, ("$k", record.Key), ("$p", record.ParentKey), ("$i", record.Instruction), ("$a", record.Args), ("$s", record.Sources),
            ("$c", record.Config), ("$ch", record.ChainId?.ToString()), ("$z", record.Size), ("$n", now), ("$id", record.ImageId?.ToString()));
        return before is not null && before != record.ChainId?.ToString() ? Digest.Parse(before) : (Digest?)null;
    });

    /// <summary>
    /// The build steps that led to image <paramref name="imageId"/>, newest first: (state image ID, config JSON) of the step
    /// that made it and of each parent step while the cache still has it. Empty when no cached step made this image.
    /// </summary>
    public IReadOnlyList<(Digest ImageId, byte[] Config)> BuildCacheAncestry(Digest imageId) => Read(c => c.Query("""
        WITH RECURSIVE chain(key, parent_key, image_id, config, depth) AS (
            SELECT key, parent_key, image_id, config, 0 FROM (SELECT * FROM build_cache WHERE image_id = $i LIMIT 1)
            UNION ALL
            SELECT b.key, b.parent_key, b.image_id, b.config, chain.depth + 1 FROM build_cache b JOIN chain ON b.key = chain.parent_key
            WHERE chain.depth < 10000
        )
        SELECT image_id, config FROM chain WHERE image_id IS NOT NULL ORDER BY depth
        """, r => (Digest.Parse(r.GetString(0)), r.GetBlob(1)), null, ("$i", imageId.ToString())));

    /// <summary>
    /// Cache keys of the steps whose state has an image ID starting with <paramref name="hexPrefix"/>, one per distinct ID
    /// (an intermediate image as the build printed it).
    /// </summary>
    public IReadOnlyList<(string Key, Digest ImageId)> FindCachedStepsByImagePrefix(string hexPrefix) => Read(c => c.Query(
        "SELECT MIN(key), image_id FROM build_cache WHERE image_id >= $lo AND image_id < $hi GROUP BY image_id ORDER BY image_id",
        r => (r.GetString(0), Digest.Parse(r.GetString(1))), null, ("$lo", "sha256:" + hexPrefix), ("$hi", "sha256:" + hexPrefix + "\uffff")));

    public void RemoveBuildCache(string key) => Write((c, t) => c.Execute("DELETE FROM build_cache WHERE key = $k", t, ("$k", key)));

    /// <summary>Number of cache rows (for tests and `system df`).</summary>
    public long CountBuildCache() => Read(c => (long)c.Scalar("SELECT COUNT(*) FROM build_cache")!);

    /// <summary>
    /// Deletes cache rows (every one with <paramref name="all"/>, else those whose layer no image uses) and returns their
    /// keys and the layers no longer referenced by anything; those layers' rows are deleted too. Call under the collector
    /// lock and delete their files. With <paramref name="dryRun"/> the same deletions are played and rolled back.
    /// </summary>
    public BuildCachePrunePlan PruneBuildCache(bool all, bool dryRun = false)
    {
        Func<DatabaseConnection, DatabaseTransaction, BuildCachePrunePlan> work = (c, t) =>
        {
            string where = all ? "" : "WHERE chain_id IS NULL OR chain_id NOT IN (SELECT chain_id FROM image_layers)";
            var rows = c.Query($"SELECT key, chain_id FROM build_cache {where} ORDER BY last_used DESC", r => (Key: r.GetString(0), Chain: r.IsDBNull(1) ? null : r.GetString(1)), t);
            c.Execute($"DELETE FROM build_cache {where}", t);
            var chains = rows.Select(r => r.Chain).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            return new BuildCachePrunePlan(rows.Select(r => r.Key).ToList(), UnreferencedLayers(chains, c, t));
        };
        return dryRun ? Simulate(work) : Write(work);
    }

    /// <summary>Known content hashes of files under <paramref name="directory"/> (absolute, no trailing '/'): path → (identity, hash).</summary>
    public Dictionary<string, (string Identity, string Hash)> FileHashesUnder(string directory) => Read(c =>
        c.Query("SELECT path, identity, hash FROM build_file_hashes WHERE path > $lo AND path < $hi", r => (r.GetString(0), r.GetString(1), r.GetString(2)), null,
            ("$lo", directory + "/"), ("$hi", directory + "0")).ToDictionary(r => r.Item1, r => (r.Item2, r.Item3), StringComparer.Ordinal));

    /// <summary>Records content hashes (path, stat identity, hash) in one transaction.</summary>
    public void SaveFileHashes(IReadOnlyCollection<(string Path, string Identity, string Hash)> hashes)
    {
        if (hashes.Count == 0) return;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Write((c, t) =>
        {
            foreach (var (path, identity, hash) in hashes)
                c.Execute("INSERT INTO build_file_hashes(path, identity, hash, used) VALUES ($p, $i, $h, $u) ON CONFLICT(path) DO UPDATE SET identity = $i, hash = $h, used = $u", t,
                    ("$p", path), ("$i", identity), ("$h", hash), ("$u", now));
        });
    }

    /// <summary>Forgets every remembered file hash (`builder prune -a`).</summary>
    public void ClearFileHashes() => Write((c, t) => c.Execute("DELETE FROM build_file_hashes", t));

    /// <summary>Every cache row for `system df`: key, layer size, times, and whether an image also uses its layer.</summary>
    public IReadOnlyList<(string Key, long Size, DateTimeOffset Created, DateTimeOffset LastUsed, bool UsedByImage)> ListBuildCache() => Read(c => c.Query(
        "SELECT key, size, created, last_used, chain_id IS NOT NULL AND EXISTS (SELECT 1 FROM image_layers il WHERE il.chain_id = build_cache.chain_id) FROM build_cache ORDER BY last_used DESC",
        r => (r.GetString(0), r.GetInt64(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), r.GetInt64(4) != 0)));
}
