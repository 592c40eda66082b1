using System.Runtime.InteropServices;
using Berth.Engine.Layers.Native;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Containers.Copy;

/// <summary>A volume or bind mount to attach: a host directory (or file) and where the container sees it.</summary>
public sealed record TreeMount(string Source, string Destination, bool ReadOnly);

/// <summary>
/// A stopped container's root file system with its volumes and bind mounts attached, for <c>cp</c>: Docker's daemon mounts
/// the container's volumes before a copy (daemon/archive.go), so a path on a volume reaches the volume. Here the tree is a
/// detached clone of the root's mount (open_tree) with clones of the mounts' sources moved onto it (move_mount): nothing
/// is mounted where another process could see it, a starting container is not disturbed, and closing the descriptor takes
/// the whole tree down, even if berth dies. Each mount point is resolved inside the tree (openat2 RESOLVE_IN_ROOT), as
/// the runtime resolves it inside the root file system, so a symlink in the root or a volume never places a mount outside.
/// Read-only mounts are attached read-only.
/// </summary>
/// <remarks>Attaching mounts to a detached tree needs Linux 6.15; <see cref="TryOpen"/> returns null on older kernels.</remarks>
public sealed unsafe partial class ContainerMountTree : IDisposable
{
    private const long SYS_open_tree = 428, SYS_move_mount = 429, SYS_mount_setattr = 442;
    private const uint OPEN_TREE_CLONE = 1, AT_RECURSIVE = 0x8000;
    private const uint MOVE_MOUNT_F_EMPTY_PATH = 0x4, MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    private const ulong MOUNT_ATTR_RDONLY = 0x1;
    private const int EINVAL = 22;

    private int _fd;

    private ContainerMountTree(int fd) => _fd = fd;

    /// <summary>The tree's root as a path (its descriptor through procfs), usable as a copy's root while this is open.</summary>
    public string Root => "/proc/self/fd/" + _fd;

    /// <summary>
    /// Clones <paramref name="rootfs"/> (a mounted root file system) and attaches <paramref name="mounts"/>, shallowest
    /// first. Returns null when the kernel cannot attach mounts to a detached tree. Missing mount points are created in
    /// the root file system, as the runtime would create them at start.
    /// </summary>
    public static ContainerMountTree? TryOpen(string rootfs, IEnumerable<TreeMount> mounts)
    {
        int tree = OpenTree(AT_FDCWD, rootfs, OPEN_TREE_CLONE | O_CLOEXEC);
        if (tree < 0) throw new BerthException($"cloning the root file system {rootfs}: {Message(-tree)}");
        var result = new ContainerMountTree(tree);
        try
        {
            foreach (var mount in mounts.OrderBy(m => Depth(m.Destination)).ThenBy(m => m.Destination, StringComparer.Ordinal))
                if (!result.Attach(mount)) { result.Dispose(); return null; }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_fd >= 0) Close(_fd);
        _fd = -1;
    }

    /// <summary>Attaches one mount; false when the kernel refuses to mount onto a detached tree.</summary>
    private bool Attach(TreeMount mount)
    {
        int source = OpenTree(AT_FDCWD, mount.Source, OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
        if (source < 0) throw new BerthException($"error while mounting volume '{mount.Source}': {Message(-source)}");
        try
        {
            if (mount.ReadOnly)
            {
                var attr = new MountAttr { AttrSet = MOUNT_ATTR_RDONLY };
                if (MountSetattr(SYS_mount_setattr, source, "", (uint)AT_EMPTY_PATH | AT_RECURSIVE, &attr, (nuint)sizeof(MountAttr)) < 0)
                    throw new BerthException($"making {mount.Source} read-only for the copy: {Message(LastError)}");
            }
            Statx st;
            if (StatxNative(source, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st) < 0)
                throw new BerthException($"stat {mount.Source}: {Message(LastError)}");
            int target = MountPoint(mount.Destination, st.IsDirectory);
            try
            {
                if (MoveMount(SYS_move_mount, source, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0) return true;
                int errno = LastError;
                if (errno == EINVAL) return false;
                throw new BerthException($"error while mounting volume '{mount.Source}' at {mount.Destination}: {Message(errno)}");
            }
            finally { Close(target); }
        }
        finally { Close(source); }
    }

    /// <summary>
    /// An O_PATH descriptor of the mount point, resolved inside the tree. A missing one is created as the runtime creates
    /// it (directories for a directory source, an empty file for a file), following symlinks inside the root, dangling
    /// ones too; the container is stopped, so nothing changes the tree meanwhile, and the final open is confined anyway.
    /// </summary>
    private int MountPoint(string destination, bool directory)
    {
        string path = RootfsPath.Clean(destination);
        int fd = OpenAt2(_fd, path, O_PATH, FileDescriptor.InRoot);
        if (fd >= 0) return fd;
        if (-fd != ENOENT) throw new BerthException($"mount point {destination}: {Message(-fd)}");
        if (directory) RootfsPath.CreateDirectory(Root, path);
        else
        {
            int slash = path.LastIndexOf('/');
            RootfsPath.CreateDirectory(Root, slash <= 0 ? "/" : path[..slash]);
            int file = OpenAt(AT_FDCWD, RootfsPath.Resolve(Root, path), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0x1a4 /* 0644 */);
            if (file < 0 && -file != EEXIST) throw new BerthException($"creating mount point {destination}: {Message(-file)}");
            if (file >= 0) Close(file);
        }
        fd = OpenAt2(_fd, path, O_PATH, FileDescriptor.InRoot);
        if (fd < 0) throw new BerthException($"mount point {destination}: {Message(-fd)}");
        return fd;
    }

    private static int Depth(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Length;

    private static string Message(int errno) => Marshal.GetPInvokeErrorMessage(errno).ToLowerInvariant();

    private static int OpenTree(int dirfd, string path, uint flags)
    {
        long rc = OpenTreeNative(SYS_open_tree, dirfd, path, flags);
        return rc < 0 ? -LastError : (int)rc;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MountAttr
    {
        public ulong AttrSet;
        public ulong AttrClr;
        public ulong Propagation;
        public ulong UsernsFd;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int dirfd, string path, int flags, uint mask, Statx* buffer);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long OpenTreeNative(long number, int dirfd, string path, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long MoveMount(long number, int fromDirfd, string fromPath, int toDirfd, string toPath, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long MountSetattr(long number, int dirfd, string path, uint flags, MountAttr* attr, nuint size);
}
