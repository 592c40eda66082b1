using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>
/// Starting a created runc container through its exec fifo (what `runc start` does, done in process): it must work with
/// the runc installed here (a runc that moved the fifo would silently cost a process start per `run`, so the fast path
/// is asserted, not only the outcome), and anything unusual must be left to `runc start` with its own answers.
/// </summary>
public class RuncExecFifoTests
{
    /// <summary>A container runc has created (its process waiting on the exec fifo) that would sleep once started.</summary>
    static async Task<TestContainer> CreatedSleeperAsync()
    {
        var c = new TestContainer();
        try
        {
            c.WriteSpec("sleep", "30");
            await c.Runtime.CreateAsync(c.Id, c.Bundle);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task A_created_container_is_started_through_the_fifo_and_runc_then_reports_it_running()
    {
        await using var c = await CreatedSleeperAsync();
        string fifo = RuncExecFifo.PathOf(c.Runtime.StateRoot, c.Id);
        Assert.True(File.Exists(fifo), $"runc {c.Runtime.Name} left no exec fifo at {fifo}: the in-process start would never be used");
        Assert.Equal("created", (await c.Runtime.StateAsync(c.Id))!.Status);

        Assert.True(RuncExecFifo.TryStart(c.Runtime.StateRoot, c.Id, CancellationToken.None));

        Assert.False(File.Exists(fifo));
        Assert.Equal("running", (await c.Runtime.StateAsync(c.Id))!.Status);
        await c.Runtime.DeleteAsync(c.Id, force: true);
    }

    [Fact]
    public async Task A_cancelled_caller_gives_up_before_it_opens_the_fifo_and_the_container_stays_created()
    {
        await using var c = await CreatedSleeperAsync();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        // Opening the fifo would release init: a cancelled caller must stop before that, not after.
        Assert.Throws<OperationCanceledException>(() => RuncExecFifo.TryStart(c.Runtime.StateRoot, c.Id, cancelled.Token));
        Assert.True(File.Exists(RuncExecFifo.PathOf(c.Runtime.StateRoot, c.Id)));
        Assert.Equal("created", (await c.Runtime.StateAsync(c.Id))!.Status);
        await c.Runtime.DeleteAsync(c.Id, force: true);
    }

    [Fact]
    public async Task A_caller_that_knows_the_init_pid_starts_it_without_runcs_state_file()
    {
        await using var c = await CreatedSleeperAsync();
        int pid = (await c.Runtime.StateAsync(c.Id))!.Pid;
        // Hide state.json: the start must use the pid it was given, not read the file.
        string state = Path.Combine(c.Runtime.StateRoot, c.Id, "state.json");
        File.Move(state, state + ".hidden");
        try
        {
            Assert.True(RuncExecFifo.TryStart(c.Runtime.StateRoot, c.Id, CancellationToken.None, pid));
            Assert.False(RuncExecFifo.TryStart(c.Runtime.StateRoot, c.Id, CancellationToken.None), "without a pid or state.json there is nothing to start");
        }
        finally
        {
            File.Move(state + ".hidden", state);
        }
        Assert.Equal("running", (await c.Runtime.StateAsync(c.Id))!.Status);
        await c.Runtime.DeleteAsync(c.Id, force: true);
    }

    [Fact]
    public async Task The_started_process_runs_to_its_exit_code()
    {
        await using var c = new TestContainer();
        c.WriteSpec("sh", "-c", "exit 7");
        await c.Runtime.CreateAsync(c.Id, c.Bundle);
        var state = await c.Runtime.StateAsync(c.Id);
        await c.Runtime.StartAsync(c.Id);
        Assert.True(await TestContainer.WaitUntil(() => !NativeProcess.IsRunning(state!.Pid)), "the container's process did not end");
        Assert.Equal("stopped", (await c.Runtime.StateAsync(c.Id))!.Status);
        await c.Runtime.DeleteAsync(c.Id, force: true);
    }

    [Fact]
    public async Task A_running_container_is_left_to_runc_start_which_refuses_it()
    {
        await using var c = await CreatedSleeperAsync();
        await c.Runtime.StartAsync(c.Id);

        Assert.False(RuncExecFifo.TryStart(c.Runtime.StateRoot, c.Id, CancellationToken.None));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => c.Runtime.StartAsync(c.Id));
        Assert.Contains("cannot start", e.Message, StringComparison.OrdinalIgnoreCase);
        await c.Runtime.DeleteAsync(c.Id, force: true);
    }

    [Fact]
    public async Task A_container_whose_init_was_killed_before_start_is_not_started_and_runc_start_says_why()
    {
        await using var c = new TestContainer();
        c.WriteSpec("true");
        await c.Runtime.CreateAsync(c.Id, c.Bundle);
        var state = await c.Runtime.StateAsync(c.Id);
        await c.Runtime.KillAsync(c.Id, "KILL");
        Assert.True(await TestContainer.WaitUntil(() => !NativeProcess.IsRunning(state!.Pid)), "init did not die");

        Assert.False(RuncExecFifo.TryStart(c.Runtime.StateRoot, c.Id, CancellationToken.None));
        await Assert.ThrowsAsync<RuntimeException>(() => c.Runtime.StartAsync(c.Id));
        await c.Runtime.DeleteAsync(c.Id, force: true);
    }
}
