using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerVerbs;

/// <summary>`system prune` on its own store: stopped containers, dangling or unused images, volumes only when asked.</summary>
public class SystemPruneTests
{
    [Fact]
    public async Task Container_prune_leaves_an_rm_container_whose_attached_run_holds_its_lease()
    {
        TestContainer.RequireTools();
        using var store = new TempStore();
        var (imported, _, importError) = await store.CliAsync("import", BusyboxRootfs.TarPath, "bb");
        Assert.True(imported == 0, importError);
        var (created, stdout, createError) = await store.CliAsync("create", "--rm", "--network", "none", "bb", "true");
        Assert.True(created == 0, createError);
        string id = stdout.Trim();
        var containers = store.Engine.Containers;
        // What an attached `run --rm` holds from before the start until its removal of the container is done.
        using (Berth.Engine.Services.Containers.RemovalLease.Take(containers.ContainerDirectory(id)))
        {
            var (code, output, _) = await store.CliAsync("container", "prune", "-f");
            Assert.Equal(0, code);
            Assert.DoesNotContain(id, output);
            Assert.NotNull(containers.TryGet(id));
        }
        var (after, outputAfter, _) = await store.CliAsync("container", "prune", "-f");
        Assert.Equal(0, after);
        Assert.Contains(id, outputAfter);
        Assert.Null(containers.TryGet(id));
    }

    [Fact]
    public async Task System_prune_removes_stopped_containers_and_dangling_images_and_keeps_volumes_unless_asked()
    {
        TestContainer.RequireTools();
        using var store = new TempStore();
        async Task<string> Ok(params string[] args)
        {
            var (code, stdout, stderr) = await store.CliAsync(args);
            Assert.True(code == 0, $"berth {string.Join(' ', args)} exited {code}: {stderr}");
            return stdout;
        }
        await Ok("import", BusyboxRootfs.TarPath, "bb");
        string dangling = (await Ok("import", BusyboxRootfs.TarPath)).Trim();
        string stopped = (await Ok("create", "--network", "none", "bb", "true")).Trim();
        string labelled = (await Ok("create", "--network", "none", "--label", "gone=1", "bb", "true")).Trim();
        string running = (await Ok("run", "-d", "--network", "none", "bb", "sleep", "1000")).Trim();
        try
        {
            await Ok("volume", "create", "named");

            var dry = await Ok("system", "prune", "--dry-run", "--filter", "label=gone");
            Assert.StartsWith("Would delete Containers:\n" + labelled + "\n\n", dry);
            Assert.Contains("Total reclaimable space: ", dry);
            Assert.NotNull(store.Engine.Containers.TryGet(labelled));

            var filtered = await Ok("system", "prune", "-f", "--filter", "label=gone");
            Assert.StartsWith("Deleted Containers:\n" + labelled + "\n\n", filtered);
            Assert.NotNull(store.Engine.Containers.TryGet(stopped));

            var refused = await store.CliAsync("system", "prune");
            if (Console.IsInputRedirected) Assert.NotEqual(0, refused.ExitCode);

            var output = await Ok("system", "prune", "-f");
            Assert.StartsWith("Deleted Containers:\n" + stopped + "\n\nDeleted Images:\ndeleted: " + dangling + "\n", output);
            Assert.Matches(@"\nTotal reclaimed space: [\d.]+k?B\n$", output);
            Assert.Null(store.Engine.Containers.TryGet(stopped));
            Assert.NotNull(store.Engine.Containers.TryGet(running));
            Assert.Null(store.Engine.Images.TryResolve(dangling));
            Assert.NotNull(store.Engine.Images.TryResolve("bb"));
            Assert.Contains("named", await Ok("volume", "ls", "-q"));

            // -a: bb is in use by the running container, so it stays; --volumes only takes anonymous volumes.
            var all = await Ok("system", "prune", "-a", "--volumes", "-f");
            Assert.Equal("Total reclaimed space: 0B\n", all);
            Assert.NotNull(store.Engine.Images.TryResolve("bb"));
            Assert.Contains("named", await Ok("volume", "ls", "-q"));
            await Ok("rm", "-f", running);
            using var context = new TempDirectory();
            File.WriteAllText(Path.Combine(context.Path, "Dockerfile"), "FROM bb\nRUN echo built > /built.txt\n");
            await Ok("build", "-q", "-t", "built", context.Path);
            Assert.NotEmpty(store.Engine.Store.Metadata.ListBuildCache());
            var everything = await Ok("system", "prune", "-a", "-f");
            Assert.StartsWith("Deleted Images:\nuntagged: bb:latest\n", everything);
            Assert.Contains("untagged: built:latest\n", everything);
            Assert.Matches(@"\nDeleted build cache objects:\n([0-9a-f]{25}\n)+\nTotal reclaimed space: ", everything);
            Assert.Null(store.Engine.Images.TryResolve("bb"));
            Assert.Empty(store.Engine.Store.Metadata.ListBuildCache());
        }
        finally
        {
            try { await store.Engine.Containers.RemoveAsync(running, force: true); }
            catch (Berth.Engine.BerthException) { }
        }
    }
}
