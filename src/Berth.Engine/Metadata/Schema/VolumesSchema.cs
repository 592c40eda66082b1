namespace Berth.Engine.Metadata.Schema;

/// <summary>Volumes (name, driver, creation time, anonymous flag) and their labels and driver options.</summary>
static class VolumesSchema
{
    public static readonly SchemaComponent Component = new(
        "volumes",
        [
            """
            CREATE TABLE volumes (
                name TEXT PRIMARY KEY,
                driver TEXT NOT NULL,
                created INTEGER NOT NULL,
                anonymous INTEGER NOT NULL
            );
            CREATE TABLE volume_properties (
                volume TEXT NOT NULL REFERENCES volumes(name) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (volume, kind, key)
            );
            """,
        ],
        []);
}
