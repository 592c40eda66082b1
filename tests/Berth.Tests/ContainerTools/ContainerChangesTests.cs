using System.Formats.Tar;
using Berth.Engine.Containers.Changes;
using Berth.Tests.Layers;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerTools;

/// <summary>diff, commit and export of a container's file system, on a real overlay mount.</summary>
public class ContainerChangesTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _lower, _upper, _work, _merged;

    public ContainerChangesTests()
    {
        _lower = _dir.Combine("lower");
        _upper = _dir.Combine("upper");
        _work = _dir.Combine("work");
        _merged = _dir.Combine("merged");
        foreach (var d in new[] { _upper, _work, _merged, Path.Combine(_lower, "etc"), Path.Combine(_lower, "a"), Path.Combine(_lower, "old/deep"), Path.Combine(_lower, "bin") })
            Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(_lower, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        File.WriteAllText(Path.Combine(_lower, "a/x"), "x");
        File.WriteAllText(Path.Combine(_lower, "old/deep/f"), "f");
        File.CreateSymbolicLink(Path.Combine(_lower, "bin/sh"), "busybox");
        Sh.Run("mount", "-t", "overlay", "overlay", "-o", $"lowerdir={_lower},upperdir={_upper},workdir={_work},redirect_dir=off,metacopy=off", _merged);
    }

    public void Dispose()
    {
        Sh.Run("umount", _merged);
        _dir.Dispose();
    }

    /// <summary>What a container does, plus the mount points runc makes in a rootfs that lacks them.</summary>
    private void MakeChanges()
    {
        File.AppendAllText(Path.Combine(_merged, "etc/passwd"), "app:x:1000:1000::/home/app:/bin/sh\n");
        File.WriteAllText(Path.Combine(_merged, "a/new"), "new");
        File.WriteAllText(Path.Combine(_merged, "a.txt"), "sibling");
        Directory.Delete(Path.Combine(_merged, "old"), recursive: true);
        Directory.CreateDirectory(Path.Combine(_merged, "proc"));
        Directory.CreateDirectory(Path.Combine(_merged, "dev"));
        File.WriteAllText(Path.Combine(_merged, "etc/hosts"), "");
        File.WriteAllText(Path.Combine(_merged, "etc/resolv.conf"), "");
    }

    [Fact]
    public async Task Diff_lists_changes_in_dockers_walk_order_without_mount_points()
    {
        MakeChanges();
        var changes = await ContainerDiff.ComputeAsync(_upper, [_lower]);
        Assert.Equal(["C /a", "A /a/new", "A /a.txt", "C /etc", "C /etc/passwd", "D /old"], changes.Select(c => c.ToString()));
    }

    [Fact]
    public async Task Only_mount_points_is_no_change_at_all()
    {
        Directory.CreateDirectory(Path.Combine(_merged, "proc"));
        Directory.CreateDirectory(Path.Combine(_merged, "sys"));
        File.WriteAllText(Path.Combine(_merged, "etc/hostname"), "");
        Assert.Empty(await ContainerDiff.ComputeAsync(_upper, [_lower]));
    }

    [Fact]
    public void Walk_order_puts_a_directorys_children_before_a_sibling_that_sorts_lower_as_text()
    {
        var paths = new List<string> { "/a.txt", "/a/x", "/a", "/a-b", "/b" };
        paths.Sort(ContainerDiff.WalkOrder);
        Assert.Equal(["/a", "/a/x", "/a-b", "/a.txt", "/b"], paths);
    }

    [Fact]
    public async Task Commit_writes_a_layer_with_whiteouts_and_without_mount_points()
    {
        MakeChanges();
        using var ms = new MemoryStream();
        var result = await ContainerCommitter.WriteLayerAsync(_upper, [_lower], ms);
        Assert.Equal(ms.Length, result.Size);
        Assert.StartsWith("sha256:", result.DiffId.ToString());
        Assert.Equal(["a/", "a/new", "a.txt", "etc/", "etc/passwd", ".wh.old"], Names(ms));
    }

    [Fact]
    public async Task Export_is_the_whole_merged_tree_with_plain_names()
    {
        MakeChanges();
        using var ms = new MemoryStream();
        await ContainerExporter.ExportAsync(_merged, ms);
        var names = Names(ms);
        Assert.Equal(["a/", "a/new", "a/x", "a.txt", "bin/", "bin/sh", "dev/", "etc/", "etc/hosts", "etc/passwd", "etc/resolv.conf", "proc/"], names);
        ms.Position = 0;
        using var reader = new TarReader(ms);
        while (reader.GetNextEntry() is { } e)
        {
            if (e.Name == "bin/sh") Assert.Equal(("busybox", TarEntryType.SymbolicLink), (e.LinkName, e.EntryType));
            if (e.Name == "etc/passwd") Assert.Contains("app:x:1000", new StreamReader(e.DataStream!).ReadToEnd());
        }
    }

    private static List<string> Names(MemoryStream ms)
    {
        ms.Position = 0;
        var names = new List<string>();
        using var reader = new TarReader(ms, leaveOpen: true);
        while (reader.GetNextEntry() is { } e) names.Add(e.Name);
        return names;
    }
}
