using System.Formats.Tar;
using Berth.Engine;
using Berth.Engine.Services.Images;
using Berth.Tests.Support;

namespace Berth.Tests.Services;

public class ImageServiceTests
{
    static async Task<Berth.Engine.Content.Digest> ImportBusyboxAsync(TempStore store, string? tag = "busybox:latest")
    {
        await using var tar = File.OpenRead(BusyboxRootfs.TarPath);
        return await store.Engine.Images.ImportAsync(tar, new ImportOptions("busybox.tar", [], null, null, tag));
    }

    [Fact]
    public async Task Imported_rootfs_becomes_a_one_layer_image_with_its_tag()
    {
        using var store = new TempStore();
        var id = await ImportBusyboxAsync(store);
        Assert.Equal(id, store.Engine.Images.Resolve("busybox"));
        Assert.Equal(id, store.Engine.Images.Resolve("docker.io/library/busybox:latest"));
        Assert.Equal(id, store.Engine.Images.Resolve(id.Hex[..6]));
        var config = await store.Engine.Images.ReadConfigAsync(id);
        Assert.Single(config.RootFs.DiffIds);
        var history = Assert.Single(await store.Engine.Images.HistoryAsync("busybox"));
        Assert.Equal("Imported from busybox.tar", history.Comment);
        Assert.Equal(id, history.Image);
        Assert.True(history.Size > 500_000, $"busybox layer size {history.Size}");
        var layer = store.Engine.Store.Metadata.ImageLayers(id).Single();
        Assert.True(File.Exists(Path.Combine(store.Engine.Store.Snapshots.LayerDirectory(layer.ChainId), "bin", "busybox")));
    }

    [Fact]
    public async Task Importing_the_same_tar_twice_shares_one_layer()
    {
        using var store = new TempStore();
        await ImportBusyboxAsync(store, "a:1");
        await ImportBusyboxAsync(store, "b:1");
        Assert.Single(store.Engine.Store.Snapshots.ListLayers());
    }

    [Fact]
    public async Task Rmi_by_name_untags_then_deletes_image_and_layer_files()
    {
        using var store = new TempStore();
        var id = await ImportBusyboxAsync(store);
        store.Engine.Images.Tag("busybox", "other:v2");
        var first = store.Engine.Images.Remove("other:v2", force: false);
        Assert.Equal(["Untagged: other:v2"], first.Select(e => e.ToString()));
        var second = store.Engine.Images.Remove("busybox", force: false);
        Assert.Equal("Untagged: busybox:latest", second[0].ToString());
        Assert.Equal("Deleted: " + id, second[1].ToString());
        Assert.Empty(store.Engine.Store.Snapshots.ListLayers());
        Assert.Empty(store.Engine.Store.Content.List());
    }

    [Fact]
    public async Task Rmi_by_id_of_an_image_in_several_repositories_needs_force()
    {
        using var store = new TempStore();
        var id = await ImportBusyboxAsync(store);
        store.Engine.Images.Tag("busybox", "other:v2");
        var e = Assert.Throws<ConflictException>(() => store.Engine.Images.Remove(id.Hex[..12], force: false));
        Assert.Contains("must be forced", e.Message);
        var lines = store.Engine.Images.Remove(id.Hex[..12], force: true).Select(l => l.ToString()).ToList();
        Assert.Contains("Untagged: busybox:latest", lines);
        Assert.Contains("Untagged: other:v2", lines);
        Assert.Contains("Deleted: " + id, lines);
    }

    [Fact]
    public async Task Save_then_load_into_another_store_gives_the_same_image_id()
    {
        using var a = new TempStore();
        using var b = new TempStore();
        var id = await ImportBusyboxAsync(a);
        var archive = new MemoryStream();
        await a.Engine.Images.SaveAsync(["busybox"], archive);
        archive.Position = 0;
        var result = await b.Engine.Images.LoadAsync(archive, "archive");
        Assert.Equal(["Loaded image: busybox:latest"], result.Lines);
        Assert.Equal(id, b.Engine.Images.Resolve("busybox"));
    }

    [Fact]
    public async Task Saving_a_bare_repository_name_saves_every_tag_of_it()
    {
        using var a = new TempStore();
        using var b = new TempStore();
        await ImportBusyboxAsync(a);
        a.Engine.Images.Tag("busybox", "busybox:v2");
        var archive = new MemoryStream();
        await a.Engine.Images.SaveAsync(["busybox"], archive);
        archive.Position = 0;
        var result = await b.Engine.Images.LoadAsync(archive, "archive");
        Assert.Equal(["Loaded image: busybox:latest", "Loaded image: busybox:v2"], result.Lines);
    }

    [Fact]
    public async Task Importing_a_truncated_tar_fails_and_leaves_the_store_unchanged()
    {
        using var store = new TempStore();
        var before = store.DataFiles();
        var bytes = await File.ReadAllBytesAsync(BusyboxRootfs.TarPath);
        var truncated = new MemoryStream(bytes[..(bytes.Length / 2 + 100)]);
        await Assert.ThrowsAnyAsync<BerthException>(() => store.Engine.Images.ImportAsync(truncated, new ImportOptions("t.tar", [], null, null, "t:1")));
        Assert.Equal(before, store.DataFiles());
        Assert.Empty(store.Engine.Images.ListAll());
    }

    [Fact]
    public async Task Importing_a_layer_with_a_parent_directory_entry_fails_and_writes_nothing_outside()
    {
        using var store = new TempStore();
        var before = store.DataFiles();
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "ok.txt") { DataStream = new MemoryStream("ok"u8.ToArray()) });
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "../evil") { DataStream = new MemoryStream("evil"u8.ToArray()) });
        }
        tar.Position = 0;
        var e = await Assert.ThrowsAnyAsync<BerthException>(() => store.Engine.Images.ImportAsync(tar, new ImportOptions("evil.tar", [], null, null, "evil:1")));
        Assert.Contains("../evil", e.Message);
        Assert.Equal(before, store.DataFiles());
        Assert.False(File.Exists(Path.Combine(store.Root, "evil")));
        Assert.False(File.Exists(Path.Combine(store.Root, "tmp", "evil")));
    }

    [Fact]
    public async Task Loading_an_archive_whose_manifest_names_a_missing_layer_fails_and_changes_nothing()
    {
        using var store = new TempStore();
        var before = store.DataFiles();
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            byte[] config = """{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]}}"""u8.ToArray();
            await writer.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, "config.json") { DataStream = new MemoryStream(config) });
            await writer.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream("""[{"Config":"config.json","RepoTags":["x:1"],"Layers":["missing/layer.tar"]}]"""u8.ToArray()) });
        }
        tar.Position = 0;
        var e = await Assert.ThrowsAnyAsync<BerthException>(() => store.Engine.Images.LoadAsync(tar, "bad.tar"));
        Assert.Contains("missing/layer.tar", e.Message);
        Assert.Equal(before, store.DataFiles());
    }

    [Fact]
    public async Task Loading_an_archive_with_path_traversal_in_manifest_json_is_refused()
    {
        using var store = new TempStore();
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
            await writer.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream("""[{"Config":"../../../../etc/passwd","Layers":[]}]"""u8.ToArray()) });
        tar.Position = 0;
        var e = await Assert.ThrowsAnyAsync<BerthException>(() => store.Engine.Images.LoadAsync(tar, "evil.tar"));
        Assert.Contains("outside the archive", e.Message);
    }

    [Fact]
    public void An_unknown_image_name_is_a_not_found_error_naming_it()
    {
        using var store = new TempStore();
        var e = Assert.Throws<NotFoundException>(() => store.Engine.Images.Resolve("nosuch:latest"));
        Assert.Equal("No such image: nosuch:latest", e.Message);
    }
}
