using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>
/// The runtime's delete done in process (<see cref="StoppedContainerDelete"/>), which `rm`, `stop` and the exit cleanup
/// try for every container that is not running: it must remove everything of an ended container, and touch nothing of
/// one whose init still lives (created, never started: e.g. berth died between the runtime's create and start).
/// </summary>
public class StoppedContainerDeleteTests
{
    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task An_ended_container_is_deleted_with_its_cgroups_and_state(string runtime)
    {
        await using var c = new TestContainer(runtime);
        c.WriteSpec("true");
        Assert.Equal(0, await c.Runtime.RunAsync(c.Id, c.Bundle));
        // `run` leaves nothing; a created, started and ended container is what rm meets.
        await c.Runtime.CreateAsync(c.Id, c.Bundle);
        var state = await c.Runtime.StateAsync(c.Id);
        await c.Runtime.StartAsync(c.Id);
        Assert.True(await TestContainer.WaitUntil(() => !NativeProcess.IsRunning(state!.Pid)), "the container's process did not end");
        Assert.Contains(c.CgroupDirectories(), Directory.Exists);

        Assert.True(c.Runtime.TryDeleteStopped(c.Id, c.CgroupDirectories()));

        Assert.DoesNotContain(c.CgroupDirectories(), Directory.Exists);
        Assert.False(Directory.Exists(Path.Combine(c.Runtime.StateRoot, c.Id)));
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task A_created_container_whose_init_lives_is_left_whole_to_the_runtime_s_delete(string runtime)
    {
        await using var c = new TestContainer(runtime);
        c.WriteSpec("true");
        await c.Runtime.CreateAsync(c.Id, c.Bundle);
        var state = await c.Runtime.StateAsync(c.Id);

        Assert.False(c.Runtime.TryDeleteStopped(c.Id, c.CgroupDirectories()));

        Assert.True(NativeProcess.IsRunning(state!.Pid));
        Assert.Equal("created", (await c.Runtime.StateAsync(c.Id))!.Status);
        await c.Runtime.DeleteAsync(c.Id, force: true);
        Assert.Null(await c.Runtime.StateAsync(c.Id));
        Assert.DoesNotContain(c.CgroupDirectories(), Directory.Exists);
    }
}
