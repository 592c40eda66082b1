using Berth.Tests.Containers;
using Berth.Tests.Runtime;

namespace Berth.Tests.ExecCopy;

/// <summary>`stop` and `restart` take Docker's -s/--signal and -t/--timeout (with --time, its deprecated spelling).</summary>
public class StopSignalTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    // /tmp is a tmpfs, fresh at every start: the marker says this start's trap is set.
    const string Trap = "trap 'exit 7' USR1; touch /tmp/ready; while true; do sleep 0.1; done";

    [Fact]
    public async Task Stop_and_restart_send_the_signal_given_with_s()
    {
        string name = "stopsig-" + Guid.NewGuid().ToString("N")[..8];
        await bb.OkAsync("run", "-d", "--name", name, "--network", "none", "--tmpfs", "/tmp", "bb", "sh", "-c", Trap);
        try
        {
            Assert.True(await TestContainer.WaitUntil(() => bb.CliAsync("exec", name, "test", "-e", "/tmp/ready").Result.ExitCode == 0));
            // The shell ignores nothing, so SIGTERM would end it with 143; USR1 runs its trap: exit 7, well before the timeout.
            Assert.Equal(name + "\n", await bb.OkAsync("stop", "-s", "USR1", "--timeout", "60", name));
            Assert.Equal(7, bb.Store.Engine.Containers.Get(name).State.ExitCode);

            Assert.Equal(name + "\n", await bb.OkAsync("restart", "--signal", "SIGUSR1", "--time", "60", name));
            Assert.True(bb.Store.Engine.Containers.Get(name).IsRunning);
            Assert.True(await TestContainer.WaitUntil(() => bb.CliAsync("exec", name, "test", "-e", "/tmp/ready").Result.ExitCode == 0));
            Assert.Equal(name + "\n", await bb.OkAsync("stop", "-t", "60", "-s", "usr1", name));
            Assert.Equal(7, bb.Store.Engine.Containers.Get(name).State.ExitCode);
        }
        finally
        {
            await bb.CliAsync("rm", "-f", name);
        }
    }
}
