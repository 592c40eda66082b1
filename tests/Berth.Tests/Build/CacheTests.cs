using Berth.Engine.Build;
using Berth.Tests.Support;

namespace Berth.Tests.Build;

public class CacheTests
{
    const string Dockerfile = """
        FROM busybox
        ARG VERSION=1
        RUN echo "version $VERSION" > /version
        COPY *.txt /texts/
        COPY app /app
        CMD ["sh"]
        """;

    static async Task<BuildFixture> ProjectAsync()
    {
        var f = await BuildFixture.CreateAsync();
        f.Write("a.txt", "a");
        f.Write("app/main.sh", "echo main");
        f.Write("app/ignored.log", "log 1");
        f.Write(".dockerignore", "app/*.log\n");
        f.Dockerfile(Dockerfile);
        return f;
    }

    static async Task<RecordingProgress> RebuildAsync(BuildFixture f, BuildOptions? options = null)
    {
        var (_, progress) = await f.BuildAsync((options ?? new BuildOptions()) with { ExplainCache = true });
        return progress;
    }

    [Fact]
    public async Task An_unchanged_rebuild_in_a_new_engine_hits_every_step_and_gives_the_same_image()
    {
        using var f = await ProjectAsync();
        var (first, _) = await f.BuildAsync();
        // A new engine over the same store: the cache lives in the store, not in the process.
        var again = await Berth.Engine.Services.BerthEngine.Open(f.Store.Root).Builder.BuildAsync(new BuildOptions { ContextDirectory = f.Context }, new RecordingProgress());
        Assert.Equal(first.ImageId, again.ImageId);
        var progress = await RebuildAsync(f);
        Assert.All(progress.Finished.Where(s => !s.Step.Text.StartsWith("FROM", StringComparison.Ordinal)), s => Assert.Equal(StepOutcome.Cached, s.Outcome));
    }

    [Fact]
    public async Task Changing_a_file_rebuilds_from_the_first_copy_that_includes_it()
    {
        using var f = await ProjectAsync();
        await f.BuildAsync();
        f.Write("app/main.sh", "echo changed");
        var progress = await RebuildAsync(f);
        Assert.Equal(StepOutcome.Cached, progress.OutcomeOf("RUN"));
        Assert.Equal(StepOutcome.Cached, progress.OutcomeOf("COPY *.txt"));
        Assert.Equal(StepOutcome.Done, progress.OutcomeOf("COPY app"));
        Assert.Equal("source file app/main.sh changed", progress.ExplanationOf("COPY app"));
        Assert.Equal(StepOutcome.Done, progress.OutcomeOf("CMD"));
        Assert.Equal("parent changed: an earlier step was rebuilt", progress.ExplanationOf("CMD"));
    }

    [Fact]
    public async Task Changing_a_file_mode_misses()
    {
        using var f = await ProjectAsync();
        await f.BuildAsync();
        File.SetUnixFileMode(Path.Combine(f.Context, "app", "main.sh"), (UnixFileMode)0x1ED);
        var progress = await RebuildAsync(f);
        Assert.Equal(StepOutcome.Done, progress.OutcomeOf("COPY app"));
    }

    [Fact]
    public async Task Touching_a_file_without_changing_it_still_hits()
    {
        using var f = await ProjectAsync();
        await f.BuildAsync();
        File.SetLastWriteTimeUtc(Path.Combine(f.Context, "app", "main.sh"), DateTime.UtcNow.AddDays(-3));
        var progress = await RebuildAsync(f);
        Assert.Equal(StepOutcome.Cached, progress.OutcomeOf("COPY app"));
    }

    [Fact]
    public async Task A_new_file_matching_a_glob_misses()
    {
        using var f = await ProjectAsync();
        await f.BuildAsync();
        f.Write("b.txt", "b");
        var progress = await RebuildAsync(f);
        Assert.Equal(StepOutcome.Done, progress.OutcomeOf("COPY *.txt"));
        Assert.Equal("new source file b.txt", progress.ExplanationOf("COPY *.txt"));
    }

    [Fact]
    public async Task A_dockerignored_file_changing_still_hits()
    {
        using var f = await ProjectAsync();
        await f.BuildAsync();
        f.Write("app/ignored.log", "log 2 changed");
        var progress = await RebuildAsync(f);
        Assert.Equal(StepOutcome.Cached, progress.OutcomeOf("COPY app"));
    }

    [Fact]
    public async Task A_build_arg_change_misses_the_run_that_uses_it()
    {
        using var f = await ProjectAsync();
        await f.BuildAsync();
        var progress = await RebuildAsync(f, new BuildOptions { BuildArgs = new Dictionary<string, string> { ["VERSION"] = "2" } });
        Assert.Equal(StepOutcome.Cached, progress.OutcomeOf("ARG"));
        Assert.Equal(StepOutcome.Done, progress.OutcomeOf("RUN"));
        Assert.Equal("build arg VERSION changed (\"1\" -> \"2\")", progress.ExplanationOf("RUN"));
    }

    [Fact]
    public async Task A_retagged_base_image_misses_from_the_first_step()
    {
        using var f = await ProjectAsync();
        await f.BuildAsync();
        // busybox:latest now points at a different image (same files, another config).
        f.Dockerfile("FROM busybox\nLABEL rebased=yes\n");
        var (other, _) = await f.BuildAsync();
        f.Store.Engine.Images.Tag(other.ImageId.ToString(), "busybox:latest");
        f.Dockerfile(Dockerfile);
        var progress = await RebuildAsync(f);
        Assert.Equal(StepOutcome.Done, progress.OutcomeOf("ARG"));
        Assert.StartsWith("parent changed", progress.ExplanationOf("ARG"));
        Assert.Equal(StepOutcome.Done, progress.OutcomeOf("COPY app"));
    }

    [Fact]
    public async Task Editing_an_instruction_rebuilds_it_and_later_steps_only()
    {
        using var f = await ProjectAsync();
        await f.BuildAsync();
        f.Dockerfile(Dockerfile.Replace("CMD [\"sh\"]", "CMD [\"echo\"]"));
        var progress = await RebuildAsync(f);
        Assert.Equal(StepOutcome.Cached, progress.OutcomeOf("COPY app"));
        Assert.Equal(StepOutcome.Done, progress.OutcomeOf("CMD"));
        Assert.StartsWith("instruction changed: was", progress.ExplanationOf("CMD"));
    }

    [Fact]
    public async Task No_cache_rebuilds_every_step()
    {
        using var f = await ProjectAsync();
        await f.BuildAsync();
        var progress = await RebuildAsync(f, new BuildOptions { NoCache = true });
        Assert.All(progress.Finished, s => Assert.Equal(StepOutcome.Done, s.Outcome));
        Assert.Equal("cache disabled (--no-cache)", progress.ExplanationOf("RUN"));
    }

    [Fact]
    public async Task Source_date_epoch_makes_two_uncached_builds_identical()
    {
        using var f = await ProjectAsync();
        var options = new BuildOptions { NoCache = true, SourceDateEpoch = 1_700_000_000 };
        var (first, _) = await f.BuildAsync(options);
        await Task.Delay(1100); // a second later: any unclamped timestamp would differ
        f.Write("a.txt", "a"); // rewritten: new mtime, same content
        var (second, _) = await f.BuildAsync(options);
        Assert.Equal(first.ImageId, second.ImageId);
        var config = await f.ConfigAsync(first.ImageId);
        Assert.Equal("2023-11-14T22:13:20Z", config.Created);
    }

    [Fact]
    public async Task Cached_layers_survive_removing_the_image_and_prune_frees_them()
    {
        using var f = await ProjectAsync();
        var (result, _) = await f.BuildAsync(new BuildOptions { Tags = ["cached:1"] });
        var (code, _, _) = await f.Store.CliAsync("rmi", "cached:1");
        Assert.Equal(0, code);
        var layers = f.Store.Engine.Store.Snapshots.ListLayers().Count();
        Assert.True(layers > 1, "the cache keeps the built layers");
        var progress = await RebuildAsync(f);
        Assert.All(progress.Finished.Where(s => !s.Step.Text.StartsWith("FROM", StringComparison.Ordinal)), s => Assert.Equal(StepOutcome.Cached, s.Outcome));

        var (pruneCode, stdout, _) = await f.Store.CliAsync("builder", "prune", "-a", "-f");
        Assert.Equal(0, pruneCode);
        Assert.Matches(@"^Deleted build cache objects:\n([0-9a-f]{25}\n)+\nTotal reclaimed space: \d", stdout);
        Assert.Equal(0, f.Store.Engine.Store.Metadata.CountBuildCache());
        // The last build's image still holds its layers; only busybox and those remain.
        var remaining = f.Store.Engine.Store.Snapshots.ListLayers().Count();
        Assert.True(remaining <= layers);
        var after = await RebuildAsync(f);
        Assert.Equal(StepOutcome.Done, after.OutcomeOf("ARG"));
    }
}

public class RememberedHashTests
{
    [Fact]
    public async Task A_remembered_hash_is_not_trusted_once_the_file_is_rewritten_with_the_same_size_and_mtime()
    {
        using var f = await BuildFixture.CreateAsync();
        string file = f.Write("app.txt", "version-1");
        var mtime = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(file, mtime);
        await Task.Delay(2500); // out of the racy window: the hash may now be remembered
        f.Dockerfile("FROM busybox\nCOPY app.txt /app.txt\n");
        Assert.NotNull(FileIdentity.Of(file));
        await f.BuildAsync();
        Assert.Contains(f.Store.Engine.Store.Metadata.FileHashesUnder(f.Context).Keys, k => k.EndsWith("/app.txt", StringComparison.Ordinal));

        File.WriteAllText(file, "version-2"); // same size
        File.SetLastWriteTimeUtc(file, mtime); // same mtime: only the ctime tells
        var (result, progress) = await f.BuildAsync();
        Assert.Equal(StepOutcome.Done, progress.OutcomeOf("COPY"));
        Assert.Equal("version-2", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -1)["app.txt"]));
    }
}

public class BuildCacheDiskUsageTests
{
    [Fact]
    public async Task System_df_counts_cached_layers_no_image_uses_as_builder_size()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nRUN head -c 100000 /dev/zero > /zeros\n");
        await f.BuildAsync(new BuildOptions { Tags = ["zeros:1"] });
        var shared = f.Store.Engine.Maintenance.DiskUsage.Measure();
        Assert.NotEmpty(shared.BuildCache);
        Assert.Equal(0, shared.BuilderSize); // the image still uses the layer
        await f.Store.CliAsync("rmi", "zeros:1");
        var alone = f.Store.Engine.Maintenance.DiskUsage.Measure();
        Assert.Equal(100000, alone.BuilderSize);
    }
}
