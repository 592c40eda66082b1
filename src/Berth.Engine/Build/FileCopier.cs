using System.Buffers;
using Berth.Engine.Containers;
using Berth.Engine.Layers;
using Microsoft.Win32.SafeHandles;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Build;

/// <summary>A source COPY/ADD resolved to one entry of a tree (wildcards expanded, a named symlink followed).</summary>
/// <param name="WrittenName">The name the source was found under when that was a symlink (a copied file keeps the link's name).</param>
public sealed record ResolvedSource(ISourceTree Tree, ContextFile Entry, string? WrittenName = null)
{
    public string HostPath => Tree.HostPath(Entry.Path);
    public string Name => WrittenName ?? (Entry.Path.Length == 0 ? "" : Entry.Path[(Entry.Path.LastIndexOf('/') + 1)..]);
}

/// <summary>
/// How files land in the image: owner (root unless --chown; <paramref name="PreserveOwners"/>: the source's own, as for
/// <c>COPY --from</c> without --chown), --chmod, and whether local archives are unpacked (ADD).
/// </summary>
public sealed record CopyOptions(uint Uid, uint Gid, uint? Chmod, bool ExtractArchives, bool Chowned, bool PreserveOwners = false);

/// <summary>
/// Copies resolved sources into a root file system with Docker's rules: a directory source copies its contents, a
/// destination ending in '/' (or several sources) is a directory, files keep their mode unless --chmod, owners are
/// root unless --chown, symlinks inside copied directories stay symlinks, ADD unpacks tar archives (compressed or not).
/// </summary>
/// <remarks>
/// The destination is resolved once inside the root (symlinks followed within it); below it, anything in the way that is
/// not a directory is replaced rather than followed, so nothing is ever written outside the root.
/// </remarks>
public sealed class FileCopier(string rootfs, CopyOptions options)
{
    /// <summary>Copies every source to <paramref name="destination"/> (absolute in the container).</summary>
    public async Task CopyAsync(IReadOnlyList<ResolvedSource> sources, string destination, bool destinationIsDirectory, CancellationToken cancellationToken)
    {
        string cleanDest = RootfsPath.Clean(destination);
        foreach (var source in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (source.Entry.IsDirectory)
            {
                string dir = EnsureDirectory(cleanDest, chownCreated: false);
                if (!options.PreserveOwners) ApplyOwner(dir, isDirectory: true);
                CopyTree(source, dir, cancellationToken);
            }
            else if (options.ExtractArchives && await IsArchiveAsync(source.HostPath, cancellationToken).ConfigureAwait(false))
            {
                string dir = EnsureDirectory(cleanDest, chownCreated: false);
                await ExtractAsync(source.HostPath, dir, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                string target = destinationIsDirectory || RootfsPath.IsDirectory(rootfs, cleanDest)
                    ? (cleanDest == "/" ? "/" : cleanDest + "/") + source.Name
                    : cleanDest;
                CopyFileTo(source.HostPath, target);
            }
        }
    }

    /// <summary>Creates a directory and its missing parents (0755, owned by the copy's owner), as WORKDIR does.</summary>
    public void CreateDirectory(string containerPath) => EnsureDirectory(RootfsPath.Clean(containerPath), chownCreated: true);

    /// <summary>Writes a file with the given content (a heredoc source or a download) at a container path.</summary>
    public void WriteFile(string sourceHostPath, string containerPath, uint? modeOverride = null, DateTimeOffset? mtime = null)
    {
        string host = CopyFileTo(sourceHostPath, containerPath, modeOverride);
        if (mtime is { } t) LutimesAt(AT_FDCWD, host, t.ToUnixTimeSeconds(), 0);
    }

    string CopyFileTo(string sourceHost, string containerPath, uint? modeOverride = null)
    {
        string clean = RootfsPath.Clean(containerPath);
        int slash = clean.LastIndexOf('/');
        string parent = EnsureDirectory(slash <= 0 ? "/" : clean[..slash], chownCreated: options.Chowned);
        string host = parent + "/" + clean[(slash + 1)..];
        CopyEntry(sourceHost, host, modeOverride);
        return host;
    }

    /// <summary>Resolves a directory path in the root, creating what is missing (0755; the --chown owner when asked).</summary>
    /// <remarks>
    /// Missing directories are created along the path as resolved inside the root, never along the path as written:
    /// an image symlink such as <c>/abs -&gt; /tmp/x</c> must lead to <c>ROOT/tmp/x</c>, not through the link to the host.
    /// </remarks>
    string EnsureDirectory(string containerPath, bool chownCreated)
    {
        string root = rootfs.TrimEnd('/');
        string host = RootfsPath.Resolve(rootfs, containerPath);
        if (Lstat(AT_FDCWD, host, out var st) == 0)
        {
            if (st.IsDirectory) return host;
            throw new BuildException($"cannot copy to {containerPath}: it exists and is not a directory");
        }
        string current = root;
        string relative = host.Length > root.Length ? host[(root.Length + 1)..] : "";
        foreach (var part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string next = current + "/" + part;
            if (Lstat(AT_FDCWD, next, out var existing) != 0)
            {
                int rc = MkdirAt(AT_FDCWD, next, 0x1ED);
                if (rc != 0 && rc != EEXIST) throw Error(rc, $"mkdir {containerPath}");
                if (Lstat(AT_FDCWD, next, out existing) != 0 || !existing.IsDirectory)
                    throw new BuildException($"cannot copy to {containerPath}: {part} is not a directory");
                ChmodAt(AT_FDCWD, next, 0x1ED);
                if (chownCreated) LchownAt(AT_FDCWD, next, (int)options.Uid, (int)options.Gid);
                else LchownAt(AT_FDCWD, next, 0, 0);
            }
            else if (!existing.IsDirectory) // a symlink here would lead outside: Resolve followed every existing one
                throw new BuildException($"cannot copy to {containerPath}: {part} is not a directory");
            current = next;
        }
        return current;
    }

    void CopyTree(ResolvedSource source, string targetDir, CancellationToken cancellationToken)
    {
        string prefix = source.Entry.Path.Length == 0 ? "" : source.Entry.Path + "/";
        var directories = new List<(string Host, long Mtime)>();
        var files = new List<(string Source, string Target)>();
        foreach (var entry in source.Tree.Below(source.Entry.Path))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string relative = entry.Path[prefix.Length..];
            string host = targetDir + "/" + relative;
            string sourceHost = source.Tree.HostPath(entry.Path);
            if (entry.IsDirectory)
            {
                if (Lstat(AT_FDCWD, host, out var existing) == 0 && !existing.IsDirectory) RemoveAny(host);
                int rc = MkdirAt(AT_FDCWD, host, 0x1ED);
                if (rc != 0 && rc != EEXIST) throw Error(rc, $"mkdir {relative}");
                if (Lstat(AT_FDCWD, sourceHost, out var st) == 0)
                {
                    if (options.PreserveOwners) LchownAt(AT_FDCWD, host, (int)st.Uid, (int)st.Gid);
                    ChmodAt(AT_FDCWD, host, options.Chmod ?? (uint)(st.Mode & 0xFFF));
                    directories.Add((host, st.MtimeSeconds));
                }
                if (!options.PreserveOwners) ApplyOwner(host, isDirectory: true);
            }
            else files.Add((sourceHost, host));
        }
        // Directories first (in order, parents before children), then the files, on every core when there are many.
        if (files.Count < ParallelCopyThreshold)
            foreach (var (from, to) in files) CopyEntry(from, to, null);
        else
        {
            try
            {
                Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                    file => CopyEntry(file.Source, file.Target, null));
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
        // Directory mtimes last: creating their children changed them.
        for (int i = directories.Count - 1; i >= 0; i--) LutimesAt(AT_FDCWD, directories[i].Host, directories[i].Mtime, 0);
    }

    /// <summary>Below this many files a tree is copied on one thread.</summary>
    const int ParallelCopyThreshold = 64;

    void CopyEntry(string sourceHost, string host, uint? modeOverride)
    {
        if (Lstat(AT_FDCWD, sourceHost, out var st) != 0) throw Error(LastError, $"stat {sourceHost}");
        switch (st.FileType)
        {
            case S_IFLNK:
                if (Lstat(AT_FDCWD, host, out _) == 0) RemoveAny(host);
                int rc = SymlinkAt(ReadLink(AT_FDCWD, sourceHost), AT_FDCWD, host);
                if (rc != 0) throw Error(rc, $"symlink {host}");
                LchownAt(AT_FDCWD, host, (int)Owner(st).Uid, (int)Owner(st).Gid);
                LutimesAt(AT_FDCWD, host, st.MtimeSeconds, 0);
                return;
            case S_IFREG:
                CopyRegularFile(sourceHost, host, st, modeOverride ?? options.Chmod ?? (uint)(st.Mode & 0xFFF));
                return;
            default:
                return; // devices, fifos and sockets are not copied
        }
    }

    /// <summary>Whether copy_file_range may work into this root (it cannot into an overlayfs mount from another file system).</summary>
    volatile bool _inKernelCopy = true;

    /// <summary>
    /// Copies a regular file's data and sets its owner, mode and mtime through the open descriptor: no .NET advisory locks,
    /// no stat of the target first (an existing entry shows as EEXIST and is replaced), the data in-kernel where possible.
    /// </summary>
    void CopyRegularFile(string sourceHost, string host, in Statx st, uint mode)
    {
        int from = OpenAt(AT_FDCWD, sourceHost, O_RDONLY | O_NOFOLLOW);
        if (from < 0) throw Error(-from, $"open {sourceHost}");
        using var source = new SafeFileHandle(from, ownsHandle: true);
        int to = OpenAt(AT_FDCWD, host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0x180);
        if (to == -EEXIST)
        {
            RemoveAny(host);
            to = OpenAt(AT_FDCWD, host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0x180);
        }
        if (to < 0) throw Error(-to, $"create {host}");
        using var target = new SafeFileHandle(to, ownsHandle: true);
        CopyData(source, from, target, to, sourceHost);
        // Owner before mode: chown clears set-user-ID and set-group-ID bits, even as root.
        var (uid, gid) = Owner(st);
        int rc = Fchown(to, (int)uid, (int)gid);
        if (rc != 0) throw Error(rc, $"chown {host}");
        rc = Fchmod(to, mode);
        if (rc != 0) throw Error(rc, $"chmod {host}");
        Futimes(to, st.MtimeSeconds, st.MtimeNanoseconds);
    }

    void CopyData(SafeFileHandle source, int from, SafeFileHandle target, int to, string sourceHost)
    {
        long offset = 0;
        if (_inKernelCopy)
        {
            while (true)
            {
                long n = BuildFileCalls.CopyFileRange(from, to, 1L << 30);
                if (n > 0) { offset += n; continue; }
                if (n == 0) return;
                int errno = (int)-n;
                if (offset > 0 || errno is not (BuildFileCalls.EXDEV or BuildFileCalls.EINVAL or BuildFileCalls.ENOSYS or BuildFileCalls.EOPNOTSUPP))
                    throw Error(errno, $"copy {sourceHost}");
                _inKernelCopy = false;
                break;
            }
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = RandomAccess.Read(source, buffer, offset)) > 0)
            {
                RandomAccess.Write(target, buffer.AsSpan(0, read), offset);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    (uint Uid, uint Gid) Owner(in Statx source) => options.PreserveOwners ? (source.Uid, source.Gid) : (options.Uid, options.Gid);

    void ApplyOwner(string host, bool isDirectory)
    {
        LchownAt(AT_FDCWD, host, (int)options.Uid, (int)options.Gid);
        if (isDirectory && options.Chmod is { } mode) ChmodAt(AT_FDCWD, host, mode);
    }

    static void RemoveAny(string host)
    {
        if (Lstat(AT_FDCWD, host, out var st) != 0) return;
        if (st.IsDirectory) Directory.Delete(host, recursive: true);
        else File.Delete(host);
    }

    static Task<bool> IsArchiveAsync(string path, CancellationToken cancellationToken) => LayerStreams.IsTarArchiveAsync(path, cancellationToken);

    static async Task ExtractAsync(string archive, string targetDir, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(archive);
        var (stream, _) = await LayerStreams.OpenDecompressedAsync(file, cancellationToken).ConfigureAwait(false);
        await using (stream)
            await LayerApplier.ApplyAsync(stream, targetDir, LayerApplyOptions.Flat with { AllowDeviceNodes = false }, cancellationToken).ConfigureAwait(false);
    }
}
