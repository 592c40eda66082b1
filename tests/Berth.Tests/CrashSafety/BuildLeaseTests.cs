using System.Diagnostics;
using Berth.Engine.Content;
using Berth.Engine.Metadata;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.CrashSafety;

/// <summary>
/// Regression tests for the bug the concurrency soak found: a build held nothing on the layers it stood on, so a prune
/// between a cache hit (or FROM) and the next step freed them ("lower dir … does not exist", "layer … is not in the
/// store", "removed by a concurrent prune"). A build now pins them in a lease until it ends.
/// </summary>
[Collection("berth processes")]
public class BuildLeaseTests
{
    [Fact]
    public async Task A_prune_while_a_build_runs_on_a_cached_layer_keeps_that_layer_and_the_build_succeeds()
    {
        TestContainer.RequireTools();
        using var crash = await CrashStore.CreateAsync();
        using var context = new TempDirectory();
        File.WriteAllText(context.Combine("Dockerfile.first"), "FROM stable:1\nRUN echo shared > /shared.txt\n");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM stable:1\nRUN echo shared > /shared.txt\n" +
            "RUN --mount=type=cache,target=/signal sh -c 'touch /signal/started; while [ ! -e /signal/go ]; do sleep 0.1; done; cat /shared.txt > /copied.txt'\n");
        var first = await crash.RunAsync("build", "-q", "--network", "none", "-f", context.Combine("Dockerfile.first"), "-t", "first", context.Path);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var metadata = crash.Store.Engine.Store.Metadata;
        var cached = metadata.ImageLayers(Digest.Parse(first.Stdout.Trim()))[^1];
        Assert.Equal(0, (await crash.RunAsync("rmi", "first")).ExitCode); // now only the build cache keeps the RUN layer

        using var build = Process.Start(crash.Berth("build", "-q", "--network", "none", "-t", "second", context.Path))!;
        build.StandardInput.Close();
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        string mounts = Path.Combine(crash.Store.Root, "build-cache-mounts");
        string? signal = null;
        try
        {
            // The build has taken the cached layer (step 2) and is inside step 3's RUN once the RUN touched its file.
            for (var wait = Stopwatch.StartNew(); signal is null; await Task.Delay(100))
            {
                if (build.HasExited) Assert.Fail("the build ended before its RUN started: " + await stderr);
                Assert.True(wait.Elapsed < TimeSpan.FromMinutes(2), "the build's RUN never started");
                signal = Directory.Exists(mounts) ? Directory.EnumerateFiles(mounts, "started", SearchOption.AllDirectories).Select(Path.GetDirectoryName).FirstOrDefault() : null;
            }

            // The cache row goes (no image uses the layer), but the layer stays: the running build stands on it.
            var prune = await crash.RunAsync("builder", "prune", "-f");
            Assert.True(prune.ExitCode == 0, prune.Stderr);
            Assert.StartsWith("Deleted build cache objects:\n", prune.Stdout);
            Assert.True(metadata.HasLayer(cached.ChainId) && crash.Store.Engine.Store.Snapshots.HasLayer(cached.ChainId) && crash.Store.Engine.Store.Content.Exists(cached.DiffId),
                "builder prune freed the layer a running build stands on");
            var imagePrune = await crash.RunAsync("image", "prune", "-a", "-f");
            Assert.True(imagePrune.ExitCode == 0, imagePrune.Stderr);
        }
        finally
        {
            // Let the RUN finish whatever happened; a build that still does not end is killed with its runc and container.
            if (signal is not null) File.WriteAllText(Path.Combine(signal, "go"), "");
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try { await build.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) { build.Kill(entireProcessTree: true); }
        }
        Assert.True(build.ExitCode == 0, $"the build failed: {await stderr}");
        var id = Digest.Parse((await stdout).Trim());
        Assert.Contains(cached.ChainId, metadata.ImageLayers(id).Select(l => l.ChainId));
        crash.AssertComplete(id, "after the build");
        var run = await crash.RunAsync("run", "--rm", "--network", "none", "second", "cat", "/copied.txt");
        Assert.True(run.ExitCode == 0 && run.Stdout == "shared\n", run.Stdout + run.Stderr);
        Assert.Empty(metadata.AllLeases()); // the build's lease ended with it
        var report = await crash.Store.Engine.Maintenance.Checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(report.Findings.Count == 0 && report.InProgress.Count == 0, string.Join("\n", report.Findings.Select(f => f.ToString()).Concat(report.InProgress)));
    }

    [Fact]
    public async Task A_lease_keeps_layers_through_prunes_and_frees_them_when_it_ends_and_a_dead_ones_are_repaired()
    {
        using var crash = await CrashStore.CreateAsync();
        var engine = crash.Store.Engine;
        var (code, stdout, stderr) = await crash.Store.CliAsync("import", crash.VictimTar, "victim:1");
        Assert.True(code == 0, stderr);
        var victim = engine.Store.Metadata.ImageLayers(Digest.Parse(stdout.Trim())).Single();
        bool Whole(LayerRecord l) => engine.Store.Metadata.HasLayer(l.ChainId) && engine.Store.Snapshots.HasLayer(l.ChainId) && engine.Store.Content.Exists(l.DiffId);

        using (var lease = new Berth.Engine.Build.BuildLease(engine.Store))
        {
            var (_, layers) = await lease.PinImageAsync(Digest.Parse(stdout.Trim()), "victim:1", CancellationToken.None);
            Assert.Equal(victim, layers.Single());
            Assert.Equal(0, (await crash.Store.CliAsync("rmi", "victim:1")).ExitCode);
            Assert.Equal(0, (await crash.Store.CliAsync("image", "prune", "-a", "-f")).ExitCode);
            Assert.Equal(0, (await crash.Store.CliAsync("builder", "prune", "-a", "-f")).ExitCode);
            Assert.True(Whole(victim), "a prune freed a leased layer");
        }
        Assert.False(Whole(victim), "the layer only the lease kept outlived it");
        Assert.False(engine.Store.Snapshots.HasLayer(victim.ChainId));

        // A killed build's lease: its process is gone, so `system check --repair` ends it and frees what only it kept.
        (code, stdout, stderr) = await crash.Store.CliAsync("import", crash.VictimTar, "victim:2");
        Assert.True(code == 0, stderr);
        using var gone = Process.Start(new ProcessStartInfo("true"))!;
        await gone.WaitForExitAsync();
        engine.Store.Metadata.AddLease("build-killed", gone.Id);
        engine.Store.Metadata.LeaseLayer("build-killed", victim.ChainId);
        Assert.Equal(0, (await crash.Store.CliAsync("rmi", "victim:2")).ExitCode);
        Assert.True(Whole(victim));
        var repaired = await engine.Maintenance.Checker.CheckAsync(repair: true, TimeSpan.Zero);
        Assert.Contains(repaired.Findings, f => f.ToString().Contains("build-killed"));
        Assert.True(repaired.Consistent, string.Join("\n", repaired.Findings));
        Assert.False(Whole(victim), "repair left the layer a dead lease kept");
        var after = await engine.Maintenance.Checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(after.Findings.Count == 0, string.Join("\n", after.Findings));
    }

    [Fact]
    public async Task A_step_layer_another_build_made_first_is_pinned_at_commit_so_a_prune_of_that_build_keeps_it()
    {
        // The soak's "removed by a concurrent prune": two builds made the same layer (same content in the same second); the
        // second found the snapshot there and did not pin it until it recorded its cache row, and a prune of the first
        // build's row in between freed the files. The commit now names and pins under the reference lock.
        using var crash = await CrashStore.CreateAsync();
        var store = crash.Store.Engine.Store;
        var stable = crash.StableTags["stable:1"];
        var options = new Berth.Engine.Layers.TarWriteOptions { SourceDateEpoch = 1_700_000_000 };

        async Task<(Berth.Engine.Build.BuildState State, LayerRecord Layer)> MakeLayer(Berth.Engine.Build.BuildLease lease)
        {
            var (config, layers) = await lease.PinImageAsync(stable, "stable:1", CancellationToken.None);
            using var workspace = Berth.Engine.Build.StepWorkspace.Open(store, layers, withInitLayer: false);
            File.WriteAllText(Path.Combine(workspace.Rootfs, "same.txt"), "same content\n");
            var layer = await workspace.CommitAsync(layers[^1], options, lease, CancellationToken.None);
            Assert.NotNull(layer);
            var state = new Berth.Engine.Build.BuildState(config with { RootFs = config.RootFs with { DiffIds = [.. config.RootFs.DiffIds, layer.DiffId.ToString()] } },
                [.. layers, layer], "key-" + lease.Id, stable);
            return (state, layer);
        }

        var first = new Berth.Engine.Build.BuildLease(store);
        var (firstState, firstLayer) = await MakeLayer(first);
        using (store.ReferenceLock())
            new Berth.Engine.Build.StepCache(store, first).Record("parent", new Berth.Engine.Build.StepInputs("RUN same"), firstState, firstLayer.Size);
        first.Dispose(); // the first build ended: only its cache row keeps the layer

        using var second = new Berth.Engine.Build.BuildLease(store);
        var (secondState, secondLayer) = await MakeLayer(second);
        Assert.Equal(firstLayer.ChainId, secondLayer.ChainId); // the same layer: the second commit found it there

        var prune = await crash.Store.CliAsync("builder", "prune", "-a", "-f");
        Assert.True(prune.ExitCode == 0, prune.Stderr);
        Assert.True(store.Snapshots.HasLayer(secondLayer.ChainId) && store.Content.Exists(secondLayer.DiffId), "the prune freed a layer a running build had just made");
        using (store.ReferenceLock())
            new Berth.Engine.Build.StepCache(store, second).Record("parent", new Berth.Engine.Build.StepInputs("RUN same"), secondState, secondLayer.Size);
        Assert.True(store.Metadata.HasLayer(secondLayer.ChainId));
    }

    [Fact]
    public async Task A_no_cache_rebuild_frees_the_layer_its_cache_row_held_before()
    {
        // The soak's end-of-run `system check`: "layer …: recorded but used by no image, container or lease". A --no-cache
        // rebuild replaced the cache row's layer, and the layer it held before (its image already removed) was left behind.
        using var crash = await CrashStore.CreateAsync();
        using var context = new TempDirectory();
        File.WriteAllText(context.Combine("Dockerfile"), "FROM stable:1\nRUN cat /proc/sys/kernel/random/uuid > /changes-every-run\n");
        var first = await crash.RunAsync("build", "-q", "--network", "none", "-t", "rebuilt", context.Path);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var metadata = crash.Store.Engine.Store.Metadata;
        var old = metadata.ImageLayers(Digest.Parse(first.Stdout.Trim()))[^1];
        Assert.Equal(0, (await crash.RunAsync("rmi", "rebuilt")).ExitCode);
        Assert.True(metadata.HasLayer(old.ChainId)); // the build cache keeps it

        var second = await crash.RunAsync("build", "-q", "--no-cache", "--network", "none", "-t", "rebuilt", context.Path);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.NotEqual(old.ChainId, metadata.ImageLayers(Digest.Parse(second.Stdout.Trim()))[^1].ChainId);
        Assert.False(metadata.HasLayer(old.ChainId), "the layer the replaced cache row held is still recorded");
        Assert.False(crash.Store.Engine.Store.Snapshots.HasLayer(old.ChainId));
        var report = await crash.Store.Engine.Maintenance.Checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(report.Findings.Count == 0, string.Join("\n", report.Findings));
    }
}
