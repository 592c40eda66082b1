namespace Berth.Engine.Metadata.Schema;

/// <summary>
/// The build cache: one row per built step, keyed by a digest of its inputs (parent state, expanded instruction, build
/// args it uses, source contents), holding the state after the step (image config JSON and top layer). Its layer keeps
/// the step's layers (and their parents) from garbage collection until <c>builder prune</c>.
/// </summary>
static class BuildCacheSchema
{
    public static readonly SchemaComponent Component = new(
        "build_cache",
        [
            """
            CREATE TABLE build_cache (
                key TEXT PRIMARY KEY,
                parent_key TEXT NOT NULL,
                instruction TEXT NOT NULL,
                args TEXT NOT NULL,
                sources TEXT NOT NULL,
                config BLOB NOT NULL,
                chain_id TEXT,
                size INTEGER NOT NULL,
                created INTEGER NOT NULL,
                last_used INTEGER NOT NULL
            );
            CREATE INDEX build_cache_by_parent ON build_cache(parent_key);
            CREATE INDEX build_cache_by_chain ON build_cache(chain_id);
            """,
            // Content hashes of context files by path and stat identity (never by mtime alone): a rebuild rehashes only what changed.
            """
            CREATE TABLE build_file_hashes (
                path TEXT PRIMARY KEY,
                identity TEXT NOT NULL,
                hash TEXT NOT NULL,
                used INTEGER NOT NULL
            );
            """,
            // The ID a build printed for the step's state (sha256 of its config): `run`, `inspect`, `tag` ... accept it as
            // Docker's legacy builder's intermediate images are accepted. Rows from before this column stay without one.
            """
            ALTER TABLE build_cache ADD COLUMN image_id TEXT;
            CREATE INDEX build_cache_by_image ON build_cache(image_id);
            """,
        ],
        ["SELECT 1 FROM build_cache WHERE chain_id = $c LIMIT 1"]);
}
