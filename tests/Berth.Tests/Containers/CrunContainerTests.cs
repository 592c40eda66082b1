using Berth.Engine.Runtime;
using Berth.Engine.Services.Containers;
using Berth.Tests.Runtime;

namespace Berth.Tests.Containers;

/// <summary>The container verbs with <c>--runtime crun</c>, end to end through the CLI.</summary>
public class CrunContainerTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Run_rm_with_crun_prints_the_output_and_returns_the_exit_code()
    {
        // The hostname is the container ID's first 12 characters: what to look for afterwards.
        var run = await bb.CliAsync("run", "--runtime", "crun", "--rm", "--network", "none", "bb", "sh", "-c", "hostname; echo hello from crun; exit 3");
        Assert.True(run.ExitCode == 3, run.Stderr);
        var lines = run.Stdout.Split('\n');
        Assert.Equal("hello from crun", lines[1]);
        string shortId = lines[0];
        Assert.Matches("^[0-9a-f]{12}$", shortId);
        Assert.Null(bb.Store.Engine.Containers.TryGet(shortId));
        // Started and deleted in process (the exec fifo written, then the cgroups and crun's state removed): nothing is left.
        string state = Path.Combine(bb.Store.Root, "run", "crun");
        Assert.DoesNotContain(Directory.Exists(state) ? Directory.GetDirectories(state) : [], d => Path.GetFileName(d).StartsWith(shortId, StringComparison.Ordinal));
        string memory = CgroupLayout.ControllerPath("memory", ContainerService.CgroupParent);
        Assert.DoesNotContain(Directory.Exists(memory) ? Directory.GetDirectories(memory) : [], d => Path.GetFileName(d).StartsWith(shortId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_crun_container_runs_with_limits_execs_pauses_stops_and_is_removed_without_leftovers()
    {
        string id = (await bb.OkAsync("run", "-d", "--runtime", "crun", "--network", "none", "--memory", "64m", "--pids-limit", "50",
            "bb", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done")).Trim();
        var record = bb.Store.Engine.Containers.Get(id);
        Assert.True(record.IsRunning);
        Assert.Equal("crun", (await bb.OkAsync("inspect", "-f", "{{.HostConfig.Runtime}}", id)).Trim());
        Assert.Equal("67108864", File.ReadAllText(Path.Combine(CgroupLayout.ControllerPath("memory", ContainerService.CgroupPath(record)), "memory.limit_in_bytes")).Trim());
        Assert.Equal("hi\n", await bb.OkAsync("exec", id, "echo", "hi"));

        await bb.OkAsync("pause", id);
        Assert.Contains("(Paused)", await bb.OkAsync("ps", "--format", "{{.Status}}", "--filter", "id=" + id));
        await bb.OkAsync("unpause", id);

        Assert.Equal(id[..12] + "\n", await bb.OkAsync("stop", "-t", "1", id[..12]));
        Assert.Matches(@"^Exited \(137\) ", await bb.OkAsync("ps", "-a", "--filter", "id=" + id, "--format", "{{.Status}}"));
        Assert.False(RootfsMount.IsMounted(bb.Store.Engine.Containers.RootfsPath(id)));

        Assert.Equal(id[..12] + "\n", await bb.OkAsync("rm", id[..12]));
        Assert.Equal("", await bb.OkAsync("ps", "-aq"));
        Assert.False(Directory.Exists(CgroupLayout.ControllerPath("memory", ContainerService.CgroupPath(record))));
        Assert.False(Directory.Exists(Path.Combine(bb.Store.Root, "run", "crun", id)));
    }
}
