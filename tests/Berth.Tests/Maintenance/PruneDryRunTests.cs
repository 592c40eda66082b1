using System.Text.RegularExpressions;
using Berth.Engine.Services.Containers;
using Berth.Tests.Containers;
using Berth.Tests.Runtime;
using Berth.Tests.Hostile;
using Berth.Tests.Support;

namespace Berth.Tests.Maintenance;

/// <summary>
/// `container prune --dry-run` and `builder prune --dry-run` end to end: the dry run leaves every file of the store as it
/// was, and what it lists (and the space it says it would free) is exactly what the real prune then deletes.
/// </summary>
public sealed partial class PruneDryRunTests : IAsyncLifetime
{
    readonly BusyboxStore bb = new();

    public Task InitializeAsync() => bb.InitializeAsync();
    public Task DisposeAsync() => bb.DisposeAsync();

    [GeneratedRegex(@"^(?<heading>[^\n]+:\n)(?<items>(?:[^\n]+\n)*)\n(?<total>Total [a-z]+ space: [^\n]+)\n$|^(?<total>Total [a-z]+ space: [^\n]+)\n$")]
    private static partial Regex PruneReport();

    /// <summary>(heading, listed items, size text) of a prune's output; fails on any other shape.</summary>
    static (string Heading, string[] Items, string Size) Parse(string output)
    {
        var m = PruneReport().Match(output);
        Assert.True(m.Success, "not a prune report:\n" + output);
        string total = m.Groups["total"].Value;
        return (m.Groups["heading"].Value.TrimEnd('\n'), m.Groups["items"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries), total[(total.IndexOf(": ", StringComparison.Ordinal) + 2)..]);
    }

    /// <summary>The store's files and sizes, without what a container's mounted rootfs shows (conmon's exit command unmounts it when it gets to it).</summary>
    IReadOnlyList<string> State() => StoreState.Of(bb.Store.Root).Where(p => !RootfsContent().IsMatch(p)).ToList();

    [GeneratedRegex("^containers/[0-9a-f]{64}/rootfs/")]
    private static partial Regex RootfsContent();

    async Task AssertConsistentAsync()
    {
        var (code, stdout, stderr) = await bb.CliAsync("system", "check");
        Assert.True(code == 0, $"system check exited {code}: {stdout}{stderr}");
    }

    [Fact]
    public async Task Container_prune_dry_run_deletes_nothing_and_lists_what_the_real_prune_removes()
    {
        string empty = (await bb.OkAsync("create", "--network", "none", "bb", "true")).Trim();
        string wrote = (await bb.OkAsync("create", "--network", "none", "bb", "sh", "-c", "dd if=/dev/zero of=/data bs=1024 count=300 2>/dev/null")).Trim();
        await bb.OkAsync("start", "-a", wrote);
        await bb.OkAsync("run", "--network", "none", "--name", "exited", "bb", "sh", "-c", "echo hi > /hi.txt");
        string exited = bb.Store.Engine.Containers.Get("exited").Id;
        string running = (await bb.OkAsync("run", "-d", "--network", "none", "bb", "sleep", "1000")).Trim();
        await bb.OkAsync("stop", "-t", "0", running); // a stopped container can be pruned; restart it so it must be kept
        await bb.OkAsync("start", running);
        Assert.True(bb.Store.Engine.Containers.Get(running).IsRunning);
        // conmon's exit command unmounts an exited container's root after `run`/`start -a` returned: the store's state is
        // only still once it has (else a file of that root can vanish while the state is read).
        foreach (var id in new[] { wrote, exited })
            Assert.True(await TestContainer.WaitUntil(() => !RootfsMount.IsMounted(bb.Store.Engine.Containers.RootfsPath(id))), $"{id}'s root stayed mounted");

        var before = State();
        var dry = Parse(await bb.OkAsync("container", "prune", "--dry-run"));
        Assert.Equal("Would delete containers:", dry.Heading);
        Assert.Equal(new[] { empty, wrote, exited }.Order(), dry.Items.Order());
        Assert.Matches(@"^30\d(\.\d+)?kB$", dry.Size); // the 300 KiB file plus the few bytes of /hi.txt
        var after = State();
        Assert.True(before.SequenceEqual(after), "changed: " + string.Join(", ", before.Except(after)) + " -> " + string.Join(", ", after.Except(before)));
        Assert.Equal(4, bb.Store.Engine.Containers.List().Count);
        await AssertConsistentAsync();

        var real = Parse(await bb.OkAsync("container", "prune", "-f"));
        Assert.Equal("Deleted Containers:", real.Heading);
        Assert.Equal(dry.Items, real.Items);
        Assert.Equal(dry.Size, real.Size);
        Assert.Equal(running, Assert.Single(bb.Store.Engine.Containers.List()).Id);
        foreach (var id in dry.Items) Assert.False(Directory.Exists(Path.Combine(bb.Store.Root, "snapshots", "active-" + id)), id + " left its layer");

        Assert.Equal("Total reclaimable space: 0B\n", await bb.OkAsync("container", "prune", "--dry-run"));
        await AssertConsistentAsync();
    }

    [Fact]
    public async Task Builder_prune_dry_run_deletes_nothing_and_lists_what_the_real_prune_removes()
    {
        using var context = new TempDirectory();
        File.WriteAllText(Path.Combine(context.Path, "payload.txt"), new string('x', 50_000));
        File.WriteAllText(Path.Combine(context.Path, "Dockerfile.kept"), "FROM bb\nRUN echo kept > /kept.txt\nCOPY payload.txt /kept/\n");
        File.WriteAllText(Path.Combine(context.Path, "Dockerfile.gone"), "FROM bb\nRUN dd if=/dev/zero of=/gone bs=1024 count=200 2>/dev/null\nCOPY payload.txt /gone.d/\n");
        await bb.OkAsync("build", "-q", "-t", "kept", "-f", Path.Combine(context.Path, "Dockerfile.kept"), context.Path);
        await bb.OkAsync("build", "-q", "-t", "gone", "-f", Path.Combine(context.Path, "Dockerfile.gone"), context.Path);
        await bb.OkAsync("rmi", "gone"); // its two steps' layers are now kept by the build cache only
        long cacheRows = bb.Store.Engine.Store.Metadata.CountBuildCache();
        Assert.True(cacheRows >= 4, $"expected the four steps cached, found {cacheRows}");

        // Without -a: only the steps no image uses.
        var before = State();
        var dry = Parse(await bb.OkAsync("builder", "prune", "--dry-run"));
        Assert.Equal("Would delete build cache objects:", dry.Heading);
        Assert.Equal(2, dry.Items.Length);
        Assert.All(dry.Items, id => Assert.Matches("^[0-9a-f]{25}$", id));
        Assert.Matches(@"^2\d\d(\.\d+)?kB$", dry.Size); // 200 KiB from dd plus the 50 kB copy
        Assert.Equal(before, State());
        Assert.Equal(cacheRows, bb.Store.Engine.Store.Metadata.CountBuildCache());
        await AssertConsistentAsync();

        var real = Parse(await bb.OkAsync("builder", "prune", "-f"));
        Assert.Equal("Deleted build cache objects:", real.Heading);
        Assert.Equal(dry.Items, real.Items);
        Assert.Equal(dry.Size, real.Size);
        Assert.Equal(cacheRows - 2, bb.Store.Engine.Store.Metadata.CountBuildCache());
        await AssertConsistentAsync();

        // With -a: the steps of `kept` go too, but its layers stay with the image, so nothing is reclaimed.
        before = State();
        var dryAll = Parse(await bb.OkAsync("builder", "prune", "-a", "--dry-run"));
        Assert.Equal(cacheRows - 2, dryAll.Items.Length);
        Assert.Equal("0B", dryAll.Size);
        Assert.Equal(before, State());
        Assert.Equal(cacheRows - 2, bb.Store.Engine.Store.Metadata.CountBuildCache());

        var realAll = Parse(await bb.OkAsync("builder", "prune", "-a", "-f"));
        Assert.Equal(dryAll.Items, realAll.Items);
        Assert.Equal(dryAll.Size, realAll.Size);
        Assert.Equal(0, bb.Store.Engine.Store.Metadata.CountBuildCache());
        Assert.Equal("Total reclaimable space: 0B\n", await bb.OkAsync("builder", "prune", "-a", "--dry-run"));
        Assert.NotNull(bb.Store.Engine.Images.TryResolve("kept"));
        await AssertConsistentAsync();
    }
}
