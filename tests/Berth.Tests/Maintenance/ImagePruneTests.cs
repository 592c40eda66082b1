using Berth.Tests.Support;

namespace Berth.Tests.Maintenance;

public class ImagePruneTests
{
    static async Task<string> ImportAsync(TempStore store, params string[] args)
    {
        var (code, stdout, stderr) = await store.CliAsync(["import", .. args]);
        Assert.True(code == 0, stderr);
        return stdout.Trim();
    }

    [Fact]
    public async Task Prune_removes_only_dangling_images_and_prints_dockers_report()
    {
        using var store = new TempStore();
        string tagged = await ImportAsync(store, BusyboxRootfs.TarPath, "keep:1");
        string dangling = await ImportAsync(store, "-c", "ENV A=1", BusyboxRootfs.TarPath);
        var (code, stdout, stderr) = await store.CliAsync("image", "prune", "-f");
        Assert.True(code == 0, stderr);
        // The layer is shared with keep:1, so only the config goes and nothing is reclaimed.
        Assert.Equal($"Deleted Images:\ndeleted: {dangling}\n\nTotal reclaimed space: 0B\n", stdout);
        (_, stdout, _) = await store.CliAsync("images", "-q", "--no-trunc");
        Assert.Equal(tagged + "\n", stdout);
        (_, stdout, _) = await store.CliAsync("image", "prune", "-f");
        Assert.Equal("Total reclaimed space: 0B\n", stdout);
    }

    [Fact]
    public async Task Prune_all_untags_and_deletes_and_reclaims_the_layer_size()
    {
        using var store = new TempStore();
        string id = await ImportAsync(store, BusyboxRootfs.TarPath, "one:1");
        await store.CliAsync("tag", "one:1", "two:2");
        long size = store.Engine.Store.Metadata.AllLayers().Single().Size;

        var (code, stdout, _) = await store.CliAsync("image", "prune", "-a", "--dry-run");
        Assert.Equal(0, code);
        var chain = store.Engine.Store.Metadata.AllLayers().Single().ChainId;
        string expectedSize = Berth.Cli.Formatting.HumanUnits.HumanSize4(size);
        Assert.Equal($"Would delete images:\nuntagged: one:1\nuntagged: two:2\ndeleted: {id}\ndeleted: {chain}\n\nTotal reclaimable space: {expectedSize}\n", stdout);
        Assert.Single(store.Engine.Images.ListAll());

        (code, stdout, _) = await store.CliAsync("image", "prune", "-a", "-f");
        Assert.Equal(0, code);
        Assert.Equal($"Deleted Images:\nuntagged: one:1\nuntagged: two:2\ndeleted: {id}\ndeleted: {chain}\n\nTotal reclaimed space: {expectedSize}\n", stdout);
        Assert.Empty(store.Engine.Images.ListAll());
        Assert.Empty(store.Engine.Store.Content.List());
        Assert.Empty(store.Engine.Store.Snapshots.ListLayers());
    }

    [Fact]
    public async Task Images_a_container_uses_are_skipped()
    {
        using var store = new TempStore();
        string id = await ImportAsync(store, BusyboxRootfs.TarPath, "used:1");
        store.Engine.Images.ImageUsers = d => d.ToString() == id ? [new Berth.Engine.Services.Images.ImageUser(new string('1', 64), false)] : [];
        // The CLI opens its own engine, so the hook is exercised through the engine here.
        var result = await store.Engine.Maintenance.ImagePruner.PruneAsync(all: true, Berth.Engine.Services.Maintenance.PruneFilter.None, dryRun: false);
        Assert.Empty(result.Entries);
        var dry = await store.Engine.Maintenance.ImagePruner.PruneAsync(all: true, Berth.Engine.Services.Maintenance.PruneFilter.None, dryRun: true);
        Assert.Empty(dry.Entries);
        Assert.Single(store.Engine.Images.ListAll());
    }

    [Fact]
    public async Task Label_and_until_filters_select_images()
    {
        using var store = new TempStore();
        await ImportAsync(store, "-c", "LABEL team=a", BusyboxRootfs.TarPath, "a:1");
        string b = await ImportAsync(store, "-c", "LABEL team=b", BusyboxRootfs.TarPath, "b:1");
        var (_, stdout, _) = await store.CliAsync("image", "prune", "-a", "-f", "--filter", "label=team=b");
        Assert.Contains($"deleted: {b}", stdout);
        Assert.DoesNotContain("a:1", stdout);
        (_, stdout, _) = await store.CliAsync("image", "prune", "-a", "-f", "--filter", "until=1h");
        Assert.Equal("Total reclaimed space: 0B\n", stdout); // a:1 was created just now, not before an hour ago
        (_, stdout, _) = await store.CliAsync("image", "prune", "-a", "-f", "--filter", "until=2h30m", "--filter", "label!=team");
        Assert.Equal("Total reclaimed space: 0B\n", stdout);
        Assert.Single(store.Engine.Images.ListAll());
    }

    [Fact]
    public async Task Without_force_and_without_a_terminal_prune_refuses_and_deletes_nothing()
    {
        using var store = new TempStore();
        await ImportAsync(store, BusyboxRootfs.TarPath);
        Assert.True(Console.IsInputRedirected, "the test host's stdin must be redirected for this test to mean anything");
        var (code, stdout, stderr) = await store.CliAsync("image", "prune");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("Error: stdin is not a terminal, so the prompt cannot be confirmed: use --force (-f) to skip it\n", stderr);
        Assert.Single(store.Engine.Images.ListAll());
    }

    [Fact]
    public async Task A_bad_filter_is_one_error_line()
    {
        using var store = new TempStore();
        var (code, _, stderr) = await store.CliAsync("image", "prune", "-f", "--filter", "until=yesterday");
        Assert.NotEqual(0, code);
        Assert.Equal("Error: failed to parse value as time or duration: \"yesterday\"\n", stderr);
        (code, _, stderr) = await store.CliAsync("image", "prune", "-f", "--filter", "colour=red");
        Assert.Equal("Error: invalid filter 'colour'\n", stderr);
    }
}
