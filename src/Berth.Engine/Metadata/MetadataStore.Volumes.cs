using Berth.Engine.Metadata.Database;

namespace Berth.Engine.Metadata;

/// <summary>Volume rows: the directory is made before the row and removed after it, so a row always has its directory.</summary>
public sealed partial class MetadataStore
{
    /// <summary>A volume row without its mount point (the service knows where volumes live).</summary>
    public sealed record VolumeRow(string Name, string Driver, DateTimeOffset Created, bool Anonymous,
        IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Options);

    const string LabelKind = "label", OptionKind = "option";

    /// <summary>Inserts a volume unless one of that name exists; returns whether it inserted.</summary>
    public bool AddVolume(VolumeRow volume, DatabaseConnection connection, DatabaseTransaction transaction)
    {
        int inserted = connection.Execute("INSERT OR IGNORE INTO volumes(name, driver, created, anonymous) VALUES ($n, $d, $c, $a)", transaction,
            ("$n", volume.Name), ("$d", volume.Driver), ("$c", volume.Created.ToUnixTimeMilliseconds()), ("$a", volume.Anonymous ? 1L : 0L));
        if (inserted == 0) return false;
        foreach (var (kind, map) in new[] { (LabelKind, volume.Labels), (OptionKind, volume.Options) })
            foreach (var (key, value) in map)
                connection.Execute("INSERT INTO volume_properties(volume, kind, key, value) VALUES ($n, $k, $key, $v)", transaction,
                    ("$n", volume.Name), ("$k", kind), ("$key", key), ("$v", value));
        return true;
    }

    public VolumeRow? GetVolume(string name, DatabaseConnection connection, DatabaseTransaction? transaction = null)
        => ReadVolumes(connection, transaction, name).FirstOrDefault();

    public VolumeRow? GetVolume(string name) => Read(c => GetVolume(name, c));

    /// <summary>Every volume, ordered by name.</summary>
    public IReadOnlyList<VolumeRow> ListVolumes() => Read(c => ReadVolumes(c, null, null));

    public bool DeleteVolume(string name, DatabaseConnection connection, DatabaseTransaction transaction)
        => connection.Execute("DELETE FROM volumes WHERE name = $n", transaction, ("$n", name)) > 0;

    static List<VolumeRow> ReadVolumes(DatabaseConnection connection, DatabaseTransaction? transaction, string? name)
    {
        string where = name is null ? "" : " WHERE volume = $n";
        var properties = new Dictionary<string, (Dictionary<string, string> Labels, Dictionary<string, string> Options)>();
        foreach (var (volume, kind, key, value) in connection.Query("SELECT volume, kind, key, value FROM volume_properties" + where,
                     r => (r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)), transaction, ("$n", name)))
        {
            if (!properties.TryGetValue(volume, out var p)) properties[volume] = p = ([], []);
            (kind == LabelKind ? p.Labels : p.Options)[key] = value;
        }
        return connection.Query("SELECT name, driver, created, anonymous FROM volumes" + (name is null ? "" : " WHERE name = $n") + " ORDER BY name", r =>
        {
            string n = r.GetString(0);
            properties.TryGetValue(n, out var p);
            return new VolumeRow(n, r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)), r.GetInt64(3) != 0,
                p.Labels ?? new Dictionary<string, string>(), p.Options ?? new Dictionary<string, string>());
        }, transaction, ("$n", name));
    }
}
