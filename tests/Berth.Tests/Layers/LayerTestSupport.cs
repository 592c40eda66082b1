using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Berth.Engine.Layers.Native;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Tests.Layers;

/// <summary>A scratch directory under /tmp, removed (after unmounting anything left mounted inside) on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("berth-layers-").FullName;
    }

    public string Path { get; }

    public string Sub(string name)
    {
        string p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public void Dispose()
    {
        foreach (var line in File.ReadAllLines("/proc/self/mounts"))
        {
            var mountPoint = line.Split(' ')[1];
            if (mountPoint.StartsWith(Path + "/", StringComparison.Ordinal)) Sh.Run("umount", "-l", mountPoint);
        }
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

internal static class Sh
{
    public static string Run(string file, params string[] args) => RunIn(null, file, args);

    public static string RunIn(string? workingDirectory, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}");
        return stdout.Result;
    }
}

/// <summary>Test-side file-system operations (through the engine's native class) and a canonical description of a tree.</summary>
internal static class Fs
{
    public static void Mknod(string path, uint type, uint major, uint minor, uint mode = 0x1A4)
    {
        int rc = MknodAt(AT_FDCWD, path, type | mode, major, minor);
        if (rc != 0) throw Error(rc, "mknod " + path);
    }

    public static void Chmod(string path, uint mode)
    {
        int rc = ChmodAt(AT_FDCWD, path, mode);
        if (rc != 0) throw Error(rc, "chmod " + path);
    }

    public static void Lchown(string path, int uid, int gid)
    {
        int rc = LchownAt(AT_FDCWD, path, uid, gid);
        if (rc != 0) throw Error(rc, "lchown " + path);
    }

    public static void SetMtime(string path, long seconds)
    {
        int rc = LutimesAt(AT_FDCWD, path, seconds, 0);
        if (rc != 0) throw Error(rc, "utimes " + path);
    }

    public static void SetXattr(string path, string name, byte[] value)
    {
        int rc = Lsetxattr(path, name, value);
        if (rc != 0) throw Error(rc, "setxattr " + path);
    }

    public static byte[]? GetXattr(string path, string name) => Lgetxattr(path, name);

    public static Statx Stat(string path)
    {
        int rc = Lstat(AT_FDCWD, path, out var st);
        if (rc != 0) throw Error(rc, "stat " + path);
        return st;
    }

    public static bool Exists(string path) => Lstat(AT_FDCWD, path, out _) == 0;

    /// <summary>One line per entry (not the root): path, type, mode, owner, mtime, content hash, link target, device, xattrs, hardlink group.</summary>
    public static List<string> Describe(string root, bool withDirectoryTimes = true)
    {
        var lines = new List<string>();
        var inodes = new Dictionary<ulong, string>();
        void Walk(string abs, string rel)
        {
            foreach (var name in Directory.EnumerateFileSystemEntries(abs, "*", Berth.Engine.FileEnumeration.Everything(recurse: false))
                         .Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal))
            {
                string childAbs = abs + "/" + name;
                string childRel = rel.Length == 0 ? name! : rel + "/" + name;
                var st = Stat(childAbs);
                var sb = new StringBuilder(childRel);
                string type = st.FileType switch
                {
                    S_IFDIR => "dir", S_IFLNK => "symlink", S_IFCHR => "char", S_IFBLK => "block", S_IFIFO => "fifo", _ => "file",
                };
                sb.Append(' ').Append(type).Append(' ').Append(Convert.ToString(st.Mode & 0xFFF, 8)).Append(' ').Append(st.Uid).Append(':').Append(st.Gid);
                if (st.FileType != S_IFDIR || withDirectoryTimes) sb.Append(" mtime=").Append(st.MtimeSeconds);
                if (st.FileType == S_IFREG) sb.Append(" sha=").Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(childAbs)))[..16]);
                if (st.FileType == S_IFLNK) sb.Append(" -> ").Append(ReadLink(AT_FDCWD, childAbs));
                if (st.FileType is S_IFCHR or S_IFBLK) sb.Append(" dev=").Append(st.RdevMajor).Append(',').Append(st.RdevMinor);
                foreach (var x in Llistxattr(childAbs).Order(StringComparer.Ordinal))
                    sb.Append(' ').Append(x).Append('=').Append(Convert.ToHexString(Lgetxattr(childAbs, x) ?? []));
                if (st.FileType != S_IFDIR && st.Nlink > 1)
                {
                    if (!inodes.TryGetValue(st.Inode, out var first)) inodes[st.Inode] = first = childRel;
                    sb.Append(" hardlink-group=").Append(first);
                }
                lines.Add(sb.ToString());
                if (st.FileType == S_IFDIR) Walk(childAbs, childRel);
            }
        }
        Walk(root.TrimEnd('/'), "");
        return lines;
    }
}

/// <summary>Builds raw tar bytes by hand, for archives no well-behaved writer would produce.</summary>
internal static class RawTar
{
    public static byte[] Header(string name, char type, long size = 0, string linkName = "", bool base256Size = false)
    {
        var block = new byte[512];
        Encoding.UTF8.GetBytes(name).AsSpan(0, Math.Min(100, Encoding.UTF8.GetByteCount(name))).CopyTo(block);
        Octal(block.AsSpan(100, 8), 0x1A4);
        Octal(block.AsSpan(108, 8), 0);
        Octal(block.AsSpan(116, 8), 0);
        if (base256Size)
        {
            var field = block.AsSpan(124, 12);
            field.Clear();
            field[0] = 0x80;
            for (int i = 11; i >= 1; i--) { field[i] = (byte)(size & 0xFF); size >>= 8; }
        }
        else Octal(block.AsSpan(124, 12), size);
        Octal(block.AsSpan(136, 12), 1_700_000_000);
        block[156] = (byte)type;
        Encoding.UTF8.GetBytes(linkName).CopyTo(block.AsSpan(157));
        "ustar\000"u8.CopyTo(block.AsSpan(257));
        block.AsSpan(148, 8).Fill((byte)' ');
        int sum = block.Sum(b => b);
        Octal(block.AsSpan(148, 7), sum);
        return block;
    }

    public static byte[] EndMarker => new byte[1024];

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static void Octal(Span<byte> field, long value)
    {
        string s = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(s).CopyTo(field);
        field[^1] = 0;
    }
}
