using Berth.Engine.Metadata.Database;

namespace Berth.Engine.Metadata;

/// <summary>A container's health row: Docker's State.Health (status, failing streak, last results as JSON) and the run it belongs to.</summary>
/// <param name="RunStarted">The container's StartedAt when this run's checks began; results of an older run are dropped.</param>
public sealed record HealthRow(string ContainerId, string Status, int FailingStreak, string LogJson, DateTimeOffset? RunStarted);

public sealed partial class MetadataStore
{
    const string HealthColumns = "container_id, status, failing_streak, log, run_started";

    static HealthRow ReadHealth(DatabaseRow r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), ReadTime(r, 4));

    static HealthRow? GetHealth(string id, DatabaseConnection c, DatabaseTransaction? t) =>
        c.Query($"SELECT {HealthColumns} FROM container_health WHERE container_id = $i", ReadHealth, t, ("$i", id)).FirstOrDefault();

    /// <summary>The health row of a container, or null when it never ran with a healthcheck.</summary>
    public HealthRow? GetHealth(string id) => Read(c => GetHealth(id, c, null));

    /// <summary>Every health row by container ID (one query, for `ps`).</summary>
    public IReadOnlyDictionary<string, HealthRow> AllHealth() =>
        Read(c => c.Query($"SELECT {HealthColumns} FROM container_health", ReadHealth)).ToDictionary(h => h.ContainerId, StringComparer.Ordinal);

    /// <summary>
    /// Changes a container's health row in one IMMEDIATE transaction: <paramref name="change"/> sees the current row (or null)
    /// and the container's row (null when it is gone) and returns the new row, or null to leave it as it is.
    /// </summary>
    /// <returns>The row written, or null when nothing was written.</returns>
    public HealthRow? UpdateHealth(string id, Func<HealthRow?, ContainerRow?, HealthRow?> change) => Write((c, t) =>
    {
        var container = c.Query($"SELECT {ContainerColumns} FROM containers WHERE id = $i", ReadContainer, t, ("$i", id)).FirstOrDefault();
        var next = change(GetHealth(id, c, t), container);
        if (next is null || container is null) return null;
        c.Execute($"INSERT INTO container_health({HealthColumns}) VALUES ($i, $s, $f, $l, $r) " +
                  "ON CONFLICT(container_id) DO UPDATE SET status = $s, failing_streak = $f, log = $l, run_started = $r", t,
            ("$i", id), ("$s", next.Status), ("$f", next.FailingStreak), ("$l", next.LogJson), ("$r", Time(next.RunStarted)));
        return next;
    });
}
