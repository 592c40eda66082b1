using System.Text.RegularExpressions;

namespace Berth.Tests.Build;

/// <summary>
/// The IDs a build prints after each step (` ---> 060b44694353`) name images, as with Docker's legacy builder: a user can
/// run, inspect and tag the state after any step, also after a later step failed, while the build cache holds it.
/// </summary>
public class IntermediateImageTests
{
    static List<string> StepIds(string stdout) =>
        Regex.Matches(stdout, @"^ ---> ([0-9a-f]{12})$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public async Task The_id_printed_after_a_step_runs_inspects_and_tags_even_after_a_later_step_failed()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nRUN echo one > /one.txt\nENV STAGE=two\nRUN echo two > /two.txt && exit 7\n");
        var (code, stdout, stderr) = await f.Store.CliAsync("build", f.Context);
        Assert.NotEqual(0, code);
        Assert.Contains("exit 7", stderr + stdout);
        var ids = StepIds(stdout);
        Assert.Equal(3, ids.Count); // FROM (the base image), RUN one, ENV
        Assert.Equal(f.Busybox.Short, ids[0]);
        Assert.DoesNotContain(f.Store.Engine.Images.ListAll(), i => i.Tags.Count == 0); // nothing made until a command names one

        // The state after ENV: the file of the first RUN and the variable; the failed RUN's file is not there.
        var run = await f.Store.CliAsync("run", "--rm", "--network", "none", ids[2], "sh", "-c", "cat /one.txt; echo $STAGE; test -e /two.txt || echo no-two");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("one\ntwo\nno-two\n", run.Stdout);

        var inspect = await f.Store.CliAsync("image", "inspect", "--format", "{{.Id}} {{.Config.Env}}", ids[1]);
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        Assert.StartsWith("sha256:" + ids[1], inspect.Stdout);
        Assert.DoesNotContain("STAGE", inspect.Stdout);

        Assert.Equal(0, (await f.Store.CliAsync("tag", ids[1], "debug:one")).ExitCode);
        Assert.Equal(f.Store.Engine.Images.Resolve("debug:one").Short, ids[1]);

        // An intermediate image nobody tagged is dangling: `image prune` takes it, and the cache still names it.
        var dangling = f.Store.Engine.Images.ListAll().Where(i => i.Tags.Count == 0).Select(i => i.Image.Id.Short).ToList();
        Assert.Equal([ids[2]], dangling);
        Assert.Equal(0, (await f.Store.CliAsync("image", "prune", "-f")).ExitCode);
        Assert.DoesNotContain(f.Store.Engine.Images.ListAll(), i => i.Tags.Count == 0);
        Assert.Equal(0, (await f.Store.CliAsync("image", "inspect", ids[2])).ExitCode);

        // Once `builder prune` dropped the steps, their IDs name nothing (the tagged one stays an image).
        Assert.Equal(0, (await f.Store.CliAsync("image", "prune", "-f")).ExitCode);
        Assert.Equal(0, (await f.Store.CliAsync("builder", "prune", "-a", "-f")).ExitCode);
        var gone = await f.Store.CliAsync("run", "--rm", "--network", "none", ids[2], "true");
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains($"No such image: {ids[2]}", gone.Stderr);
        Assert.Equal(0, (await f.Store.CliAsync("image", "inspect", "debug:one")).ExitCode);
    }

    [Fact]
    public async Task History_shows_the_ids_of_the_steps_as_after_a_legacy_docker_build()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nENV A=1\nRUN echo hi > /x\nCMD [\"sh\"]\n");
        var (code, stdout, stderr) = await f.Store.CliAsync("build", "-t", "steps", f.Context);
        Assert.True(code == 0, stderr);
        var ids = Regex.Matches(stdout, @"^ ---> ([0-9a-f]{12})$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(4, ids.Count); // busybox, ENV, RUN, CMD
        var history = await f.Store.CliAsync("history", "--format", "{{.ID}}", "steps");
        Assert.True(history.ExitCode == 0, history.Stderr);
        var column = history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([ids[3], ids[2], ids[1], ids[0]], column.Take(4));
        Assert.All(column.Skip(4), id => Assert.Equal("<missing>", id)); // the base's own older entries
        Assert.Equal(0, (await f.Store.CliAsync("run", "--rm", "--network", "none", column[1], "cat", "/x")).ExitCode);
    }
}
