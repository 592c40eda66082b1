using Berth.Engine.Build;

namespace Berth.Tests.Build;

public class MultiStageTests
{
    const string Dockerfile = """
        ARG BASE=busybox
        FROM ${BASE} AS build
        RUN mkdir -p /out && echo built > /out/artifact

        FROM busybox AS unused
        RUN echo this stage is never needed && exit 1

        FROM build AS tested
        RUN test -f /out/artifact

        FROM scratch
        COPY --from=build /out/artifact /artifact
        COPY --from=busybox /bin/busybox /bin/busybox
        """;

    [Fact]
    public async Task Only_the_stages_the_target_needs_are_built()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile(Dockerfile);
        var (result, progress) = await f.BuildAsync(new BuildOptions { Tags = ["multi:1"] });
        Assert.DoesNotContain(progress.Finished, s => s.Step.Text.Contains("never needed", StringComparison.Ordinal));
        Assert.DoesNotContain(progress.Finished, s => s.Step.Text.Contains("test -f", StringComparison.Ordinal));
        var config = await f.ConfigAsync(result.ImageId);
        Assert.Equal(2, config.RootFs.DiffIds.Count);
        Assert.Equal("built\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, 0)["artifact"]));
        Assert.Contains("bin/busybox", f.LayerEntries(result.ImageId, 1).Keys);
    }

    [Fact]
    public async Task Target_builds_a_stage_and_what_it_depends_on()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile(Dockerfile);
        var (result, progress) = await f.BuildAsync(new BuildOptions { Target = "tested" });
        Assert.Contains(progress.Finished, s => s.Step.Text.Contains("test -f", StringComparison.Ordinal));
        var config = await f.ConfigAsync(result.ImageId);
        Assert.Equal(2, config.RootFs.DiffIds.Count); // busybox + the build stage's RUN (test -f adds nothing)

        var e = await Assert.ThrowsAsync<BuildException>(() => f.BuildAsync(new BuildOptions { Target = "nosuch" }));
        Assert.Equal("failed to reach build target nosuch in Dockerfile", e.Message);
    }

    [Fact]
    public async Task From_a_missing_image_is_a_clear_error()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM nosuch/image:1\nRUN true\n");
        var e = await Assert.ThrowsAsync<BuildException>(() => f.BuildAsync());
        Assert.StartsWith("Dockerfile:1: FROM nosuch/image:1: No such image: nosuch/image:1", e.Message);
    }
}
