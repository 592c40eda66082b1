namespace Berth.Engine.Metadata.Schema;

/// <summary>Images, their layers and blobs, tags, repo digests, and leases that pin layers while a writer works.</summary>
static class ImagesSchema
{
    public static readonly SchemaComponent Component = new(
        "images",
        [
            """
            CREATE TABLE images (
                id TEXT PRIMARY KEY,
                created TEXT,
                parent TEXT,
                added INTEGER NOT NULL
            );
            CREATE TABLE layers (
                chain_id TEXT PRIMARY KEY,
                diff_id TEXT NOT NULL,
                parent TEXT,
                size INTEGER NOT NULL
            );
            CREATE TABLE image_layers (
                image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                chain_id TEXT NOT NULL REFERENCES layers(chain_id),
                PRIMARY KEY (image_id, position)
            );
            CREATE INDEX image_layers_by_chain ON image_layers(chain_id);
            CREATE TABLE layer_blobs (
                diff_id TEXT NOT NULL,
                digest TEXT NOT NULL,
                media_type TEXT NOT NULL,
                size INTEGER NOT NULL,
                PRIMARY KEY (diff_id, digest)
            );
            CREATE TABLE blob_sources (
                digest TEXT NOT NULL,
                registry TEXT NOT NULL,
                repository TEXT NOT NULL,
                PRIMARY KEY (digest, registry, repository)
            );
            CREATE TABLE tags (
                name TEXT PRIMARY KEY,
                image_id TEXT NOT NULL REFERENCES images(id),
                added INTEGER NOT NULL
            );
            CREATE INDEX tags_by_image ON tags(image_id);
            CREATE TABLE repo_digests (
                repository TEXT NOT NULL,
                digest TEXT NOT NULL,
                image_id TEXT NOT NULL REFERENCES images(id),
                PRIMARY KEY (repository, digest)
            );
            CREATE INDEX repo_digests_by_image ON repo_digests(image_id);
            CREATE TABLE leases (
                id TEXT PRIMARY KEY,
                pid INTEGER NOT NULL,
                created INTEGER NOT NULL
            );
            CREATE TABLE lease_resources (
                lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                resource TEXT NOT NULL,
                PRIMARY KEY (lease_id, kind, resource)
            );
            """,
        ],
        [
            "SELECT 1 FROM image_layers WHERE chain_id = $c LIMIT 1",
            "SELECT 1 FROM layers WHERE parent = $c LIMIT 1",
            "SELECT 1 FROM lease_resources WHERE kind = 'layer' AND resource = $c LIMIT 1",
        ]);
}
