using System.Globalization;
using Berth.Engine.Content;
using Berth.Engine.Metadata.Database;

namespace Berth.Engine.Metadata;

public sealed partial class MetadataStore
{
    const string ContainerColumns =
        "id, name, image_id, created, status, pid, monitor_pid, exit_code, started_at, finished_at, oom_killed, error, restart_count, settings";

    static string? Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
    static DateTimeOffset? ReadTime(DatabaseRow r, int column) =>
        r.IsDBNull(column) ? null : DateTimeOffset.Parse(r.GetString(column), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    static ContainerRow ReadContainer(DatabaseRow r) => new(
        r.GetString(0), r.GetString(1), Digest.Parse(r.GetString(2)), ReadTime(r, 3)!.Value,
        new ContainerState(Enum.Parse<ContainerStatus>(r.GetString(4), ignoreCase: true), r.GetInt32(5), r.GetInt32(6), r.GetInt32(7),
            ReadTime(r, 8), ReadTime(r, 9), r.GetInt64(10) != 0, r.GetString(11), r.GetInt32(12)),
        r.GetBlob(13));

    /// <summary>Adds a container and the layers it mounts; throws <see cref="ConflictException"/> when the name is taken.</summary>
    public void AddContainer(ContainerRow row, IReadOnlyList<Digest> chainIds, IReadOnlyList<string> volumes, DatabaseConnection c, DatabaseTransaction t)
    {
        if (c.Scalar("SELECT id FROM containers WHERE name = $n", t, ("$n", row.Name)) is string owner)
            throw NameConflict(row.Name, owner);
        c.Execute($"INSERT INTO containers({ContainerColumns}) VALUES ($id, $name, $image, $created, $status, 0, 0, 0, NULL, NULL, 0, '', 0, $settings)", t,
            ("$id", row.Id), ("$name", row.Name), ("$image", row.ImageId.ToString()), ("$created", Time(row.Created)),
            ("$status", row.State.StatusText), ("$settings", System.Text.Encoding.UTF8.GetString(row.Settings)));
        foreach (var chain in chainIds.Distinct())
            c.Execute("INSERT INTO container_layers(container_id, chain_id) VALUES ($i, $c)", t, ("$i", row.Id), ("$c", chain.ToString()));
        foreach (var volume in volumes.Distinct())
            c.Execute("INSERT INTO container_volumes(container_id, volume) VALUES ($i, $v)", t, ("$i", row.Id), ("$v", volume));
    }

    /// <summary>IDs of the containers that mount a volume.</summary>
    public IReadOnlyList<string> ContainersUsingVolume(string volume) => Read(c => c.Query(
        "SELECT container_id FROM container_volumes WHERE volume = $v ORDER BY container_id", r => r.GetString(0), null, ("$v", volume)));

    internal static ConflictException NameConflict(string name, string owner) => new(
        $"Conflict. The container name \"/{name}\" is already in use by container \"{owner}\". You have to remove (or rename) that container to be able to reuse that name.");

    public ContainerRow? GetContainer(string id) =>
        Read(c => c.Query($"SELECT {ContainerColumns} FROM containers WHERE id = $i", ReadContainer, null, ("$i", id)).FirstOrDefault());

    public ContainerRow? GetContainerByName(string name) =>
        Read(c => c.Query($"SELECT {ContainerColumns} FROM containers WHERE name = $n", ReadContainer, null, ("$n", name)).FirstOrDefault());

    public IReadOnlyList<string> FindContainersByPrefix(string prefix) => Read(c => c.Query(
        "SELECT id FROM containers WHERE id >= $lo AND id < $hi ORDER BY id", r => r.GetString(0), null,
        ("$lo", prefix), ("$hi", prefix + "\uffff")));

    /// <summary>Every container, newest first.</summary>
    public IReadOnlyList<ContainerRow> ListContainers() =>
        Read(c => c.Query($"SELECT {ContainerColumns} FROM containers ORDER BY created DESC, id", ReadContainer));

    public IReadOnlyList<ContainerRow> ContainersOfImage(Digest imageId) => Read(c => c.Query(
        $"SELECT {ContainerColumns} FROM containers WHERE image_id = $i ORDER BY created DESC", ReadContainer, null, ("$i", imageId.ToString())));

    /// <summary>Writes a container's state; false when the row is gone.</summary>
    public bool SetContainerState(string id, ContainerState s) => Write((c, t) => c.Execute(
        "UPDATE containers SET status = $s, pid = $p, monitor_pid = $m, exit_code = $e, started_at = $sa, finished_at = $fa, oom_killed = $o, error = $err, restart_count = $rc WHERE id = $i", t,
        ("$s", s.StatusText), ("$p", s.Pid), ("$m", s.MonitorPid), ("$e", s.ExitCode), ("$sa", Time(s.StartedAt)), ("$fa", Time(s.FinishedAt)),
        ("$o", s.OomKilled ? 1 : 0), ("$err", s.Error), ("$rc", s.RestartCount), ("$i", id)) > 0);

    public void SetContainerSettings(string id, string settings) =>
        Write((c, t) => c.Execute("UPDATE containers SET settings = $s WHERE id = $i", t, ("$s", settings), ("$i", id)));

    public void RenameContainer(string id, string newName) => Write((c, t) =>
    {
        if (c.Scalar("SELECT id FROM containers WHERE name = $n", t, ("$n", newName)) is string owner)
            throw NameConflict(newName, owner);
        c.Execute("UPDATE containers SET name = $n WHERE id = $i", t, ("$n", newName), ("$i", id));
    });

    public bool DeleteContainer(string id) => Write((c, t) => c.Execute("DELETE FROM containers WHERE id = $i", t, ("$i", id)) > 0);
}
