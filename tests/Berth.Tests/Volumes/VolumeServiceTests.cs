using Berth.Engine;
using Berth.Engine.Services.Volumes;
using Berth.Tests.Support;

namespace Berth.Tests.Volumes;

public class VolumeServiceTests
{
    [Fact]
    public void Create_makes_the_data_directory_and_a_second_create_returns_the_same_volume()
    {
        using var store = new TempStore();
        var volumes = store.Engine.Volumes;
        var first = volumes.Create("data", new Dictionary<string, string> { ["a"] = "1" });
        Assert.Equal(Path.Combine(store.Root, "volumes", "data", "_data"), first.Mountpoint);
        Assert.True(Directory.Exists(first.Mountpoint));
        Assert.False(first.Anonymous);
        Assert.Equal("1", first.Labels["a"]);
        var again = volumes.Create("data", new Dictionary<string, string> { ["b"] = "2" });
        Assert.Equal(first.CreatedAt, again.CreatedAt);
        Assert.False(again.Labels.ContainsKey("b"));
        Assert.Single(volumes.List());
    }

    [Fact]
    public void A_volume_without_a_name_gets_64_hex_digits_and_the_anonymous_label()
    {
        using var store = new TempStore();
        var v = store.Engine.Volumes.Create(null);
        Assert.Matches("^[0-9a-f]{64}$", v.Name);
        Assert.True(v.Anonymous);
        Assert.Equal("", v.Labels[VolumeService.AnonymousLabel]);
        Assert.True(store.Engine.Volumes.Inspect(v.Name).Anonymous);
    }

    [Fact]
    public void GetOrCreate_says_whether_it_created()
    {
        using var store = new TempStore();
        store.Engine.Volumes.GetOrCreate("x1", out bool created);
        Assert.True(created);
        store.Engine.Volumes.GetOrCreate("x1", out created);
        Assert.False(created);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a/b")]
    [InlineData("_x")]
    [InlineData("../etc")]
    [InlineData("x y")]
    public void Names_outside_dockers_rule_are_refused_before_anything_is_written(string name)
    {
        using var store = new TempStore();
        var e = Assert.Throws<InvalidInputException>(() => store.Engine.Volumes.Create(name));
        Assert.Equal($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "volumes")));
    }

    [Fact]
    public void Unknown_driver_and_options_are_refused()
    {
        using var store = new TempStore();
        Assert.Equal("create v1: error looking up volume plugin nfsplug: plugin \"nfsplug\" not found",
            Assert.Throws<NotFoundException>(() => store.Engine.Volumes.Create("v1", driver: "nfsplug")).Message);
        Assert.Equal("create v1: invalid option: \"color\"",
            Assert.Throws<InvalidInputException>(() => store.Engine.Volumes.Create("v1", options: new Dictionary<string, string> { ["color"] = "red" })).Message);
        var ok = store.Engine.Volumes.Create("v1", options: new Dictionary<string, string> { ["type"] = "tmpfs", ["device"] = "tmpfs", ["o"] = "size=1m" });
        Assert.Equal("tmpfs", ok.Options["type"]);
    }

    [Fact]
    public void Inspect_and_remove_of_a_missing_volume_say_no_such_volume_and_force_ignores_it()
    {
        using var store = new TempStore();
        Assert.Equal("get nope: no such volume", Assert.Throws<NotFoundException>(() => store.Engine.Volumes.Inspect("nope")).Message);
        Assert.Equal("get nope: no such volume", Assert.Throws<NotFoundException>(() => store.Engine.Volumes.Remove("nope", force: false)).Message);
        store.Engine.Volumes.Remove("nope", force: true);
    }

    [Fact]
    public void A_volume_in_use_is_refused_even_with_force_and_removed_once_free()
    {
        using var store = new TempStore();
        var volumes = store.Engine.Volumes;
        var v = volumes.Create("busy");
        File.WriteAllText(Path.Combine(v.Mountpoint, "f"), "x");
        var users = new List<string> { "c1", "c2" };
        volumes.VolumeUsers = n => n == "busy" ? users : [];
        foreach (bool force in new[] { false, true })
            Assert.Equal("remove busy: volume is in use - [c1, c2]", Assert.Throws<ConflictException>(() => volumes.Remove("busy", force)).Message);
        Assert.True(File.Exists(Path.Combine(v.Mountpoint, "f")));
        users.Clear();
        volumes.Remove("busy", force: false);
        Assert.False(Directory.Exists(Path.Combine(store.Root, "volumes", "busy")));
        Assert.Empty(volumes.List());
    }

    [Fact]
    public void Prune_removes_only_unused_anonymous_volumes_unless_all_and_honours_label_filters_and_dry_run()
    {
        using var store = new TempStore();
        var volumes = store.Engine.Volumes;
        var anon = volumes.Create(null);
        var anonUsed = volumes.Create(null);
        volumes.Create("named", new Dictionary<string, string> { ["keep"] = "yes" });
        volumes.Create("named2");
        File.WriteAllBytes(Path.Combine(anon.Mountpoint, "blob"), new byte[1500]);
        volumes.VolumeUsers = n => n == anonUsed.Name ? ["c"] : [];

        var dry = volumes.Prune(all: false, [], dryRun: true);
        Assert.Equal([anon.Name], dry.Deleted);
        Assert.Equal(1500, dry.SpaceReclaimed);
        Assert.Equal(4, volumes.List().Count);

        var pruned = volumes.Prune(all: false, []);
        Assert.Equal([anon.Name], pruned.Deleted);
        Assert.Equal(1500, pruned.SpaceReclaimed);

        var filtered = volumes.Prune(all: true, [LabelFilter.Parse("keep", negated: true)]);
        Assert.Equal(["named2"], filtered.Deleted);
        Assert.Equal(new[] { anonUsed.Name, "named" }.Order(StringComparer.Ordinal), volumes.List().Select(v => v.Name));
    }

    [Fact]
    public void MeasureSize_counts_file_bytes()
    {
        using var store = new TempStore();
        var v = store.Engine.Volumes.Create("sized");
        File.WriteAllBytes(Path.Combine(v.Mountpoint, "a"), new byte[1234]);
        Directory.CreateDirectory(Path.Combine(v.Mountpoint, "d"));
        File.WriteAllBytes(Path.Combine(v.Mountpoint, "d", "b"), new byte[10]);
        Assert.Equal(1244, store.Engine.Volumes.MeasureSize(v));
    }

    [Fact]
    public void Volumes_survive_reopening_the_store()
    {
        using var store = new TempStore();
        store.Engine.Volumes.Create("persist", new Dictionary<string, string> { ["k"] = "v" }, new Dictionary<string, string> { ["type"] = "tmpfs" });
        var reopened = Berth.Engine.Services.BerthEngine.Open(store.Root);
        var v = reopened.Volumes.Inspect("persist");
        Assert.Equal("v", v.Labels["k"]);
        Assert.Equal("tmpfs", v.Options["type"]);
        Assert.Equal("local", v.Driver);
    }

    [Fact]
    public void The_lock_is_reentrant_so_callers_can_create_inside_it()
    {
        using var store = new TempStore();
        using (store.Engine.Volumes.Lock())
        {
            store.Engine.Volumes.GetOrCreate("inside", out bool created);
            Assert.True(created);
        }
        // Released: another engine on the same store (its own lock file description) can take it.
        using (Berth.Engine.Services.BerthEngine.Open(store.Root).Volumes.Lock()) { }
    }
}
