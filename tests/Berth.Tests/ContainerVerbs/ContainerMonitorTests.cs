using Berth.Tests.Containers;
using Berth.Tests.Runtime;

namespace Berth.Tests.ContainerVerbs;

/// <summary>`top` and `stats` on a running container, through the CLI.</summary>
public class ContainerMonitorTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Top_lists_the_containers_processes_and_stats_shows_its_memory()
    {
        string id = (await bb.OkAsync("run", "-d", "--name", "mon", "--network", "none", "bb", "sh", "-c", "sleep 1001 & exec sleep 1002")).Trim();
        Assert.True(await TestContainer.WaitUntil(() => bb.CliAsync("top", "mon").Result.Stdout.Contains("sleep 1001")));

        var top = (await bb.OkAsync("top", "mon")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^UID +PID +PPID +C +STIME +TTY +TIME +CMD$", top[0]);
        Assert.Equal(3, top.Length);
        Assert.Contains(top, l => l.EndsWith("sleep 1001", StringComparison.Ordinal));
        Assert.Contains(top, l => l.EndsWith("sleep 1002", StringComparison.Ordinal));
        var custom = (await bb.OkAsync("top", "mon", "-o", "pid,args")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^PID +COMMAND$", custom[0]);
        Assert.Contains(custom, l => l.EndsWith("sleep 1002", StringComparison.Ordinal));
        var refused = await bb.CliAsync("top", "mon", "-o", "user=PID");
        Assert.NotEqual(0, refused.ExitCode);

        var stats = (await bb.OkAsync("stats", "--no-stream", "mon")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$", stats[0]);
        Assert.Equal(2, stats.Length);
        Assert.Matches(@"^" + id[..12] + @" +mon +\d+\.\d\d% +[\d.]+[KMG]?i?B / [\d.]+[KMGT]iB +\d+\.\d\d% +[\d.]+k?B / [\d.]+k?B +[\d.]+[kMG]?B / [\d.]+[kMG]?B +2$", stats[1]);
        string memory = (await bb.OkAsync("stats", "--no-stream", "--format", "{{.MemUsage}}", "mon")).Trim();
        Assert.DoesNotMatch(@"^0B /", memory);
        Assert.Equal(id + "\n", await bb.OkAsync("stats", "--no-stream", "--no-trunc", "--format", "{{.ID}}", "mon"));
        Assert.Matches("^\\{\"BlockIO\":.*\"Name\":\"mon\".*\"PIDs\":\"2\"\\}\n$", await bb.OkAsync("stats", "--no-stream", "--format", "json", "mon"));

        // Live: the table is redrawn in place (clear screen, cursor home) until interrupted.
        var live = BerthProcess.Bash(bb.Store.Root,
            $"out=$(mktemp); {BerthProcess.Command(bb.Store.Root)} stats mon > $out & p=$!; " +
            "for i in $(seq 600); do [ $(grep -c 'CONTAINER ID' $out) -ge 2 ] && break; sleep 0.1; done; kill -TERM $p; wait $p; cat $out; rm -f $out");
        Assert.StartsWith("\u001b[2J\u001b[HCONTAINER ID", live.Stdout);
        Assert.True(live.Stdout.Split("\u001b[2J\u001b[H").Length >= 3, "the table is redrawn at least twice");
        Assert.Contains(id[..12], live.Stdout);

        await bb.OkAsync("kill", "mon");
        Assert.True(await TestContainer.WaitUntil(() => !bb.Store.Engine.Containers.Get("mon").IsRunning));
        var stopped = await bb.CliAsync("top", "mon");
        Assert.NotEqual(0, stopped.ExitCode);
        Assert.Contains("is not running", stopped.Stderr);
        Assert.Matches(@"^" + id[..12] + @" +mon +0\.00% +0B / 0B +0\.00% +0B / 0B +0B / 0B +0$",
            (await bb.OkAsync("stats", "--no-stream", "-a")).Split('\n')[1]);
    }
}
