using Berth.Engine.Content;
using Berth.Engine.Metadata.Database;

namespace Berth.Engine.Metadata;

/// <summary>A registry repository known to hold a blob (from a pull or push): lets push skip or mount it.</summary>
public sealed record BlobSourceRecord(Digest Digest, string Registry, string Repository);

public sealed partial class MetadataStore
{
    public void AddBlobSource(BlobSourceRecord source, DatabaseConnection connection, DatabaseTransaction transaction)
        => connection.Execute("INSERT OR IGNORE INTO blob_sources(digest, registry, repository) VALUES ($d, $r, $p)", transaction,
            ("$d", source.Digest.ToString()), ("$r", source.Registry), ("$p", source.Repository));

    /// <summary>The repositories a blob is known to be in, on any registry.</summary>
    public IReadOnlyList<BlobSourceRecord> BlobSources(Digest digest) => Read(c => c.Query(
        "SELECT digest, registry, repository FROM blob_sources WHERE digest = $d ORDER BY registry, repository",
        r => new BlobSourceRecord(Digest.Parse(r.GetString(0)), r.GetString(1), r.GetString(2)), null, ("$d", digest.ToString())));

    /// <summary>Whether a blob digest is some layer's compressed form (kept so a later push can reuse it).</summary>
    public bool IsLayerBlob(Digest digest) => Read(c => c.Scalar("SELECT 1 FROM layer_blobs WHERE digest = $d LIMIT 1", null, ("$d", digest.ToString())) is not null);
}

public sealed partial class MetadataStore
{
    /// <summary>The tag names (canonical <c>repository:tag</c>) of one repository, e.g. for `push --all-tags`.</summary>
    public IReadOnlyList<string> TagsOfRepository(string repository) => Read(c => c.Query(
        "SELECT name FROM tags WHERE substr(name, 1, length($r) + 1) = $r || ':' ORDER BY name", r => r.GetString(0), null, ("$r", repository)))
        .Where(n => n[(repository.Length + 1)..] is var tag && !tag.Contains('/') && !tag.Contains(':')).ToList();
}
