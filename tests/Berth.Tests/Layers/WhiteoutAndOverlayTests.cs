using System.Formats.Tar;
using Berth.Engine.Layers;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Tests.Layers;

public sealed class WhiteoutAndOverlayTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static byte[] Tar(params (string Name, string? Content)[] entries)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, content) in entries)
                writer.WriteEntry(content is null
                    ? new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0x1ED }
                    : new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), Mode = (UnixFileMode)0x1A4 });
        return ms.ToArray();
    }

    private static List<string> EntryNames(byte[] tar)
    {
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } e) names.Add(e.Name);
        return names;
    }

    private static byte[] DeletingLayer => Tar(
        ("etc/", null), ("etc/.wh.motd", ""),
        ("var/", null), ("var/cache/", null), ("var/cache/.wh..wh..opq", ""), ("var/cache/fresh", "new"),
        (".wh..wh.plnk", ""));

    [Fact]
    public async Task Overlay_mode_writes_whiteouts_as_0_0_character_devices_and_opaque_xattrs()
    {
        string root = _tmp.Sub("layer");
        await LayerApplier.ApplyAsync(new MemoryStream(DeletingLayer), root, LayerApplyOptions.Overlay);
        var wh = Fs.Stat(root + "/etc/motd");
        Assert.True(wh.IsWhiteout);
        Assert.False(Fs.Exists(root + "/etc/.wh.motd"));
        Assert.Equal("y"u8.ToArray(), Fs.GetXattr(root + "/var/cache", "trusted.overlay.opaque"));
        Assert.Null(Fs.GetXattr(root + "/var", "trusted.overlay.opaque"));
        Assert.Equal("new", File.ReadAllText(root + "/var/cache/fresh"));
        Assert.False(Fs.Exists(root + "/.wh..wh.plnk"));
    }

    [Fact]
    public async Task Flat_mode_deletes_whited_out_paths_and_empties_opaque_directories_of_older_content()
    {
        string root = _tmp.Sub("tree");
        await LayerApplier.ApplyAsync(new MemoryStream(Tar(
            ("etc/", null), ("etc/motd", "hello"), ("etc/keep", "k"),
            ("var/", null), ("var/cache/", null), ("var/cache/old", "o"), ("var/cache/sub/", null), ("var/cache/sub/deep", "d"))), root, LayerApplyOptions.Flat);
        string outside = _tmp.Sub("outside");
        File.WriteAllText(outside + "/precious", "p");
        File.CreateSymbolicLink(root + "/var/cache/sub/out", outside);

        await LayerApplier.ApplyAsync(new MemoryStream(DeletingLayer), root, LayerApplyOptions.Flat);

        Assert.False(Fs.Exists(root + "/etc/motd"));
        Assert.True(Fs.Exists(root + "/etc/keep"));
        Assert.Equal(["fresh"], Directory.EnumerateFileSystemEntries(root + "/var/cache").Select(Path.GetFileName));
        Assert.Equal("p", File.ReadAllText(outside + "/precious")); // deleting a tree never follows its symlinks
    }

    [Fact]
    public async Task A_whited_out_directory_is_removed_with_its_contents_in_flat_mode()
    {
        string root = _tmp.Sub("tree");
        await LayerApplier.ApplyAsync(new MemoryStream(Tar(("d/", null), ("d/a/", null), ("d/a/f", "1"))), root, LayerApplyOptions.Flat);
        await LayerApplier.ApplyAsync(new MemoryStream(Tar((".wh.d", ""))), root, LayerApplyOptions.Flat);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public async Task An_upper_dir_with_whiteouts_and_an_opaque_dir_becomes_an_OCI_tar()
    {
        string upper = _tmp.Sub("upper");
        Directory.CreateDirectory(upper + "/etc");
        Fs.Mknod(upper + "/etc/removed", S_IFCHR, 0, 0, 0);
        Directory.CreateDirectory(upper + "/opaque");
        Fs.SetXattr(upper + "/opaque", "trusted.overlay.opaque", "y"u8.ToArray());
        Fs.SetXattr(upper + "/etc", "trusted.overlay.origin", [1, 2, 3]);
        File.WriteAllText(upper + "/opaque/new", "n");

        using var ms = new MemoryStream();
        await LayerDiffer.WriteOverlayDiffAsync(upper, [], ms);
        var tar = ms.ToArray();
        Assert.Equal(["etc/", "etc/.wh.removed", "opaque/", "opaque/.wh..wh..opq", "opaque/new"], EntryNames(tar));
        Assert.DoesNotContain("trusted.overlay", System.Text.Encoding.Latin1.GetString(tar));

        string flat = _tmp.Sub("flat");
        Directory.CreateDirectory(flat + "/opaque");
        File.WriteAllText(flat + "/opaque/old", "o");
        File.WriteAllText(flat + "/etc-placeholder", "");
        Directory.CreateDirectory(flat + "/etc");
        File.WriteAllText(flat + "/etc/removed", "r");
        await LayerApplier.ApplyAsync(new MemoryStream(tar), flat, LayerApplyOptions.Flat);
        Assert.False(Fs.Exists(flat + "/etc/removed"));
        Assert.False(Fs.Exists(flat + "/opaque/old"));
        Assert.True(Fs.Exists(flat + "/opaque/new"));
    }

    [Fact]
    public async Task A_real_overlay_mount_honours_applied_whiteouts_and_its_upper_dir_diffs_back_to_a_layer()
    {
        // Base layer and a second layer that deletes and makes a directory opaque, both applied in overlay mode.
        string lower1 = _tmp.Sub("lower1");
        string lower2 = _tmp.Sub("lower2");
        await LayerApplier.ApplyAsync(new MemoryStream(Tar(
            ("etc/", null), ("etc/motd", "hello"), ("etc/hostname", "base"),
            ("var/", null), ("var/cache/", null), ("var/cache/old", "o"),
            ("opt/", null))), lower1);
        await LayerApplier.ApplyAsync(new MemoryStream(DeletingLayer), lower2);

        string upper = _tmp.Sub("upper"), work = _tmp.Sub("work"), merged = _tmp.Sub("merged");
        Sh.Run("mount", "-t", "overlay", "overlay", "-o", $"lowerdir={lower2}:{lower1},upperdir={upper},workdir={work}", merged);
        try
        {
            Assert.False(File.Exists(merged + "/etc/motd"));
            Assert.Equal("base", File.ReadAllText(merged + "/etc/hostname"));
            Assert.Equal(["fresh"], Directory.EnumerateFileSystemEntries(merged + "/var/cache").Select(Path.GetFileName));

            // What a RUN or COPY step does in a container.
            Directory.CreateDirectory(merged + "/opt/demo app/bin");
            File.WriteAllText(merged + "/opt/demo app/bin/run", "#!/bin/sh\n");
            File.AppendAllText(merged + "/etc/hostname", "-changed");
            File.Delete(merged + "/var/cache/fresh");
            Directory.Delete(merged + "/var/cache");
            Directory.CreateDirectory(merged + "/var/cache");
            File.WriteAllText(merged + "/var/cache/newer", "n");
        }
        finally
        {
            Sh.Run("umount", merged);
        }

        using var ms = new MemoryStream();
        var result = await LayerDiffer.WriteOverlayDiffAsync(upper, [lower2, lower1], ms);
        var names = EntryNames(ms.ToArray());
        Assert.Equal([
            "etc/", "etc/hostname",
            "opt/", "opt/demo app/", "opt/demo app/bin/", "opt/demo app/bin/run",
            "var/", "var/cache/", "var/cache/.wh..wh..opq", "var/cache/newer",
        ], names);

        var changes = await LayerDiffer.ComputeChangesAsync(upper, [lower2, lower1]);
        Assert.Equal([
            "C /etc", "C /etc/hostname",
            "C /opt", "A /opt/demo app", "A /opt/demo app/bin", "A /opt/demo app/bin/run",
            "C /var", "C /var/cache", "D /var/cache/fresh", "A /var/cache/newer",
        ], changes.Select(c => c.ToString()));

        // The produced layer applied on the flat base gives the merged view.
        string flat = _tmp.Sub("flat");
        foreach (var layer in new[] { lower1, lower2 })
        {
            using var t = new MemoryStream();
            await LayerDiffer.WriteOverlayDiffAsync(layer, [], t);
            t.Position = 0;
            await LayerApplier.ApplyAsync(t, flat, LayerApplyOptions.Flat);
        }
        ms.Position = 0;
        var applied = await LayerApplier.ApplyAsync(ms, flat, LayerApplyOptions.Flat);
        Assert.Equal(result.DiffId, applied.DiffId);
        Assert.Equal("base-changed", File.ReadAllText(flat + "/etc/hostname"));
        Assert.Equal(["newer"], Directory.EnumerateFileSystemEntries(flat + "/var/cache").Select(Path.GetFileName));
        Assert.False(File.Exists(flat + "/etc/motd"));
        Assert.True(File.Exists(flat + "/opt/demo app/bin/run"));
    }

    [Fact]
    public async Task Deleting_a_tree_in_an_overlay_mount_is_one_D_change()
    {
        string lower = _tmp.Sub("lower");
        await LayerApplier.ApplyAsync(new MemoryStream(Tar(("app/", null), ("app/a/", null), ("app/a/f", "1"), ("app/b", "2"))), lower);
        string upper = _tmp.Sub("upper"), work = _tmp.Sub("work"), merged = _tmp.Sub("merged");
        Sh.Run("mount", "-t", "overlay", "overlay", "-o", $"lowerdir={lower},upperdir={upper},workdir={work}", merged);
        try { Directory.Delete(merged + "/app/a", recursive: true); }
        finally { Sh.Run("umount", merged); }
        var changes = await LayerDiffer.ComputeChangesAsync(upper, [lower]);
        Assert.Equal(["C /app", "D /app/a"], changes.Select(c => c.ToString()));
        using var ms = new MemoryStream();
        await LayerDiffer.WriteOverlayDiffAsync(upper, [lower], ms);
        Assert.Equal(["app/", "app/.wh.a"], EntryNames(ms.ToArray()));
    }
}
