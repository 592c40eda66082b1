using Berth.Tests.Containers;
using Berth.Tests.Runtime;

namespace Berth.Tests.ExecCopy;

/// <summary>Finished exec sessions do not pile up in a long-running container's bundle (one folder per `exec` before).</summary>
public class ExecSessionCleanupTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Each_exec_removes_the_folders_of_the_sessions_that_finished_and_keeps_a_running_one()
    {
        string name = "execs-" + Guid.NewGuid().ToString("N")[..8];
        await bb.OkAsync("run", "-d", "--name", name, "--network", "none", "bb", "sleep", "1000");
        try
        {
            string execDir = Path.Combine(bb.Store.Engine.Containers.ContainerDirectory(bb.Store.Engine.Containers.Get(name).Id), "exec");
            await bb.OkAsync("exec", "-d", name, "sleep", "1001");
            for (int i = 0; i < 6; i++) Assert.Equal($"{i}\n", await bb.OkAsync("exec", name, "echo", $"{i}"));
            // The detached sleep is still running; of the finished echoes at most the last ones (whose conmon was still
            // writing its exit file when the next exec looked) are left.
            var left = Directory.GetDirectories(execDir);
            Assert.InRange(left.Length, 2, 4); // 7 sessions ran
            Assert.Contains(left, d => !File.Exists(Path.Combine(d, "exit", bb.Store.Engine.Containers.Get(name).Id)));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", name);
        }
    }
}
