using Berth.Engine.Content;
using Berth.Engine.Metadata;
using Berth.Engine.Snapshots;

namespace Berth.Engine.Store;

/// <summary>One Berth store root: content store, snapshots, metadata and locks, opened together.</summary>
public sealed class BerthStore
{
    public const string DefaultRoot = "/var/lib/berth";
    const string DatabaseFileName = "berth.db";

    public string Root { get; }
    public ContentStore Content { get; }
    public SnapshotStore Snapshots { get; }
    /// <summary>The database, opened (and brought up to date) at first use, not with the store: an attached `run` starts its
    /// container's monitor first, so that conmon's start-up overlaps the open.</summary>
    public MetadataStore Metadata => _metadata.Value;
    readonly Lazy<MetadataStore> _metadata;
    public string LockDirectory { get; }
    /// <summary>Runtime state (runtime state dirs, monitor exit files, sockets): gone after a reboot, like /run.</summary>
    public string RunDirectory { get; }
    public string ContainersDirectory { get; }
    public string VolumesDirectory { get; }
    public string TempDirectory { get; }

    BerthStore(string root)
    {
        Root = root;
        Directory.CreateDirectory(root);
        Content = new ContentStore(root);
        Snapshots = new SnapshotStore(root);
        LockDirectory = Path.Combine(root, "locks");
        ContainersDirectory = Path.Combine(root, "containers");
        VolumesDirectory = Path.Combine(root, "volumes");
        TempDirectory = Path.Combine(root, "tmp");
        RunDirectory = root == DefaultRoot ? "/run/berth" : Path.Combine(root, "run");
        foreach (var d in new[] { LockDirectory, ContainersDirectory, VolumesDirectory, TempDirectory, RunDirectory }) Directory.CreateDirectory(d);
        Diagnostics.PhaseTimer.Mark("store: directories");
        string database = Path.Combine(root, DatabaseFileName);
        _metadata = new Lazy<MetadataStore>(() => new MetadataStore(database), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Opens (creating if needed) the store at <paramref name="root"/>, or at BERTH_ROOT, or the default.</summary>
    public static BerthStore Open(string? root = null) => new(ResolveRoot(root));

    /// <summary>Whether a store exists at <paramref name="root"/> (resolved as <see cref="Open"/> does): its database is there.</summary>
    public static bool Exists(string? root = null) => File.Exists(Path.Combine(ResolveRoot(root), DatabaseFileName));

    /// <summary><paramref name="root"/>, else BERTH_ROOT, else the default, as a full path.</summary>
    static string ResolveRoot(string? root)
    {
        root ??= Environment.GetEnvironmentVariable("BERTH_ROOT");
        if (string.IsNullOrWhiteSpace(root)) root = DefaultRoot;
        return Path.GetFullPath(root);
    }

    /// <summary>Held shared by anything that adds references to existing layers or blobs; garbage collection holds it exclusive.</summary>
    public StoreLock ReferenceLock() => StoreLock.Shared(LockDirectory, "gc");
    public StoreLock CollectorLock() => StoreLock.Exclusive(LockDirectory, "gc");
}
