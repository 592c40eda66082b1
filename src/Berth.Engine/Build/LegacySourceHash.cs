using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Berth.Engine.Containers;
using Microsoft.Win32.SafeHandles;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Build;

/// <summary>
/// The source hash Docker 20.10's legacy builder writes into the history of COPY and ADD
/// (<c>COPY file:&lt;hex&gt; in /dst </c>, <c>dir:</c>, <c>multi:</c>; an ADD of a URL has no prefix).
/// </summary>
/// <remarks>
/// Each file's sum is a tarsum v1 entry: sha256 of the tar header fields <c>name mode uid gid size typeflag linkname uname
/// gname devmajor devminor</c> (each written as key then value, no separators, no mtime), then the
/// <c>security.capability</c> xattr if any, then the file's data. The mode carries the file type bits (0100644).
/// A directory source is <c>dir:</c> + sha256 of the sorted sums of every entry of its walk (itself included, not the
/// root of the tree), joined with ','; several sources are <c>multi:</c> + sha256 of their hashes in order, joined with ','.
/// Symlinks are followed: a link's sum is its target's (or, when the target is missing, a path text).
/// </remarks>
public static class LegacySourceHash
{
    /// <summary>The name Docker gives a download whose URL and headers name no file.</summary>
    public const string UnnamedDownload = "__unnamed__";

    const string CapabilityXattr = "security.capability";

    /// <summary>
    /// The tarsum v1 header text of one entry (<paramref name="mode"/> is st_mode: type and permission bits; the type flag
    /// follows from it unless given, as '1' for a hard link).
    /// </summary>
    public static byte[] Header(string name, uint mode, long uid, long gid, long size, string linkName, string userName, string groupName,
        long devMajor, long devMinor, byte[]? capability, char? typeFlag = null)
    {
        string text = string.Create(CultureInfo.InvariantCulture,
            $"name{name}mode{mode}uid{uid}gid{gid}size{size}typeflag{typeFlag ?? TypeFlag(mode)}linkname{linkName}uname{userName}gname{groupName}devmajor{devMajor}devminor{devMinor}");
        int length = Encoding.UTF8.GetByteCount(text);
        if (capability is null) return Encoding.UTF8.GetBytes(text);
        var bytes = new byte[length + CapabilityXattr.Length + capability.Length];
        Encoding.UTF8.GetBytes(text, bytes);
        Encoding.ASCII.GetBytes(CapabilityXattr, bytes.AsSpan(length));
        capability.CopyTo(bytes, length + CapabilityXattr.Length);
        return bytes;
    }

    /// <summary>Go's archive/tar type flag for st_mode.</summary>
    public static char TypeFlag(uint mode) => (mode & S_IFMT) switch
    {
        S_IFDIR => '5',
        S_IFLNK => '2',
        S_IFCHR => '3',
        S_IFBLK => '4',
        S_IFIFO => '6',
        _ => '0',
    };

    /// <summary>The <c>security.capability</c> xattr as Docker puts it in a tar header (a v3 value becomes v2), or null.</summary>
    public static byte[]? Capability(string path)
    {
        byte[]? value;
        try { value = Lgetxattr(path, CapabilityXattr); }
        catch (IOException) { return null; }
        if (value is null) return null;
        if (value.Length > 3 && value[3] == 3)
        {
            value[3] = 2;
            if (value.Length > 20) value = value[..20];
        }
        return value;
    }

    /// <summary>The sum of an entry without data (directory, link, empty file).</summary>
    public static string Sum(ReadOnlySpan<byte> header) => Convert.ToHexStringLower(SmallSha256.Hash(header));

    /// <summary>The sum of a header followed by a file's data, read from <paramref name="path"/> (not following a final symlink).</summary>
    public static string SumOfFile(ReadOnlySpan<byte> header, string path)
    {
        int fd = OpenAt(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW);
        if (fd < 0) throw new BuildException($"cannot read {path}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(-fd)}");
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(header);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long offset = 0;
            int n;
            while ((n = RandomAccess.Read(handle, buffer, offset)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                offset += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary><c>dir:</c> + sha256 of the sums sorted and joined with ','.</summary>
    public static string Directory(IEnumerable<string> sums)
    {
        var sorted = sums.ToList();
        sorted.Sort(StringComparer.Ordinal);
        return "dir:" + JoinedDigest(sorted);
    }

    /// <summary>The hash of a whole COPY/ADD: the single source's hash, or <c>multi:</c> + sha256 of all joined with ','.</summary>
    public static string Combine(IReadOnlyList<string> sources) => sources.Count == 1 ? sources[0] : "multi:" + JoinedDigest(sources);

    static string JoinedDigest(IReadOnlyList<string> items)
    {
        int length = Math.Max(0, items.Count - 1);
        foreach (var item in items) length += Encoding.UTF8.GetByteCount(item);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            int at = 0;
            for (int i = 0; i < items.Count; i++)
            {
                if (i > 0) bytes[at++] = (byte)',';
                at += Encoding.UTF8.GetBytes(items[i], bytes.AsSpan(at));
            }
            return Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(0, at)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>The user name of <paramref name="uid"/> in the host's /etc/passwd (as Go's os/user in dockerd finds it), or "".</summary>
    public static string UserName(long uid) => HostAccounts.Value.Users.GetValueOrDefault(uid, "");

    /// <summary>The group name of <paramref name="gid"/> in the host's /etc/group, or "".</summary>
    public static string GroupName(long gid) => HostAccounts.Value.Groups.GetValueOrDefault(gid, "");

    static readonly Lazy<(Dictionary<long, string> Users, Dictionary<long, string> Groups)> HostAccounts =
        new(() => (ReadNames("/etc/passwd"), ReadNames("/etc/group")));

    static Dictionary<long, string> ReadNames(string path)
    {
        var names = new Dictionary<long, string>();
        if (!File.Exists(path)) return names;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split(':');
            if (fields.Length >= 3 && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long id)) names.TryAdd(id, fields[0]);
        }
        return names;
    }
}

/// <summary>
/// Docker's legacy hashes of the files of a directory tree it reads in place (the root file system of a stage or image for
/// <c>COPY --from</c>, the download directory of an ADD URL): every entry's header as <c>lstat</c> gives it, real owners with
/// their host user and group names, data read once per path.
/// </summary>
public sealed class LegacyTreeHash(string root)
{
    readonly string _root = root.TrimEnd('/');
    readonly ConcurrentDictionary<string, string> _sums = new(StringComparer.Ordinal);

    /// <summary>The sum of the entry at <paramref name="relative"/>, a symlink followed inside the tree; a missing target gives its path.</summary>
    public string Hash(string relative)
    {
        string host = relative.Length == 0 ? _root : _root + "/" + relative;
        if (Lstat(AT_FDCWD, host, out var st) != 0) return relative;
        if (st.FileType == S_IFLNK)
        {
            host = RootfsPath.Resolve(_root, "/" + relative);
            relative = host.Length <= _root.Length ? "." : host[(_root.Length + 1)..];
            if (Lstat(AT_FDCWD, host, out st) != 0) return relative;
        }
        if (_sums.TryGetValue(relative, out var known)) return known;
        uint type = st.FileType;
        string name = type == S_IFDIR ? relative.TrimEnd('/') + "/" : relative;
        long size = type == S_IFREG ? (long)st.Size : 0;
        string link = type == S_IFLNK ? ReadLink(AT_FDCWD, host) : "";
        bool device = (st.Mode & 0x6000) != 0; // Docker reads rdev when the S_IFBLK or S_IFCHR bits are set
        byte[] header = LegacySourceHash.Header(name, st.Mode, st.Uid, st.Gid, size, link, LegacySourceHash.UserName(st.Uid), LegacySourceHash.GroupName(st.Gid),
            device ? st.RdevMajor : 0, device ? st.RdevMinor : 0, LegacySourceHash.Capability(host));
        string sum = size > 0 ? LegacySourceHash.SumOfFile(header, host) : LegacySourceHash.Sum(header);
        return _sums[relative] = sum;
    }

    /// <summary>A source's hash: <c>file:</c> + its sum, or for a directory <c>dir:</c> over itself (unless the root) and every entry below.</summary>
    public string Source(ContextFile entry, IEnumerable<ContextFile> below)
    {
        if (!entry.IsDirectory) return "file:" + Hash(entry.Path);
        var sums = new List<string>();
        if (entry.Path.Length > 0) sums.Add(Hash(entry.Path));
        foreach (var e in below) sums.Add(Hash(e.Path));
        return LegacySourceHash.Directory(sums);
    }
}
