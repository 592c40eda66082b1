using Berth.Engine.Content;

namespace Berth.Engine.Snapshots;

/// <summary>Unpacked layers (one directory per chain ID, used as overlay lower dirs) and active read/write snapshots.</summary>
/// <remarks>
/// A layer is unpacked into <c>tmp/</c> and renamed into <c>snapshots/&lt;chain&gt;</c> only when complete, so a
/// crash never leaves a half-unpacked layer under its name; two processes unpacking the same layer race
/// harmlessly (the loser discards its copy). Short links under <c>l/</c> keep overlay mount options
/// under the kernel's one-page limit, as Docker's overlay2 driver does.
/// </remarks>
public sealed class SnapshotStore
{
    readonly string _snapshots;
    readonly string _tmp;
    readonly string _links;
    readonly string _trash;

    public SnapshotStore(string root)
    {
        _snapshots = Path.Combine(root, "snapshots");
        _tmp = Path.Combine(root, "tmp");
        _links = Path.Combine(root, "l");
        _trash = Path.Combine(root, "trash");
        foreach (var d in new[] { _snapshots, _tmp, _links, _trash }) Directory.CreateDirectory(d);
    }

    public string SnapshotsDirectory => _snapshots;

    static string Key(Digest chainId) => chainId.Hex;

    /// <summary>The unpacked contents of a committed layer.</summary>
    public string LayerDirectory(Digest chainId) => Path.Combine(_snapshots, Key(chainId), "fs");

    public bool HasLayer(Digest chainId) => Directory.Exists(LayerDirectory(chainId));

    /// <summary>A fresh directory to unpack a layer into; pass it to <see cref="CommitLayer"/> or <see cref="Discard"/>.</summary>
    public string PrepareTemporary()
    {
        string dir = Path.Combine(_tmp, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "fs"));
        return dir;
    }

    public static string FsOf(string snapshotDirectory) => Path.Combine(snapshotDirectory, "fs");

    /// <summary>Moves a completely unpacked temporary snapshot under its chain ID; returns false if another writer got there first.</summary>
    public bool CommitLayer(string temporary, Digest chainId)
    {
        string target = Path.Combine(_snapshots, Key(chainId));
        if (Directory.Exists(target)) { Discard(temporary); return false; }
        try
        {
            Directory.Move(temporary, target);
            PosixDirectory.Sync(_snapshots);
            return true;
        }
        catch (IOException) when (Directory.Exists(target))
        {
            Discard(temporary);
            return false;
        }
    }

    /// <summary>Creates a read/write snapshot (upper + work dirs) for a container or build step.</summary>
    public ActiveSnapshot PrepareActive(string key, IReadOnlyList<Digest> chainIds)
    {
        string dir = Path.Combine(_snapshots, "active-" + key);
        Directory.CreateDirectory(Path.Combine(dir, "fs"));
        Directory.CreateDirectory(Path.Combine(dir, "work"));
        return new ActiveSnapshot(key, dir, LowerDirectories(chainIds));
    }

    public ActiveSnapshot? FindActive(string key, IReadOnlyList<Digest> chainIds)
    {
        string dir = Path.Combine(_snapshots, "active-" + key);
        return Directory.Exists(dir) ? new ActiveSnapshot(key, dir, LowerDirectories(chainIds)) : null;
    }

    public void RemoveActive(string key) => RemoveDirectory(Path.Combine(_snapshots, "active-" + key));

    /// <summary>Overlay lower dirs for an image's layers (given base first), top layer first, through short links.</summary>
    public IReadOnlyList<string> LowerDirectories(IReadOnlyList<Digest> chainIds)
    {
        var dirs = new List<string>(chainIds.Count);
        for (int i = chainIds.Count - 1; i >= 0; i--) dirs.Add(ShortPath(chainIds[i]));
        return dirs;
    }

    string ShortPath(Digest chainId)
    {
        string target = LayerDirectory(chainId);
        for (int length = 12; length <= chainId.Hex.Length; length += 8)
        {
            string link = Path.Combine(_links, chainId.Hex[..length]);
            var info = new FileInfo(link);
            if (info.LinkTarget is { } existing)
            {
                if (existing == target) return link;
                continue; // a prefix collision: use a longer name
            }
            try { File.CreateSymbolicLink(link, target); return link; }
            catch (IOException) when (new FileInfo(link).LinkTarget == target) { return link; }
            catch (IOException) { }
        }
        return target;
    }

    public void RemoveLayer(Digest chainId)
    {
        for (int length = 12; length <= chainId.Hex.Length; length += 8)
        {
            string link = Path.Combine(_links, chainId.Hex[..length]);
            if (new FileInfo(link).LinkTarget == LayerDirectory(chainId)) File.Delete(link);
        }
        RemoveDirectory(Path.Combine(_snapshots, Key(chainId)));
    }

    public void Discard(string temporary) => RemoveDirectory(temporary);

    /// <summary>Renames first (atomic: the name disappears at once), then deletes the tree.</summary>
    void RemoveDirectory(string dir)
    {
        if (!Directory.Exists(dir)) return;
        string doomed = Path.Combine(_trash, Guid.NewGuid().ToString("N"));
        try { Directory.Move(dir, doomed); }
        catch (IOException) { doomed = dir; }
        DeleteTree(doomed);
    }

    internal static void DeleteTree(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (UnauthorizedAccessException)
        {
            // Read-only directories from a layer (mode 0555) block deletion: make them writable first.
            foreach (var d in Directory.EnumerateDirectories(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
                File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Deletes leftovers of interrupted work (tmp/ and trash/ entries).</summary>
    public int RemoveLeftovers()
    {
        int removed = 0;
        foreach (var d in Directory.EnumerateDirectories(_tmp).Concat(Directory.EnumerateDirectories(_trash)))
        {
            try { DeleteTree(d); removed++; } catch (IOException) { }
        }
        return removed;
    }

    /// <summary>Chain IDs of every committed layer directory on disk.</summary>
    public IEnumerable<Digest> ListLayers()
    {
        foreach (var dir in Directory.EnumerateDirectories(_snapshots))
        {
            string name = Path.GetFileName(dir);
            if (Digest.TryParse(Digest.Sha256 + ":" + name, out var d)) yield return d;
        }
    }

    /// <summary>Apparent size of a tree the way Docker counts a layer: every non-directory's size, hard links once.</summary>
    public static long MeasureSize(string dir)
    {
        long total = 0;
        var seen = new HashSet<(long, long)>();
        // A size estimate: an unreadable corner must not fail it, nor a tree that another process removes meanwhile
        // (a prune sizing a container that its `run --rm` is deleting): what is gone counts for nothing.
        try
        {
            foreach (var entry in FileEnumeration.Tree(dir, ignoreInaccessible: true))
            {
                try
                {
                    if (entry.LinkTarget is { } link) { total += System.Text.Encoding.UTF8.GetByteCount(link); continue; }
                    if (entry is DirectoryInfo) continue;
                    var file = (FileInfo)entry;
                    if (PosixFileInfo.TryGetInode(file.FullName, out var dev, out var ino, out var nlink) && nlink > 1 && !seen.Add((dev, ino))) continue;
                    total += file.Length;
                }
                catch (FileNotFoundException) { }
                catch (DirectoryNotFoundException) { }
            }
        }
        catch (DirectoryNotFoundException) { }
        return total;
    }
}

/// <summary>A read/write snapshot: overlay upper and work dirs over a list of lower dirs (top first).</summary>
public sealed record ActiveSnapshot(string Key, string Directory, IReadOnlyList<string> LowerDirectories)
{
    public string UpperDirectory => Path.Combine(Directory, "fs");
    public string WorkDirectory => Path.Combine(Directory, "work");
}
