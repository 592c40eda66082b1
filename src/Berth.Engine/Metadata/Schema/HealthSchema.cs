namespace Berth.Engine.Metadata.Schema;

/// <summary>Healthchecks: one row per container that has run with one (its status, failing streak, last results as JSON, and the run it belongs to).</summary>
static class HealthSchema
{
    public static readonly SchemaComponent Component = new(
        "health",
        [
            """
            CREATE TABLE container_health (
                container_id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
                status TEXT NOT NULL,
                failing_streak INTEGER NOT NULL DEFAULT 0,
                log TEXT NOT NULL DEFAULT '[]',
                run_started TEXT
            );
            """,
        ],
        []);
}
