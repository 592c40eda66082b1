using System.Text.RegularExpressions;
using Berth.Engine.Metadata;
using Berth.Engine.Snapshots;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Volumes;

/// <summary>Local volumes: directories under <c>&lt;root&gt;/volumes/NAME/_data</c> with Docker's names, labels, options and refusals.</summary>
/// <remarks>
/// Create and remove hold the store's "volumes" lock, so two processes never race a directory against a row:
/// the directory is made before the row is inserted and deleted after the row is gone. A caller that records
/// a container's use of a volume should do it inside <see cref="Lock"/> so that a concurrent remove or prune
/// sees the user (the lock is re-entrant within one async flow, so GetOrCreate may be called inside it).
/// </remarks>
public sealed partial class VolumeService(BerthStore store)
{
    public const string LocalDriver = "local";
    /// <summary>The label Docker 23+ puts on anonymous volumes; prune without --all removes only these.</summary>
    public const string AnonymousLabel = "com.docker.volume.anonymous";
    static readonly HashSet<string> LocalOptions = ["type", "o", "device", "size"];

    /// <summary>IDs of the containers that use a volume; set by the container service (none until it exists).</summary>
    public Func<string, IReadOnlyList<string>> VolumeUsers { get; set; } = _ => [];

    readonly AsyncLocal<int> _lockDepth = new();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex ValidName();

    /// <summary>Holds the cross-process volumes lock (re-entrant within the calling flow).</summary>
    public IDisposable Lock()
    {
        if (_lockDepth.Value > 0) { _lockDepth.Value++; return new Release(this, null); }
        var held = StoreLock.Exclusive(store.LockDirectory, "volumes");
        _lockDepth.Value = 1;
        return new Release(this, held);
    }

    sealed class Release(VolumeService owner, StoreLock? held) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            owner._lockDepth.Value--;
            held?.Dispose();
        }
    }

    public string MountpointOf(string name) => Path.Combine(store.VolumesDirectory, name, "_data");

    /// <summary>Creates a volume (a random 64-hex name when <paramref name="name"/> is null); an existing name is returned as it is, as Docker does.</summary>
    public VolumeRecord Create(string? name, IReadOnlyDictionary<string, string>? labels = null, IReadOnlyDictionary<string, string>? options = null,
        bool anonymous = false, string driver = LocalDriver)
        => CreateCore(name, labels, options, anonymous || name is null, driver, out _);

    /// <summary>The named volume, created (not anonymous, no labels) if missing: what `run -v NAME:/path` needs.</summary>
    public VolumeRecord GetOrCreate(string name, out bool created) => CreateCore(name, null, null, false, LocalDriver, out created);

    VolumeRecord CreateCore(string? name, IReadOnlyDictionary<string, string>? labels, IReadOnlyDictionary<string, string>? options, bool anonymous, string driver, out bool created)
    {
        name ??= Identifiers.KernelRandom.Hex(32);
        Validate(name, driver, options);
        var labelMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in labels ?? new Dictionary<string, string>()) labelMap[k] = v;
        if (anonymous) labelMap[AnonymousLabel] = "";
        var optionMap = new SortedDictionary<string, string>(options?.ToDictionary() ?? [], StringComparer.Ordinal);
        using (Lock())
        {
            if (store.Metadata.GetVolume(name) is { } existing)
            {
                if (existing.Driver != driver)
                    throw new ConflictException($"create {name}: a volume with the name {name} already exists with the {existing.Driver} driver. Choose a different volume name");
                created = false;
                return ToRecord(existing);
            }
            string dir = Path.Combine(store.VolumesDirectory, name);
            Directory.CreateDirectory(MountpointOf(name));
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // 0700, as Docker's volumes/NAME
            PosixDirectory.Sync(store.VolumesDirectory);
            var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()); // what the row keeps
            var row = new MetadataStore.VolumeRow(name, driver, now, anonymous, labelMap, optionMap);
            store.Metadata.Write((c, t) => store.Metadata.AddVolume(row, c, t));
            created = true;
            return ToRecord(row);
        }
    }

    static void Validate(string name, string driver, IReadOnlyDictionary<string, string>? options)
    {
        if (driver != LocalDriver)
            throw new NotFoundException($"create {name}: error looking up volume plugin {driver}: plugin \"{driver}\" not found");
        if (!ValidName().IsMatch(name))
            throw new InvalidInputException($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
        if (options is null) return;
        foreach (var key in options.Keys.Order(StringComparer.Ordinal))
            if (!LocalOptions.Contains(key)) throw new InvalidInputException($"create {name}: invalid option: \"{key}\"");
        if (options.ContainsKey("device") && !options.ContainsKey("type"))
            throw new InvalidInputException($"create {name}: missing required option: \"type\"");
        if (options.ContainsKey("size"))
            throw new InvalidInputException($"create {name}: quota size requested but no quota support");
    }

    public VolumeRecord Inspect(string name)
        => store.Metadata.GetVolume(name) is { } row ? ToRecord(row) : throw new NotFoundException($"get {name}: no such volume");

    public VolumeRecord? TryInspect(string name) => store.Metadata.GetVolume(name) is { } row ? ToRecord(row) : null;

    /// <summary>Every volume, ordered by name.</summary>
    public IReadOnlyList<VolumeRecord> List() => store.Metadata.ListVolumes().Select(ToRecord).ToList();

    /// <summary>Removes a volume no container uses. <paramref name="force"/> makes a missing volume no error (Docker's rm -f); a used one is still refused.</summary>
    public void Remove(string name, bool force)
    {
        using (Lock())
        {
            if (store.Metadata.GetVolume(name) is null)
            {
                if (force) return;
                throw new NotFoundException($"get {name}: no such volume");
            }
            var users = VolumeUsers(name);
            if (users.Count > 0) throw new ConflictException($"remove {name}: volume is in use - [{string.Join(", ", users)}]");
            store.Metadata.Write((c, t) => store.Metadata.DeleteVolume(name, c, t));
            DeleteDirectory(name);
        }
    }

    void DeleteDirectory(string name)
    {
        string dir = Path.Combine(store.VolumesDirectory, name);
        if (!Directory.Exists(dir)) return;
        string trash = Path.Combine(store.Root, "trash");
        Directory.CreateDirectory(trash);
        string doomed = Path.Combine(trash, "volume-" + Guid.NewGuid().ToString("N"));
        try { Directory.Move(dir, doomed); }
        catch (IOException) { doomed = dir; }
        SnapshotStore.DeleteTree(doomed);
    }

    /// <summary>Bytes the volume's files take (apparent size, hard links once), as `system df -v` shows.</summary>
    public long MeasureSize(VolumeRecord volume) => Directory.Exists(volume.Mountpoint) ? SnapshotStore.MeasureSize(volume.Mountpoint) : 0;

    /// <summary>
    /// Removes volumes no container uses: only anonymous ones unless <paramref name="all"/> (Docker 23+), those matching
    /// every label filter. With <paramref name="dryRun"/> nothing is removed and the result says what would be.
    /// </summary>
    public VolumePruneResult Prune(bool all, IReadOnlyList<LabelFilter> filters, bool dryRun = false)
    {
        var deleted = new List<string>();
        long reclaimed = 0;
        using (Lock())
        {
            foreach (var volume in List())
            {
                if (!all && !volume.Anonymous) continue;
                if (!filters.All(f => f.Matches(volume.Labels))) continue;
                if (VolumeUsers(volume.Name).Count > 0) continue;
                long size = MeasureSize(volume);
                if (!dryRun)
                {
                    store.Metadata.Write((c, t) => store.Metadata.DeleteVolume(volume.Name, c, t));
                    DeleteDirectory(volume.Name);
                }
                deleted.Add(volume.Name);
                reclaimed += size;
            }
        }
        return new VolumePruneResult(deleted, reclaimed);
    }

    /// <summary>Volume directories on disk that have no row (a crash between mkdir and insert): for `system check`.</summary>
    public IReadOnlyList<string> OrphanDirectories()
    {
        var known = store.Metadata.ListVolumes().Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        return Directory.EnumerateDirectories(store.VolumesDirectory).Select(Path.GetFileName).OfType<string>()
            .Where(n => !known.Contains(n)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Deletes a volume directory that has no row (under the lock, after checking again).</summary>
    public bool RemoveOrphanDirectory(string name)
    {
        using (Lock())
        {
            if (store.Metadata.GetVolume(name) is not null) return false;
            DeleteDirectory(name);
            return true;
        }
    }

    VolumeRecord ToRecord(MetadataStore.VolumeRow row) => new(row.Name, row.Driver, MountpointOf(row.Name), row.Created, row.Labels, row.Options, row.Anonymous);
}

/// <summary>What a volume prune removed (or would remove, on a dry run) and the bytes that frees.</summary>
public sealed record VolumePruneResult(IReadOnlyList<string> Deleted, long SpaceReclaimed);
