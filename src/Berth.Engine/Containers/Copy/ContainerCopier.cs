using System.IO.Pipelines;
using Berth.Engine.Layers;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Containers.Copy;

/// <summary>
/// <c>docker cp</c> between a container's root file system (its mounted rootfs directory) and the host or a tar
/// stream, with Docker's path rules (moby pkg/archive/copy.go and the CLI's cp.go).
/// </summary>
/// <remarks>
/// Security (CVE-2018-15664, CVE-2019-14271): every container path is resolved with openat2(RESOLVE_IN_ROOT |
/// RESOLVE_NO_MAGICLINKS) relative to a descriptor of the root, so symlinks (absolute or with <c>..</c>) resolve as
/// they would inside the container and never lead out of it; the tree is then read and written through
/// descriptors (see <see cref="DescriptorTreeArchiver"/> and <see cref="DescriptorTreeExtractor"/>), so a container
/// process swapping a directory for a symlink mid-copy cannot redirect anything. Nothing is executed or loaded
/// from the container: no chroot helper, no NSS lookups, owners are numeric.
/// </remarks>
public sealed class ContainerCopier(string rootfs, string containerName)
{
    /// <summary>The container's root file system on the host (the merged overlay directory).</summary>
    public string Rootfs { get; } = rootfs;

    /// <summary>Container name or ID as the user gave it, for messages ("Could not find the file /x in container NAME").</summary>
    public string ContainerName { get; } = containerName;

    /// <summary>
    /// Called with the directory (absolute, resolved inside the container) a copy into the container is about to write
    /// below, before anything is written; throws to refuse (a --read-only root file system, a read-only volume).
    /// </summary>
    public Action<string>? CheckWritable { get; init; }

    /// <summary>Like <c>docker container stat</c> (the HEAD archive call): the path's own metadata, not following a final symlink.</summary>
    /// <exception cref="NotFoundException">No such path in the container.</exception>
    public ContainerPathStat Stat(string containerPath)
    {
        using var root = OpenRoot();
        var source = ResolveSource(root, containerPath, follow: false);
        using (source.Fd) return source.Stat;
    }

    /// <summary><c>cp CONTAINER:SRC HOSTDEST</c>.</summary>
    public async Task CopyFromContainerAsync(string containerPath, string hostPath, CopyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= CopyOptions.Default;
        if (hostPath == "-") throw new ArgumentException("use ArchiveFromContainerAsync to write a tar stream", nameof(hostPath));
        ValidateOutputPath(AbsoluteHostPath(hostPath));
        using var root = OpenRoot();
        var source = ResolveSource(root, containerPath, options.FollowLink);
        using (source.Fd)
        {
            var destination = HostDestination(hostPath);
            var (dstDir, rename) = Plan(source.HostTopName, source.Stat.IsDirectory, destination);
            int errno = FileDescriptor.TryOpen(AT_FDCWD, dstDir, O_PATH | O_DIRECTORY, 0, out var dir);
            if (errno != 0) throw new BerthException($"stat {dstDir}: {Describe(errno)}");
            using (dir)
            {
                var extractor = new DescriptorTreeExtractor(dir!, "", FileDescriptor.Beneath)
                {
                    Rename = rename,
                    Ownership = options.Archive ? ExtractOwnership.FromArchive : ExtractOwnership.Caller,
                    DestinationForMessages = dstDir,
                };
                await PipeAsync(source.Fd, source.HostTopName, extractor, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// <c>cp CONTAINER:SRC -</c>: writes the tar Docker's daemon sends (top entry named after the path's last element,
    /// or after the link target's with -L; <c>./</c> for a <c>/.</c> path) and returns the path's stat.
    /// </summary>
    public async Task<ContainerPathStat> ArchiveFromContainerAsync(string containerPath, Stream output, CopyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= CopyOptions.Default;
        using var root = OpenRoot();
        var source = ResolveSource(root, containerPath, options.FollowLink);
        using (source.Fd)
        {
            using var writer = new LayerTarWriter(output);
            var archiver = new DescriptorTreeArchiver(writer);
            await archiver.WriteAsync(source.Fd, source.StreamTopName, cancellationToken).ConfigureAwait(false);
            await archiver.FinishAsync(cancellationToken).ConfigureAwait(false);
            return source.Stat;
        }
    }

    /// <summary><c>cp HOSTSRC CONTAINER:DEST</c>.</summary>
    public async Task CopyToContainerAsync(string hostPath, string containerPath, CopyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= CopyOptions.Default;
        if (hostPath == "-") throw new ArgumentException("use ExtractToContainerAsync to read a tar stream", nameof(hostPath));
        using var root = OpenRoot();
        var destination = ContainerDestination(root, containerPath);
        var (source, top) = HostSource(hostPath, options.FollowLink);
        using (source)
        {
            var (dstDir, rename) = Plan(top, source.Stat().IsDirectory, destination);
            await ExtractIntoContainerAsync(root, dstDir, rename, options,
                extractor => PipeAsync(source, top, extractor, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary><c>cp - CONTAINER:DEST</c>: DEST must be a directory; the archive is unpacked into it as it is.</summary>
    public async Task ExtractToContainerAsync(Stream tar, string containerPath, CopyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= CopyOptions.Default;
        using var root = OpenRoot();
        var destination = ContainerDestination(root, containerPath);
        if (!(destination.Exists && destination.IsDirectory))
            throw new BerthException($"destination \"{ContainerName}:{containerPath}\" must be a directory");
        await ExtractIntoContainerAsync(root, destination.Path, null, options,
            extractor => extractor.ExtractAsync(tar, cancellationToken)).ConfigureAwait(false);
    }

    private sealed record Destination(string Path, bool Exists, bool IsDirectory);

    private sealed record Source(FileDescriptor Fd, ContainerPathStat Stat, string HostTopName, string StreamTopName);

    private FileDescriptor OpenRoot()
    {
        int errno = FileDescriptor.TryOpen(AT_FDCWD, Rootfs, O_PATH | O_DIRECTORY, 0, out var root);
        if (errno != 0) throw new BerthException($"container {ContainerName} has no root file system at {Rootfs}: {Describe(errno)}");
        return root!;
    }

    /// <summary>Docker's ResolvePath + StatPath: parents (and a final element written with / or /.) follow symlinks inside the root.</summary>
    private Source ResolveSource(FileDescriptor root, string containerPath, bool follow)
    {
        string abs = CopyPaths.AbsoluteInContainer(containerPath);
        bool followFinal = follow || abs == "/" || CopyPaths.HasTrailingSeparator(abs) || CopyPaths.SpecifiesCurrentDir(abs);
        int errno = FileDescriptor.TryOpen2(root.Fd, abs, O_PATH | (followFinal ? 0 : O_NOFOLLOW), FileDescriptor.InRoot, out var fd);
        if (errno == ENOTDIR) throw new BerthException($"lstat {abs}: not a directory");
        if (errno is ENOENT or ELOOP) throw NotInContainer(containerPath);
        if (errno != 0) throw new BerthException($"lstat {abs}: {Describe(errno)}");
        var st = fd!.Stat();
        string linkTarget = "";
        if (st.FileType == S_IFLNK)
        {
            int rc = FileDescriptor.TryOpen2(root.Fd, abs, O_PATH, FileDescriptor.InRoot, out var target);
            if (rc == 0) using (target) linkTarget = ContainerRelative(root, target!);
        }
        string hostTop = CopyPaths.ArchiveTopName(abs);
        string streamTop = abs == "/" ? "/" : hostTop; // Docker names the root's entries "/", "/bin/" …
        if (follow && hostTop != ".") streamTop = CopyPaths.Base(ContainerRelative(root, fd));
        var stat = new ContainerPathStat(CopyPaths.Base(abs) is "/" ? "/" : CopyPaths.Base(abs), (long)st.Size, st.Mode,
            DateTimeOffset.FromUnixTimeSeconds(st.MtimeSeconds), linkTarget);
        return new Source(fd, stat, hostTop, streamTop);
    }

    /// <summary>The absolute container path of a descriptor below the root.</summary>
    private static string ContainerRelative(FileDescriptor root, FileDescriptor fd)
    {
        string rootReal = root.RealPath().TrimEnd('/');
        string real = fd.RealPath();
        if (real == rootReal) return "/";
        if (!real.StartsWith(rootReal + "/", StringComparison.Ordinal))
            throw new BerthException($"{real} is not below the container root {rootReal}");
        return real[rootReal.Length..];
    }

    /// <summary>The CLI's stat of a container destination: a final symlink is followed (inside the root).</summary>
    private Destination ContainerDestination(FileDescriptor root, string containerPath)
    {
        string abs = CopyPaths.AbsoluteInContainer(containerPath);
        bool followFinal = abs == "/" || CopyPaths.HasTrailingSeparator(abs) || CopyPaths.SpecifiesCurrentDir(abs);
        int errno = FileDescriptor.TryOpen2(root.Fd, abs, O_PATH | (followFinal ? 0 : O_NOFOLLOW), FileDescriptor.InRoot, out var fd);
        if (errno != 0) return new Destination(abs, false, false); // the extraction will tell whether the parent exists
        using (fd)
        {
            var st = fd!.Stat();
            string path = abs;
            if (st.FileType == S_IFLNK)
            {
                string link = ReadLink(fd.Fd, "");
                errno = FileDescriptor.TryOpen2(root.Fd, abs, O_PATH, FileDescriptor.InRoot, out var target);
                if (errno != 0)
                {
                    // A dangling link: the copy creates its target (resolved inside the root when extracting).
                    string parent = CopyPaths.SplitDirEntry(abs).Dir;
                    return new Destination(link.StartsWith('/') ? CopyPaths.Clean(link) : CopyPaths.Clean(parent + "/" + link), false, false);
                }
                using (target)
                {
                    st = target!.Stat();
                    path = ContainerRelative(root, target);
                }
            }
            if (st.FileType is S_IFCHR or S_IFBLK)
                throw new BerthException($"destination \"{ContainerName}:{containerPath}\" must be a directory or a regular file: got a device");
            return new Destination(path, true, st.IsDirectory);
        }
    }

    /// <summary>docker/cli's ValidateOutputPath: the parent must exist; an existing path must be a directory or a regular file.</summary>
    private static void ValidateOutputPath(string path)
    {
        string dir = CopyPaths.SplitDirEntry(CopyPaths.Clean(path)).Dir;
        if (!Path.Exists(dir)) throw new BerthException($"invalid output path: directory \"{dir}\" does not exist");
        if (Lstat(AT_FDCWD, path.TrimEnd('/'), out var st) == 0 && !st.IsDirectory && st.FileType != S_IFREG && st.FileType != S_IFLNK)
        {
            string what = st.FileType is S_IFCHR or S_IFBLK ? "got a device" : "got an irregular file";
            if (st.FileType is S_IFCHR or S_IFBLK or S_IFSOCK)
                throw new BerthException($"invalid output path: \"{path}\" must be a directory or a regular file: {what}");
        }
    }

    /// <summary>Docker's CopyInfoDestinationPath for a host path: final symlinks followed, the parent must exist.</summary>
    private static Destination HostDestination(string hostPath)
    {
        string path = AbsoluteHostPath(hostPath);
        string original = path;
        int rc = Lstat(AT_FDCWD, path, out var st);
        for (int n = 0; rc == 0 && st.FileType == S_IFLNK; n++)
        {
            if (n > 10) throw new BerthException("too many symlinks in " + original);
            string link = ReadLink(AT_FDCWD, path.TrimEnd('/'));
            path = link.StartsWith('/') ? link : CopyPaths.Clean(CopyPaths.SplitDirEntry(path).Dir + "/" + link);
            rc = Lstat(AT_FDCWD, path, out st);
        }
        if (rc == 0) return new Destination(path, true, st.IsDirectory);
        if (rc != ENOENT) throw new BerthException($"lstat {path}: {Describe(rc)}");
        string parent = CopyPaths.SplitDirEntry(path).Dir;
        if (!Directory.Exists(parent))
        {
            if (File.Exists(parent)) throw new BerthException("not a directory");
            throw new BerthException($"stat {parent}: no such file or directory");
        }
        return new Destination(path, false, false);
    }

    /// <summary>Docker's CopyInfoSourcePath/ResolveHostSourcePath: the top entry is named after what the user wrote.</summary>
    private static (FileDescriptor Fd, string Top) HostSource(string hostPath, bool follow)
    {
        string path = AbsoluteHostPath(hostPath);
        bool followFinal = follow || path == "/" || CopyPaths.HasTrailingSeparator(path) || CopyPaths.SpecifiesCurrentDir(path);
        int errno = FileDescriptor.TryOpen(AT_FDCWD, path, O_PATH | (followFinal ? 0 : O_NOFOLLOW), 0, out var fd);
        if (errno != 0) throw new BerthException($"lstat {path}: {Describe(errno)}");
        return (fd!, CopyPaths.ArchiveTopName(path));
    }

    private static string AbsoluteHostPath(string path)
    {
        string abs = path.StartsWith('/') ? path : Environment.CurrentDirectory.TrimEnd('/') + "/" + path;
        string clean = CopyPaths.Clean(abs);
        if (CopyPaths.SpecifiesCurrentDir(path)) return clean == "/" ? "/." : clean + "/.";
        if (CopyPaths.HasTrailingSeparator(path) && clean != "/") return clean + "/";
        return clean;
    }

    /// <summary>Docker's PrepareArchiveCopy: where to unpack and how to rename the top entry.</summary>
    private static (string DstDir, (string, string)? Rename) Plan(string srcTop, bool srcIsDir, Destination dst)
    {
        var (dstDir, dstBase) = CopyPaths.SplitDirEntry(dst.Path);
        if (dst.Exists && dst.IsDirectory) return (dst.Path, null);
        if (dst.Exists && srcIsDir) throw new ConflictException("cannot copy directory");
        if (!dst.Exists && !srcIsDir && (CopyPaths.HasTrailingSeparator(dst.Path) || CopyPaths.SpecifiesCurrentDir(dst.Path)))
            throw new NotFoundException("no such directory");
        return (dstDir, (srcTop, dstBase));
    }

    private async Task ExtractIntoContainerAsync(FileDescriptor root, string containerDir, (string, string)? rename,
        CopyOptions options, Func<DescriptorTreeExtractor, Task> run)
    {
        int errno = FileDescriptor.TryOpen2(root.Fd, containerDir, O_PATH, FileDescriptor.InRoot, out var dir);
        if (errno is ENOENT or ENOTDIR or ELOOP) throw NotInContainer(containerDir);
        if (errno != 0) throw new BerthException($"open {containerDir} in {ContainerName}: {Describe(errno)}");
        using (dir)
        {
            if (!dir!.Stat().IsDirectory) throw new BerthException("extraction point is not a directory");
            string resolved = ContainerRelative(root, dir);
            CheckWritable?.Invoke(resolved);
            string baseRel = resolved.TrimStart('/');
            bool chownToUser = options.Archive && options.ContainerUid is not null;
            var extractor = new DescriptorTreeExtractor(root, baseRel, FileDescriptor.InRoot)
            {
                Rename = rename,
                Ownership = chownToUser ? ExtractOwnership.Fixed : ExtractOwnership.FromArchive,
                FixedUid = options.ContainerUid ?? 0,
                FixedGid = options.ContainerGid ?? options.ContainerUid ?? 0,
                DestinationForMessages = containerDir,
            };
            await run(extractor).ConfigureAwait(false);
        }
    }

    /// <summary>Archives a tree into a pipe while the extractor unpacks it: no temporary archive, bounded memory.</summary>
    private static async Task PipeAsync(FileDescriptor source, string topName, DescriptorTreeExtractor extractor,
        CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var produce = Task.Run(async () =>
        {
            try
            {
                await using var stream = pipe.Writer.AsStream();
                using var writer = new LayerTarWriter(stream, 256 * 1024);
                var archiver = new DescriptorTreeArchiver(writer);
                await archiver.WriteAsync(source, topName, cancel.Token).ConfigureAwait(false);
                await archiver.FinishAsync(cancel.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e).ConfigureAwait(false);
                throw;
            }
        }, cancel.Token);
        try
        {
            await using var input = pipe.Reader.AsStream();
            await extractor.ExtractAsync(input, cancel.Token).ConfigureAwait(false);
        }
        catch
        {
            await cancel.CancelAsync().ConfigureAwait(false);
            try { await produce.ConfigureAwait(false); } catch (Exception e) when (e is OperationCanceledException or IOException) { }
            throw;
        }
        await produce.ConfigureAwait(false);
    }

    /// <summary>Docker 20.10's words (its daemon's 404 for a container path).</summary>
    private NotFoundException NotInContainer(string path) => new($"Could not find the file {path} in container {ContainerName}");

    private static string Describe(int errno) => errno switch
    {
        ENOENT => "no such file or directory",
        ENOTDIR => "not a directory",
        _ => System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno).ToLowerInvariant(),
    };
}
