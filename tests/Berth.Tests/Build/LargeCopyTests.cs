using System.Formats.Tar;
using System.Runtime.InteropServices;
using Berth.Engine.Build;

namespace Berth.Tests.Build;

/// <summary>A COPY of a tree large enough to take the parallel paths (hashing ahead, copying files on every core).</summary>
public class LargeCopyTests
{
    [Fact]
    public async Task A_large_tree_is_copied_whole_with_modes_links_and_mtimes_and_a_rebuild_hits()
    {
        using var f = await BuildFixture.CreateAsync();
        var expected = new Dictionary<string, (string Content, UnixFileMode Mode)>();
        for (int i = 0; i < 300; i++)
        {
            string name = $"data/d{i / 50}/f{i:D3}.txt";
            var mode = i % 3 == 0 ? (UnixFileMode)0x1ED : (UnixFileMode)0x1A4;
            string content = $"file {i} " + new string('x', i * 101);
            f.Write(name, content, mode);
            File.SetLastWriteTimeUtc(Path.Combine(f.Context, name), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddMinutes(i));
            expected["data/" + name[5..]] = (content, mode);
        }
        Directory.CreateSymbolicLink(Path.Combine(f.Context, "data", "d0", "link"), "f000.txt");
        f.Dockerfile("FROM busybox\nCOPY data /data/\n");
        var (result, _) = await f.BuildAsync();

        var entries = f.LayerEntries(result.ImageId, -1);
        foreach (var (name, (content, mode)) in expected)
        {
            var entry = entries[name];
            Assert.Equal(content, BuildFixture.ReadEntry(entry));
            Assert.Equal(mode, entry.Mode);
            Assert.Equal((0, 0), (entry.Uid, entry.Gid));
            Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(f.Context, name)), entry.ModificationTime.UtcDateTime);
        }
        Assert.Equal(TarEntryType.SymbolicLink, entries["data/d0/link"].EntryType);
        Assert.Equal("f000.txt", entries["data/d0/link"].LinkName);
        Assert.Equal(300 + 1 + 6 + 1, entries.Count); // files, the link, six directories, /data itself

        var (again, progress) = await f.BuildAsync();
        Assert.Equal(result.ImageId, again.ImageId);
        Assert.Equal(StepOutcome.Cached, progress.OutcomeOf("COPY"));
    }
}

public class TopDirectoryTests
{
    [DllImport("libc", SetLastError = true)]
    static extern int ioctl(int fd, nuint request, ref int flags);

    [DllImport("libc", SetLastError = true)]
    static extern int open(string path, int flags);

    [DllImport("libc")]
    static extern int close(int fd);

    /// <summary>The directory's inode flags, or null where the file system has none.</summary>
    static int? Flags(string directory)
    {
        int fd = open(directory, 0x10000);
        Assert.True(fd >= 0);
        try
        {
            int flags = 0;
            return ioctl(fd, 0x80086601, ref flags) == 0 ? flags : null;
        }
        finally { close(fd); }
    }

    [Fact]
    public async Task A_build_step_marks_the_snapshots_directory_as_a_top_of_hierarchies_where_the_file_system_allows()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("a.txt", "a");
        f.Dockerfile("FROM busybox\nCOPY a.txt /a.txt\n");
        await f.BuildAsync();
        string snapshots = Path.Combine(f.Store.Root, "snapshots");
        var flags = Flags(snapshots);
        if (flags is { } value) Assert.Equal(0x00020000, value & 0x00020000);
        else Assert.False(BuildFileCalls.MarkTopDirectory(snapshots));
        Assert.Equal(flags is not null, BuildFileCalls.MarkTopDirectory(snapshots)); // idempotent
    }
}
