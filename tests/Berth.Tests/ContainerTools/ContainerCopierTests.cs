using System.Formats.Tar;
using Berth.Engine;
using Berth.Engine.Containers.Copy;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerTools;

/// <summary>docker cp path rules in both directions, owners, and tar streams, on a plain directory standing in for a container root.</summary>
public class ContainerCopierTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _root;
    private readonly string _host;
    private readonly ContainerCopier _copier;

    public ContainerCopierTests()
    {
        _root = _dir.Combine("rootfs");
        _host = _dir.Combine("host");
        Directory.CreateDirectory(_host);
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        Directory.CreateDirectory(Path.Combine(_root, "data/sub"));
        File.WriteAllText(Path.Combine(_root, "etc/passwd"), "container passwd\n");
        File.WriteAllText(Path.Combine(_root, "data/a.txt"), "A");
        File.WriteAllText(Path.Combine(_root, "data/sub/b.txt"), "B");
        File.CreateSymbolicLink(Path.Combine(_root, "data/link"), "a.txt");
        _copier = new ContainerCopier(_root, "ctr");
    }

    public void Dispose() => _dir.Dispose();

    private string Host(string rel) => Path.Combine(_host, rel);
    private string Ctr(string rel) => Path.Combine(_root, rel.TrimStart('/'));

    [Fact]
    public async Task File_out_to_a_missing_host_path_creates_that_file()
    {
        await _copier.CopyFromContainerAsync("/etc/passwd", Host("copy"));
        Assert.Equal("container passwd\n", File.ReadAllText(Host("copy")));
    }

    [Fact]
    public async Task File_out_to_an_existing_directory_lands_inside_it_under_its_own_name()
    {
        await _copier.CopyFromContainerAsync("/etc/passwd", _host);
        Assert.Equal("container passwd\n", File.ReadAllText(Host("passwd")));
    }

    [Fact]
    public async Task File_out_over_an_existing_file_replaces_it()
    {
        File.WriteAllText(Host("old"), "old");
        await _copier.CopyFromContainerAsync("/data/a.txt", Host("old"));
        Assert.Equal("A", File.ReadAllText(Host("old")));
    }

    [Fact]
    public async Task Directory_out_to_a_missing_path_creates_it_with_the_contents()
    {
        await _copier.CopyFromContainerAsync("/data", Host("new"));
        Assert.Equal("A", File.ReadAllText(Host("new/a.txt")));
        Assert.Equal("B", File.ReadAllText(Host("new/sub/b.txt")));
        Assert.Equal("a.txt", new FileInfo(Host("new/link")).LinkTarget);
    }

    [Fact]
    public async Task Directory_out_to_an_existing_directory_is_copied_into_it()
    {
        await _copier.CopyFromContainerAsync("/data", _host);
        Assert.Equal("B", File.ReadAllText(Host("data/sub/b.txt")));
    }

    [Fact]
    public async Task Slash_dot_copies_the_contents_into_an_existing_directory()
    {
        await _copier.CopyFromContainerAsync("/data/.", _host);
        Assert.Equal("A", File.ReadAllText(Host("a.txt")));
        Assert.Equal("B", File.ReadAllText(Host("sub/b.txt")));
        Assert.False(Directory.Exists(Host("data")));
    }

    [Fact]
    public async Task Slash_dot_to_a_missing_path_creates_it_with_the_contents()
    {
        await _copier.CopyFromContainerAsync("/data/.", Host("fresh"));
        Assert.Equal("A", File.ReadAllText(Host("fresh/a.txt")));
    }

    [Fact]
    public async Task Directory_out_over_an_existing_file_fails_with_dockers_words()
    {
        File.WriteAllText(Host("file"), "x");
        var e = await Assert.ThrowsAsync<ConflictException>(() => _copier.CopyFromContainerAsync("/data", Host("file")));
        Assert.Equal("cannot copy directory", e.Message);
    }

    [Fact]
    public async Task File_out_to_a_missing_path_with_a_trailing_slash_fails()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => _copier.CopyFromContainerAsync("/etc/passwd", Host("nodir") + "/"));
        Assert.Equal("no such directory", e.Message);
    }

    [Fact]
    public async Task A_missing_container_path_is_reported_as_docker_does()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => _copier.CopyFromContainerAsync("/nope", Host("x")));
        Assert.Equal("Could not find the file /nope in container ctr", e.Message);
    }

    [Fact]
    public async Task A_missing_host_parent_is_reported()
    {
        var e = await Assert.ThrowsAsync<BerthException>(() => _copier.CopyFromContainerAsync("/nope", Host("a/b/c")));
        Assert.Equal($"invalid output path: directory \"{Host("a/b")}\" does not exist", e.Message); // checked first, as the CLI does
        var device = await Assert.ThrowsAsync<BerthException>(() => _copier.CopyFromContainerAsync("/etc/passwd", "/dev/null"));
        Assert.Equal("invalid output path: \"/dev/null\" must be a directory or a regular file: got a device", device.Message);
        var notDir = await Assert.ThrowsAsync<BerthException>(() => _copier.CopyFromContainerAsync("/etc/passwd/", Host("x")));
        Assert.Equal("lstat /etc/passwd/: not a directory", notDir.Message);
    }

    [Fact]
    public async Task A_symlink_source_is_copied_as_a_link_and_followed_with_L()
    {
        await _copier.CopyFromContainerAsync("/data/link", Host("plain"));
        Assert.Equal("a.txt", new FileInfo(Host("plain")).LinkTarget);
        await _copier.CopyFromContainerAsync("/data/link", Host("followed"), new CopyOptions { FollowLink = true });
        Assert.Null(new FileInfo(Host("followed")).LinkTarget);
        Assert.Equal("A", File.ReadAllText(Host("followed")));
        // Into a directory, -L keeps the name the user wrote.
        await _copier.CopyFromContainerAsync("/data/link", _host, new CopyOptions { FollowLink = true });
        Assert.Equal("A", File.ReadAllText(Host("link")));
    }

    [Fact]
    public async Task Out_of_a_container_files_belong_to_the_caller_unless_archive_mode()
    {
        File.SetUnixFileMode(Ctr("data/a.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Chown(Ctr("data/a.txt"), 1234, 5678);
        await _copier.CopyFromContainerAsync("/data/a.txt", Host("mine"));
        Assert.Equal((0, 0), Owner(Host("mine")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead, File.GetUnixFileMode(Host("mine")));
        await _copier.CopyFromContainerAsync("/data/a.txt", Host("kept"), new CopyOptions { Archive = true });
        Assert.Equal((1234, 5678), Owner(Host("kept")));
    }

    [Fact]
    public async Task Into_a_container_the_host_owner_is_kept_and_archive_mode_uses_the_container_user()
    {
        File.WriteAllText(Host("f"), "host");
        Chown(Host("f"), 4321, 8765);
        await _copier.CopyToContainerAsync(Host("f"), "/etc/");
        Assert.Equal((4321, 8765), Owner(Ctr("etc/f")));
        await _copier.CopyToContainerAsync(Host("f"), "/etc/g", new CopyOptions { Archive = true, ContainerUid = 1000, ContainerGid = 1001 });
        Assert.Equal((1000, 1001), Owner(Ctr("etc/g")));
        Assert.Equal("host", File.ReadAllText(Ctr("etc/g")));
    }

    [Fact]
    public async Task Host_directory_into_the_container_follows_the_same_rules()
    {
        Directory.CreateDirectory(Host("tree/deep"));
        File.WriteAllText(Host("tree/deep/x"), "x");
        await _copier.CopyToContainerAsync(Host("tree"), "/data");        // exists: into it
        Assert.Equal("x", File.ReadAllText(Ctr("data/tree/deep/x")));
        await _copier.CopyToContainerAsync(Host("tree"), "/made");        // missing: becomes it
        Assert.Equal("x", File.ReadAllText(Ctr("made/deep/x")));
        await _copier.CopyToContainerAsync(Host("tree") + "/.", "/etc");  // contents into it
        Assert.Equal("x", File.ReadAllText(Ctr("etc/deep/x")));
        var e = await Assert.ThrowsAsync<ConflictException>(() => _copier.CopyToContainerAsync(Host("tree"), "/etc/passwd"));
        Assert.Equal("cannot copy directory", e.Message);
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => _copier.CopyToContainerAsync(Host("tree"), "/no/such/dir"));
        Assert.Equal("Could not find the file /no/such in container ctr", missing.Message);
    }

    [Fact]
    public async Task A_directory_is_never_replaced_by_a_file_or_the_reverse()
    {
        Directory.CreateDirectory(Host("tree/passwd"));
        var e = await Assert.ThrowsAsync<ConflictException>(() => _copier.CopyToContainerAsync(Host("tree/."), "/etc"));
        Assert.StartsWith("cannot overwrite non-directory \"passwd\" with directory", e.Message);
        Assert.Equal("container passwd\n", File.ReadAllText(Ctr("etc/passwd")));
    }

    [Fact]
    public async Task A_missing_host_source_says_lstat()
    {
        var e = await Assert.ThrowsAsync<BerthException>(() => _copier.CopyToContainerAsync(Host("nothing"), "/etc"));
        Assert.Equal($"lstat {Host("nothing")}: no such file or directory", e.Message);
    }

    [Fact]
    public async Task Tar_out_names_entries_after_the_requested_path()
    {
        Assert.Equal(["data/", "data/a.txt", "data/link", "data/sub/", "data/sub/b.txt"], await StreamNames("/data"));
        Assert.Equal(["./", "./a.txt", "./link", "./sub/", "./sub/b.txt"], await StreamNames("/data/."));
        Assert.Equal(["passwd"], await StreamNames("/etc/passwd"));
        Assert.Equal(["a.txt"], await StreamNames("/data/link", follow: true));
        Assert.Equal(["/", "/data/", "/data/a.txt"], (await StreamNames("/")).Take(3));
    }

    [Fact]
    public async Task Tar_out_reports_the_path_stat()
    {
        using var ms = new MemoryStream();
        var stat = await _copier.ArchiveFromContainerAsync("/data/link", ms);
        Assert.True(stat.IsSymlink);
        Assert.Equal("link", stat.Name);
        Assert.Equal("/data/a.txt", stat.LinkTarget);
        Assert.True(_copier.Stat("/data").IsDirectory);
    }

    [Fact]
    public async Task Tar_in_needs_a_directory_and_unpacks_as_is()
    {
        var tar = MakeTar(("x/y.txt", "y"), ("top.txt", "t"));
        await _copier.ExtractToContainerAsync(tar, "/data");
        Assert.Equal("y", File.ReadAllText(Ctr("data/x/y.txt")));
        Assert.Equal("t", File.ReadAllText(Ctr("data/top.txt")));
        var e = await Assert.ThrowsAsync<BerthException>(() => _copier.ExtractToContainerAsync(MakeTar(("a", "a")), "/etc/passwd"));
        Assert.Equal("destination \"ctr:/etc/passwd\" must be a directory", e.Message);
    }

    [Fact]
    public async Task Tar_in_refuses_entries_that_climb_out()
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => _copier.ExtractToContainerAsync(MakeTar(("../../escape", "x")), "/data"));
        Assert.Contains("is outside of", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "escape")));
    }

    [Fact]
    public void Docker_path_helpers_match_copy_go()
    {
        Assert.Equal(("/a", "b"), CopyPaths.SplitDirEntry("/a/b/"));
        Assert.Equal(("/a/b", "."), CopyPaths.SplitDirEntry("/a/b/."));
        Assert.Equal("/a/b/.", CopyPaths.AbsoluteInContainer("a/../a/b/."));
        Assert.Equal("/a/b/", CopyPaths.AbsoluteInContainer("a//b/"));
        Assert.Equal("/", CopyPaths.AbsoluteInContainer("../.."));
        Assert.Equal(".", CopyPaths.ArchiveTopName("/"));
        Assert.Equal("b", CopyPaths.ArchiveTopName("/a/b/"));
    }

    private async Task<List<string>> StreamNames(string path, bool follow = false)
    {
        using var ms = new MemoryStream();
        await _copier.ArchiveFromContainerAsync(path, ms, new CopyOptions { FollowLink = follow });
        ms.Position = 0;
        var names = new List<string>();
        using var reader = new TarReader(ms);
        while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        return names;
    }

    internal static MemoryStream MakeTar(params (string Name, string Content)[] files)
    {
        var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, content) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };
                writer.WriteEntry(entry);
            }
        ms.Position = 0;
        return ms;
    }

    internal static void Chown(string path, int uid, int gid)
    {
        if (lchown(path, uid, gid) != 0) Assert.Fail($"lchown {path} failed (tests must run as root)");
    }

    internal static (int, int) Owner(string path)
    {
        Assert.Equal(0, Berth.Engine.Layers.Native.PosixFileSystem.Lstat(Berth.Engine.Layers.Native.PosixFileSystem.AT_FDCWD, path, out var st));
        return ((int)st.Uid, (int)st.Gid);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int lchown(string path, int uid, int gid);
}
