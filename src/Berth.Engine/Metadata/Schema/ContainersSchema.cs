namespace Berth.Engine.Metadata.Schema;

/// <summary>Containers: one row each (state columns, settings as JSON), the image layers and the volumes each one mounts.</summary>
static class ContainersSchema
{
    public static readonly SchemaComponent Component = new(
        "containers",
        [
            """
            CREATE TABLE containers (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                image_id TEXT NOT NULL,
                created TEXT NOT NULL,
                status TEXT NOT NULL,
                pid INTEGER NOT NULL DEFAULT 0,
                monitor_pid INTEGER NOT NULL DEFAULT 0,
                exit_code INTEGER NOT NULL DEFAULT 0,
                started_at TEXT,
                finished_at TEXT,
                oom_killed INTEGER NOT NULL DEFAULT 0,
                error TEXT NOT NULL DEFAULT '',
                restart_count INTEGER NOT NULL DEFAULT 0,
                settings TEXT NOT NULL
            );
            CREATE INDEX containers_by_image ON containers(image_id);
            CREATE TABLE container_layers (
                container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
                chain_id TEXT NOT NULL,
                PRIMARY KEY (container_id, chain_id)
            );
            CREATE INDEX container_layers_by_chain ON container_layers(chain_id);
            CREATE TABLE container_volumes (
                container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
                volume TEXT NOT NULL,
                PRIMARY KEY (container_id, volume)
            );
            CREATE INDEX container_volumes_by_volume ON container_volumes(volume);
            """,
        ],
        [
            "SELECT 1 FROM container_layers WHERE chain_id = $c LIMIT 1",
        ]);
}
