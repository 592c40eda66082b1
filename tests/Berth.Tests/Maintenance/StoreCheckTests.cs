using Berth.Engine.Content;
using Berth.Engine.Services.Images;
using Berth.Engine.Services.Maintenance;
using Berth.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Berth.Tests.Maintenance;

/// <summary>Breaks a temp store in one way each and checks what `system check` reports and what --repair fixes.</summary>
public class StoreCheckTests
{
    static async Task<(TempStore Store, Digest Image)> StoreWithImageAsync()
    {
        var store = new TempStore();
        await using var tar = File.OpenRead(BusyboxRootfs.TarPath);
        var id = await store.Engine.Images.ImportAsync(tar, new ImportOptions("busybox.tar", [], null, null, "demo:1"));
        return (store, id);
    }

    static Task<CheckReport> CheckAsync(TempStore store, bool repair = false)
        => store.Engine.Maintenance.Checker.CheckAsync(repair, TimeSpan.Zero);

    static void Age(string path) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-2));

    static void Sql(TempStore store, string sql)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(store.Root, "berth.db")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA foreign_keys=OFF; " + sql;
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public async Task A_fresh_store_with_an_image_is_consistent_and_the_cli_says_so()
    {
        var (store, _) = await StoreWithImageAsync();
        using var storeOwner = store; // deleted with the test
        using var _s = store;
        var report = await CheckAsync(store);
        Assert.True(report.Consistent, string.Join("\n", report.Findings));
        Assert.Equal(1, report.Images);
        Assert.Equal(1, report.Layers);
        var (code, stdout, _) = await store.CliAsync("system", "check");
        Assert.Equal(0, code);
        Assert.Equal("Checked 1 image, 1 layer, 2 blobs, 1 tag or digest, 0 volumes.\nThe store is consistent.\n", stdout);
    }

    [Fact]
    public async Task A_missing_config_blob_is_damage_that_repair_cannot_fix()
    {
        var (store, id) = await StoreWithImageAsync();
        using var storeOwner = store; // deleted with the test
        using var _s = store;
        File.Delete(store.Engine.Store.Content.PathOf(id));
        var report = await CheckAsync(store, repair: true);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(("image", id.ToString(), false, false), (finding.Kind, finding.Subject, finding.Repairable, finding.Repaired));
        Assert.StartsWith("config blob missing", finding.Problem);
        var (code, stdout, _) = await store.CliAsync("system", "check");
        Assert.Equal(1, code);
        Assert.EndsWith("1 problem left: 0 can be repaired with --repair, 1 cannot.\n", stdout);
    }

    [Fact]
    public async Task A_corrupt_layer_tar_and_the_images_using_it_are_reported()
    {
        var (store, id) = await StoreWithImageAsync();
        using var storeOwner = store; // deleted with the test
        using var _s = store;
        var layer = store.Engine.Store.Metadata.ImageLayers(id).Single();
        string path = store.Engine.Store.Content.PathOf(layer.DiffId);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using (var f = new FileStream(path, FileMode.Open, FileAccess.Write)) { f.Position = 600; f.WriteByte(0x42); }
        var report = await CheckAsync(store);
        Assert.Contains(report.Damage, f => f.Kind == "layer" && f.Subject == layer.ChainId.ToString() && f.Problem.Contains("corrupt: its content hashes to sha256:"));
        Assert.Contains(report.Damage, f => f.Kind == "image" && f.Subject == id.ToString() && f.Problem.StartsWith("incomplete"));
    }

    [Fact]
    public async Task A_missing_snapshot_is_damage()
    {
        var (store, id) = await StoreWithImageAsync();
        using var storeOwner = store; // deleted with the test
        using var _s = store;
        var layer = store.Engine.Store.Metadata.ImageLayers(id).Single();
        Directory.Delete(Path.GetDirectoryName(store.Engine.Store.Snapshots.LayerDirectory(layer.ChainId))!, recursive: true);
        var report = await CheckAsync(store, repair: true);
        Assert.Contains(report.Damage, f => f.Kind == "layer" && f.Problem.StartsWith("snapshot directory is missing"));
        Assert.Contains(report.Damage, f => f.Kind == "image" && f.Subject == id.ToString());
        Assert.False(report.Consistent);
    }

    [Fact]
    public async Task A_wrong_recorded_size_is_repaired()
    {
        var (store, id) = await StoreWithImageAsync();
        using var storeOwner = store; // deleted with the test
        using var _s = store;
        var layer = store.Engine.Store.Metadata.ImageLayers(id).Single();
        File.WriteAllBytes(Path.Combine(store.Engine.Store.Snapshots.LayerDirectory(layer.ChainId), "extra"), new byte[100]);
        var report = await CheckAsync(store, repair: true);
        var finding = Assert.Single(report.Findings);
        Assert.True(finding.Repaired);
        Assert.Contains($"recorded size {layer.Size} but the snapshot holds {layer.Size + 100} bytes", finding.Problem);
        Assert.True((await CheckAsync(store)).Consistent);
    }

    [Fact]
    public async Task A_tag_to_a_missing_image_is_removed_by_repair()
    {
        var (store, _) = await StoreWithImageAsync();
        using var storeOwner = store; // deleted with the test
        using var _s = store;
        Sql(store, "INSERT INTO tags(name, image_id, added) VALUES ('docker.io/library/ghost:1', 'sha256:" + new string('a', 64) + "', 0)");
        var report = await CheckAsync(store);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(("tag", "docker.io/library/ghost:1", true), (finding.Kind, finding.Subject, finding.Repairable));
        Assert.True((await CheckAsync(store, repair: true)).Consistent);
        Assert.True((await CheckAsync(store)).Findings.Count == 0);
        Assert.Null(store.Engine.Store.Metadata.ResolveTag("docker.io/library/ghost:1"));
    }

    [Fact]
    public async Task Orphan_blobs_snapshots_layers_links_leftovers_and_leases_are_found_and_repaired_and_the_image_survives()
    {
        var (store, id) = await StoreWithImageAsync();
        using var storeOwner = store; // deleted with the test
        using var _s = store;
        var s = store.Engine.Store;
        var orphanBlob = await s.Content.WriteAsync("orphan"u8.ToArray());
        Age(s.Content.PathOf(orphanBlob));
        var youngBlob = await s.Content.WriteAsync("young"u8.ToArray());
        string orphanSnapshot = Path.Combine(s.Snapshots.SnapshotsDirectory, new string('b', 64), "fs");
        Directory.CreateDirectory(orphanSnapshot);
        File.CreateSymbolicLink(Path.Combine(s.Root, "l", "deadbeef0000"), "/nonexistent/fs");
        string ingest = Path.Combine(s.Root, "ingest", "leftover");
        File.WriteAllText(ingest, "partial");
        Age(ingest);
        string tmp = Path.Combine(s.TempDirectory, "half-unpacked");
        Directory.CreateDirectory(tmp);
        File.WriteAllText(Path.Combine(tmp, "f"), "x");
        Age(Path.Combine(tmp, "f")); Age(tmp);
        // An unreferenced layer row with its files, as an interrupted rmi would leave it.
        string layerHex = new string('c', 64);
        Directory.CreateDirectory(Path.Combine(s.Snapshots.SnapshotsDirectory, layerHex, "fs"));
        Sql(store, $"INSERT INTO layers(chain_id, diff_id, parent, size) VALUES ('sha256:{layerHex}', 'sha256:{layerHex}', NULL, 0)");
        Sql(store, "INSERT INTO leases(id, pid, created) VALUES ('dead', 999999999, 0); INSERT INTO lease_resources(lease_id, kind, resource) VALUES ('dead', 'layer', 'sha256:x')");

        var checker = store.Engine.Maintenance.Checker;
        var report = await checker.CheckAsync(repair: false, TimeSpan.FromHours(1));
        Assert.True(report.Damage.Count == 0, string.Join("\n", report.Damage));
        Assert.Equal(["blob", "layer", "lease", "leftover", "leftover", "link", "snapshot"], report.Findings.Select(f => f.Kind).Order().ToList());
        Assert.Contains(report.InProgress, p => p.Contains(youngBlob.ToString()));
        Assert.DoesNotContain(report.Findings, f => f.Subject == youngBlob.ToString());

        var repaired = await checker.CheckAsync(repair: true, TimeSpan.FromHours(1));
        Assert.True(repaired.Consistent, string.Join("\n", repaired.Findings));
        Assert.Equal(7, repaired.Findings.Count);
        Assert.Empty((await checker.CheckAsync(repair: false, TimeSpan.FromHours(1))).Findings);
        Assert.False(s.Content.Exists(orphanBlob));
        Assert.True(s.Content.Exists(youngBlob));
        Assert.False(Directory.Exists(Path.GetDirectoryName(orphanSnapshot)));
        Assert.False(File.Exists(ingest));
        Assert.False(Directory.Exists(tmp));
        Assert.Empty(s.Metadata.AllLeases());

        // The real image is untouched and still complete.
        var layer = s.Metadata.ImageLayers(id).Single();
        Assert.True(s.Snapshots.HasLayer(layer.ChainId));
        Assert.True(s.Content.Exists(layer.DiffId) && s.Content.Exists(id));
        Assert.Equal(id, s.Metadata.ResolveTag("docker.io/library/demo:1"));
    }

    [Fact]
    public async Task Volume_directories_without_rows_and_rows_without_directories_are_reported()
    {
        using var store = new TempStore();
        var volumes = store.Engine.Volumes;
        var lost = volumes.Create("lost");
        Directory.Delete(Path.GetDirectoryName(lost.Mountpoint)!, recursive: true);
        Directory.CreateDirectory(Path.Combine(store.Root, "volumes", "halfmade", "_data"));
        Directory.CreateDirectory(Path.Combine(store.Root, "volumes", "withdata", "_data"));
        File.WriteAllText(Path.Combine(store.Root, "volumes", "withdata", "_data", "keep"), "user data");

        var report = await CheckAsync(store, repair: true);
        Assert.Contains(report.Findings, f => f.Subject == "halfmade" && f.Repaired);
        Assert.Contains(report.Damage, f => f.Subject == "withdata" && f.Problem.Contains("holds data"));
        Assert.Contains(report.Damage, f => f.Subject == "lost" && f.Problem.StartsWith("data directory is missing"));
        Assert.False(Directory.Exists(Path.Combine(store.Root, "volumes", "halfmade")));
        Assert.True(File.Exists(Path.Combine(store.Root, "volumes", "withdata", "_data", "keep")));
    }
}
