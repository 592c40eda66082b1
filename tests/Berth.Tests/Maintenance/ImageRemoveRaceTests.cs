using Berth.Engine;
using Berth.Engine.Content;
using Berth.Engine.Services.Images;
using Berth.Engine.Services.Maintenance;
using Berth.Tests.Support;

namespace Berth.Tests.Maintenance;

/// <summary>
/// Regression tests for the lost tag the concurrency soak found: `image prune` (and `rmi` by ID) decided an image was
/// untagged without the collector lock, a build that produced the same image ID (a fully cached build) tagged it
/// meanwhile, and the delete then took the image with its new tag. The "meanwhile" is played here by the image-users
/// hook, which `rmi` calls between its decision and the delete.
/// </summary>
public class ImageRemoveRaceTests
{
    static async Task<(TempStore Store, Digest Id)> DanglingAsync()
    {
        var store = new TempStore();
        var (code, stdout, stderr) = await store.CliAsync("import", BusyboxRootfs.TarPath);
        Assert.True(code == 0, stderr);
        return (store, Digest.Parse(stdout.Trim()));
    }

    /// <summary>Tags <paramref name="id"/> as <paramref name="tag"/> the first time the image's users are asked for.</summary>
    static void TagOnFirstUsersQuery(TempStore store, Digest id, string tag)
    {
        bool done = false;
        store.Engine.Images.ImageUsers = image =>
        {
            if (!done && image == id) { done = true; store.Engine.Store.Metadata.SetTag(tag, id); }
            return [];
        };
    }

    [Fact]
    public async Task Image_prune_keeps_a_dangling_image_that_was_tagged_while_it_decided()
    {
        var (store, id) = await DanglingAsync();
        using var storeOwner = store; // deleted with the test
        using var _ = store;
        TagOnFirstUsersQuery(store, id, "docker.io/library/late:1");
        var result = await store.Engine.Maintenance.ImagePruner.PruneAsync(all: false, PruneFilter.None, dryRun: false);
        Assert.Empty(result.Entries);
        Assert.Equal(id, store.Engine.Images.Resolve("late:1"));
        var report = await store.Engine.Maintenance.Checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(report.Findings.Count == 0, string.Join("\n", report.Findings));
    }

    [Fact]
    public async Task A_prune_candidate_tagged_after_the_listing_is_refused_not_untagged_and_deleted()
    {
        // The window before any users query: prune listed the image as dangling, then a load or build tagged it, then
        // prune removes its candidate. Through `rmi ID` that removal read the tag afresh, untagged it and deleted the image.
        var (store, id) = await DanglingAsync();
        using var storeOwner = store; // deleted with the test
        using var _ = store;
        store.Engine.Store.Metadata.SetTag("docker.io/library/loaded:1", id);
        Assert.Throws<ConflictException>(() => store.Engine.Images.RemoveUnreferenced(id));
        Assert.Equal(id, store.Engine.Images.Resolve("loaded:1"));
        var report = await store.Engine.Maintenance.Checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(report.Findings.Count == 0, string.Join("\n", report.Findings));
    }

    [Fact]
    public async Task Rmi_by_id_refuses_as_in_use_when_the_image_was_tagged_meanwhile()
    {
        var (store, id) = await DanglingAsync();
        using var storeOwner = store; // deleted with the test
        using var _ = store;
        TagOnFirstUsersQuery(store, id, "docker.io/library/late:1");
        var e = Assert.Throws<ConflictException>(() => store.Engine.Images.Remove(id.ToString(), force: false));
        Assert.StartsWith($"conflict: unable to delete {id.Hex[..12]} - image is in use", e.Message);
        Assert.Equal(id, store.Engine.Images.Resolve("late:1"));
    }

    [Fact]
    public async Task Rmi_of_the_last_tag_only_untags_when_another_tag_came_meanwhile()
    {
        var (store, id) = await DanglingAsync();
        using var storeOwner = store; // deleted with the test
        using var _ = store;
        store.Engine.Images.Tag(id.ToString(), "first:1");
        TagOnFirstUsersQuery(store, id, "docker.io/library/late:1");
        var entries = store.Engine.Images.Remove("first:1", force: false);
        Assert.Equal([new ImageDeleteEntry("Untagged", "first:1")], entries);
        Assert.Equal(id, store.Engine.Images.Resolve("late:1"));
        Assert.Null(store.Engine.Images.TryResolve("first:1"));
    }
}
