using Berth.Engine.Build;

namespace Berth.Tests.Build;

public class FailureTests
{
    [Fact]
    public async Task A_failing_run_reports_line_instruction_exit_code_and_output_and_leaves_no_image_or_snapshot()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nRUN echo before > /x\nRUN echo partial > /y && echo 'it broke' && exit 3\n");
        var imagesBefore = f.Store.Engine.Images.ListAll().Count;
        var e = await Assert.ThrowsAsync<BuildStepFailedException>(() => f.BuildAsync(new BuildOptions { Tags = ["broken:1"] }));
        Assert.Equal("Dockerfile:3: RUN echo partial > /y && echo 'it broke' && exit 3: The command '/bin/sh -c echo partial > /y && echo 'it broke' && exit 3' returned a non-zero code: 3", e.Message);
        Assert.Equal(3, e.StepExitCode);
        Assert.Equal(["it broke"], e.LastOutput);
        Assert.Equal(imagesBefore, f.Store.Engine.Images.ListAll().Count);
        Assert.Null(f.Store.Engine.Images.TryResolve("broken:1"));
        Assert.Empty(f.Leftovers());
        // The failed step's files are nowhere in the store.
        Assert.DoesNotContain(f.Store.Engine.Store.Snapshots.ListLayers(), c => File.Exists(Path.Combine(f.Store.Engine.Store.Snapshots.LayerDirectory(c), "y")));
    }

    [Fact]
    public async Task The_cli_prints_the_error_and_exits_non_zero()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nRUN exit 7\n");
        var (code, stdout, stderr) = await f.Store.CliAsync("build", "--progress", "plain", f.Context);
        Assert.Equal(1, code);
        Assert.Contains("Step 2/2 : RUN exit 7", stdout);
        Assert.Equal("Error: Dockerfile:2: RUN exit 7: The command '/bin/sh -c exit 7' returned a non-zero code: 7\n", stderr);
    }

    [Fact]
    public async Task A_syntax_error_names_the_line()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nCOPY\n");
        var e = await Assert.ThrowsAnyAsync<Berth.Engine.BerthException>(() => f.BuildAsync());
        Assert.StartsWith("Dockerfile:2:", e.Message);
    }

    [Fact]
    public async Task Network_none_has_only_loopback()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nRUN ls /sys/class/net\n");
        var (_, progress) = await f.BuildAsync(new BuildOptions { Network = Berth.Engine.Runtime.NetworkMode.None });
        Assert.Equal(["lo"], progress.OutputLines);
    }
}

public class AbandonedWorkspaceTests
{
    [Fact]
    public async Task A_workspace_left_by_a_killed_build_is_removed_by_the_next_build()
    {
        using var f = await BuildFixture.CreateAsync();
        // What a build killed mid-step leaves: an active snapshot named after a process that no longer exists.
        string abandoned = Path.Combine(f.Store.Root, "snapshots", "active-build-999999999-0123456789abcdef");
        Directory.CreateDirectory(Path.Combine(abandoned, "fs"));
        Directory.CreateDirectory(Path.Combine(abandoned, "merged"));
        f.Dockerfile("FROM busybox\nENV A=1\n");
        await f.BuildAsync();
        Assert.False(Directory.Exists(abandoned));
        Assert.Empty(f.Leftovers());
    }

    [Fact]
    public async Task Run_heredoc_runs_its_body_as_a_script()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nRUN <<EOF\necho first\necho second > /heredoc\nEOF\n");
        var (result, progress) = await f.BuildAsync();
        Assert.Contains("first", progress.OutputLines);
        Assert.Equal("second\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -1)["heredoc"]));
    }
}
