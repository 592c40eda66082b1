using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>
/// Starting a created crun container through its exec fifo (what `crun start` does, done in process) with the crun
/// installed here: the fast path is asserted, not only the outcome (a crun that moved the fifo would silently cost the
/// launcher's processes per start), and a container that cannot be started is left to `crun start` and its answer.
/// </summary>
public class CrunExecFifoTests
{
    [Fact]
    public async Task A_created_container_is_started_through_the_fifo_and_crun_then_reports_it_running()
    {
        await using var c = new TestContainer("crun");
        c.WriteSpec("sleep", "30");
        await c.Runtime.CreateAsync(c.Id, c.Bundle);
        string fifo = CrunExecFifo.PathOf(c.Runtime.StateRoot, c.Id);
        Assert.True(File.Exists(fifo), $"crun left no exec fifo at {fifo}: the in-process start would never be used");
        Assert.Equal("created", (await c.Runtime.StateAsync(c.Id))!.Status);

        Assert.True(CrunExecFifo.TryStart(c.Runtime.StateRoot, c.Id));

        Assert.False(File.Exists(fifo));
        Assert.Equal("running", (await c.Runtime.StateAsync(c.Id))!.Status);
        await c.Runtime.DeleteAsync(c.Id, force: true);
    }

    [Fact]
    public async Task The_started_process_runs_to_its_exit_and_the_stopped_container_is_deleted_in_process()
    {
        await using var c = new TestContainer("crun");
        c.WriteSpec("sh", "-c", "exit 7");
        await c.Runtime.CreateAsync(c.Id, c.Bundle);
        var state = await c.Runtime.StateAsync(c.Id);
        await c.Runtime.StartAsync(c.Id);
        Assert.True(await TestContainer.WaitUntil(() => !NativeProcess.IsRunning(state!.Pid)), "the container's process did not end");
        Assert.Equal("stopped", (await c.Runtime.StateAsync(c.Id))!.Status);

        var cgroups = c.CgroupDirectories();
        Assert.Contains(cgroups, Directory.Exists);
        Assert.True(c.Runtime.TryDeleteStopped(c.Id, cgroups));
        Assert.DoesNotContain(cgroups, Directory.Exists);
        Assert.False(Directory.Exists(Path.Combine(c.Runtime.StateRoot, c.Id)));
        Assert.Null(await c.Runtime.StateAsync(c.Id));
    }

    [Fact]
    public async Task A_running_container_is_left_to_crun_start_which_refuses_it()
    {
        await using var c = new TestContainer("crun");
        c.WriteSpec("sleep", "30");
        await c.Runtime.CreateAsync(c.Id, c.Bundle);
        await c.Runtime.StartAsync(c.Id);

        Assert.False(CrunExecFifo.TryStart(c.Runtime.StateRoot, c.Id));
        await Assert.ThrowsAsync<RuntimeException>(() => c.Runtime.StartAsync(c.Id));
        await c.Runtime.DeleteAsync(c.Id, force: true);
    }

    [Fact]
    public async Task A_container_whose_init_was_killed_before_start_is_not_started_and_crun_start_says_why()
    {
        await using var c = new TestContainer("crun");
        c.WriteSpec("true");
        await c.Runtime.CreateAsync(c.Id, c.Bundle);
        var state = await c.Runtime.StateAsync(c.Id);
        await c.Runtime.KillAsync(c.Id, "KILL");
        Assert.True(await TestContainer.WaitUntil(() => !NativeProcess.IsRunning(state!.Pid)), "init did not die");

        Assert.True(File.Exists(CrunExecFifo.PathOf(c.Runtime.StateRoot, c.Id)), "the fifo is there: only its missing reader can refuse the start");
        Assert.False(CrunExecFifo.TryStart(c.Runtime.StateRoot, c.Id));
        await Assert.ThrowsAsync<RuntimeException>(() => c.Runtime.StartAsync(c.Id));
        await c.Runtime.DeleteAsync(c.Id, force: true);
    }
}
