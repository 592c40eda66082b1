using Berth.Engine.Runtime;
using Berth.Engine.Services.Containers;
using Berth.Tests.Runtime;

namespace Berth.Tests.Containers;

/// <summary>start, stop, kill, restart, pause, rm, ps, logs, exec, wait, rename, port, prune on running containers.</summary>
public class ContainerLifecycleTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    const string Loop = "trap '' TERM; echo started; echo warn >&2; while true; do sleep 0.1; done";

    [Fact]
    public async Task Detached_container_shows_in_ps_logs_exec_and_stop_kills_it_after_the_timeout()
    {
        string id = (await bb.OkAsync("run", "-d", "--name", "looper", "-p", "127.0.0.1:18080:80", "-e", "FOO=bar", "--network", "none", "bb", "sh", "-c", Loop)).Trim();
        var ps = (await bb.OkAsync("ps")).Split('\n');
        Assert.Matches("^CONTAINER ID   IMAGE     COMMAND +CREATED +STATUS +PORTS +NAMES$", ps[0]);
        Assert.StartsWith(id[..12] + "   bb        \"sh -c trap '' TERM;…\"", ps[1]);
        Assert.Contains("Up ", ps[1]);
        Assert.Contains("127.0.0.1:18080->80/tcp", ps[1]);
        Assert.EndsWith("looper", ps[1]);
        Assert.Equal(id[..12] + "\n", await bb.OkAsync("ps", "-q", "--filter", "name=loop"));
        Assert.Equal("", await bb.OkAsync("ps", "-q", "--filter", "status=exited", "--filter", "name=looper"));
        Assert.Equal("80/tcp -> 127.0.0.1:18080\n", await bb.OkAsync("port", "looper"));

        Assert.True(await TestContainer.WaitUntil(() => bb.CliAsync("logs", "looper").Result.Stdout == "started\n"));
        var logs = await bb.CliAsync("logs", "-t", "looper");
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z started\n$", logs.Stdout);
        Assert.Equal("warn\n", logs.Stderr[(logs.Stderr.IndexOf(' ') + 1)..]);
        var detailed = await bb.CliAsync("logs", "--details", "-t", "looper");
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z  started\n$", detailed.Stdout);
        Assert.Equal(" warn\n", detailed.Stderr[(detailed.Stderr.IndexOf(' ') + 1)..]);

        var exec = await bb.CliAsync("exec", "-e", "X=1", "-w", "/tmp", "looper", "sh", "-c", "echo $FOO$X; pwd; exit 5");
        Assert.Equal(5, exec.ExitCode);
        Assert.Equal("bar1\n/tmp\n", exec.Stdout);
        Assert.Equal("uid=1000(app) gid=1000(app) groups=50(staff)\n", await bb.OkAsync("exec", "-u", "app", "looper", "id"));
        var missing = await bb.CliAsync("exec", "looper", "nosuchcommand");
        Assert.Equal(126, missing.ExitCode);

        Assert.Equal("looper\n", await bb.OkAsync("stop", "-t", "1", "looper"));
        var record = bb.Store.Engine.Containers.Get("looper");
        Assert.Equal("exited", record.State.StatusText);
        Assert.Equal(137, record.State.ExitCode);
        Assert.Matches(@"Exited \(137\) (Less than a second|\d+ seconds?) ago", await bb.OkAsync("ps", "-a", "--filter", "id=" + id[..8], "--format", "{{.Status}}"));
        Assert.False(RootfsMount.IsMounted(bb.Store.Engine.Containers.RootfsPath(id)));

        var stopped = await bb.CliAsync("exec", "looper", "true");
        Assert.Equal(1, stopped.ExitCode);
        Assert.Contains("is not running", stopped.Stderr);
    }

    [Fact]
    public async Task A_container_killed_behind_berths_back_is_reconciled_as_exited_137()
    {
        string id = (await bb.OkAsync("run", "-d", "--network", "none", "bb", "sleep", "1000")).Trim();
        var record = bb.Store.Engine.Containers.Get(id);
        Assert.True(record.IsRunning);
        int pid = record.State.Pid;
        Assert.True(pid > 0);
        Support.ProcessRunner.Check("kill", "-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(await TestContainer.WaitUntil(() => !bb.Store.Engine.Containers.Get(id).IsRunning, 10_000));
        Assert.Matches(@"^Exited \(137\) ", await bb.OkAsync("ps", "-a", "--filter", "id=" + id, "--format", "{{.Status}}"));
        Assert.Equal("137\n", await bb.OkAsync("wait", id));
        Assert.Equal("137", (await bb.OkAsync("inspect", "-f", "{{.State.ExitCode}}", id)).Trim());
        // The exit command unmounts the root file system once conmon sees the exit.
        Assert.True(await TestContainer.WaitUntil(() => !RootfsMount.IsMounted(bb.Store.Engine.Containers.RootfsPath(id)), 20_000));
    }

    [Fact]
    public async Task Rm_f_of_a_running_container_leaves_no_mount_process_cgroup_or_files()
    {
        string id = (await bb.OkAsync("run", "-d", "--network", "none", "--memory", "64m", "--pids-limit", "50", "bb", "sh", "-c", Loop)).Trim();
        var record = bb.Store.Engine.Containers.Get(id);
        string cgroup = CgroupLayout.ControllerPath("memory", ContainerService.CgroupPath(record));
        Assert.Equal("67108864", File.ReadAllText(Path.Combine(cgroup, "memory.limit_in_bytes")).Trim());
        int pid = record.State.Pid, monitor = record.State.MonitorPid;

        var refused = await bb.CliAsync("rm", id);
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal($"Error: You cannot remove a running container {id}. Stop the container before attempting removal or force remove\n", refused.Stderr);

        Assert.Equal(id[..12] + "\n", await bb.OkAsync("rm", "-f", id[..12]));
        Assert.Null(bb.Store.Engine.Containers.TryGet(id));
        Assert.False(RootfsMount.IsMounted(bb.Store.Engine.Containers.RootfsPath(id)));
        Assert.False(Directory.Exists(bb.Store.Engine.Containers.ContainerDirectory(id)));
        Assert.False(Directory.Exists(cgroup));
        Assert.False(Directory.Exists(CgroupLayout.ControllerPath("pids", ContainerService.CgroupPath(record))));
        Assert.False(File.Exists($"/proc/{pid}/status") && !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ"), "the container process should be gone");
        Assert.True(await TestContainer.WaitUntil(() => !Directory.Exists($"/proc/{monitor}"), 20_000), "conmon should exit");
        Assert.DoesNotContain(Directory.EnumerateDirectories(Path.Combine(bb.Store.Root, "snapshots")), d => d.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wait_gets_the_exit_code_of_a_container_that_rm_f_removes_while_it_waits()
    {
        // The wait polls every 25 ms once it has waited a while; the removal (kill, exit, removal) often fits between two
        // of its looks, which then find neither the container nor its exit file unless the removal kept its code.
        // The wait must have found the container before the removal: a first wait, on an exited container, warms its code.
        string warm = (await bb.OkAsync("run", "-d", "--network", "none", "bb", "sh", "-c", "exit 3")).Trim();
        Assert.Equal("3\n", await bb.OkAsync("wait", warm));
        await bb.OkAsync("rm", warm);
        for (int round = 0; round < 3; round++)
        {
            string id = (await bb.OkAsync("run", "-d", "--network", "none", "bb", "sleep", "1000")).Trim();
            var wait = bb.CliAsync("wait", id);
            await Task.Delay(500);
            Assert.False(wait.IsCompleted);
            await bb.OkAsync("rm", "-f", id);
            var (code, stdout, stderr) = await wait;
            Assert.True(code == 0, stderr);
            Assert.Equal("137\n", stdout);
            Assert.Equal(137, RemovedExitCodes.Read(Path.Combine(bb.Store.Engine.Containers.Store.RunDirectory, "exits"), id));
        }
    }

    [Fact]
    public async Task A_failed_cleanup_is_recorded_in_the_containers_directory()
    {
        string id = (await bb.OkAsync("create", "--network", "none", "bb", "true")).Trim();
        var containers = bb.Store.Engine.Containers;
        containers.RecordCleanupFailure(id, new InvalidOperationException("boom"));
        containers.RecordCleanupFailure(id, new InvalidOperationException("again"));
        var lines = File.ReadAllLines(Path.Combine(containers.ContainerDirectory(id), "cleanup.log"));
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT.* System.InvalidOperationException: boom$", lines[0]);
        await bb.OkAsync("rm", id);
        containers.RecordCleanupFailure(id, new InvalidOperationException("gone")); // no directory any more: nothing to record, no error
        Assert.False(Directory.Exists(containers.ContainerDirectory(id)));
    }

    [Fact]
    public async Task Pause_unpause_kill_restart_rename_and_names()
    {
        await bb.OkAsync("run", "-d", "--name", "p1", "--network", "none", "bb", "sh", "-c", "trap 'exit 143' TERM; while true; do sleep 0.1; done");
        var conflict = await bb.CliAsync("create", "--name", "p1", "bb", "true");
        Assert.Equal(125, conflict.ExitCode);
        Assert.Matches("^Error: Conflict. The container name \"/p1\" is already in use by container \"[0-9a-f]{64}\". You have to remove \\(or rename\\) that container to be able to reuse that name.\n$", conflict.Stderr);
        Assert.Equal(125, (await bb.CliAsync("create", "--name", "bad name", "bb", "true")).ExitCode);

        await bb.OkAsync("pause", "p1");
        Assert.Matches(@"^Up .* \(Paused\)$", (await bb.OkAsync("ps", "--filter", "name=p1", "--format", "{{.Status}}")).Trim());
        Assert.Equal("paused", (await bb.OkAsync("inspect", "-f", "{{.State.Status}} ", "p1")).Trim());
        await bb.OkAsync("unpause", "p1");
        Assert.Equal("running", (await bb.OkAsync("inspect", "-f", "{{.State.Status}}", "p1")).Trim());

        await bb.OkAsync("rename", "p1", "p2");
        Assert.Null(bb.Store.Engine.Containers.TryGet("p1"));
        await bb.OkAsync("kill", "-s", "TERM", "p2");
        Assert.Equal("143\n", await bb.OkAsync("wait", "p2"));
        var notRunning = await bb.CliAsync("kill", "p2");
        Assert.Equal(1, notRunning.ExitCode);
        Assert.Contains("is not running", notRunning.Stderr);

        await bb.OkAsync("restart", "p2");
        Assert.True(bb.Store.Engine.Containers.Get("p2").IsRunning);
        await bb.OkAsync("kill", "p2");
        Assert.Equal("exited 137", (await bb.OkAsync("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "p2")).Trim());

        // rmi refuses an image a container uses, in Docker's words.
        var rmi = await bb.CliAsync("rmi", "bb");
        Assert.Equal(1, rmi.ExitCode);
        Assert.Matches("^Error: conflict: unable to (remove repository reference \"bb\" \\(must force\\) - container [0-9a-f]{12} is using its referenced image|delete bb \\(cannot be forced\\) - image is being used by running container)", rmi.Stderr);

        var prune = await bb.OkAsync("container", "prune", "-f");
        Assert.StartsWith("Deleted Containers:\n", prune);
        Assert.Matches(@"\n\nTotal reclaimed space: \d+(\.\d+)?[kMG]?B\n$", prune);
        Assert.DoesNotContain(bb.Store.Engine.Containers.List(), c => !c.IsRunning);
    }

    [Fact]
    public async Task Stop_sends_the_containers_stop_signal_first()
    {
        string id = (await bb.OkAsync("run", "-d", "--stop-signal", "SIGUSR1", "--stop-timeout", "20", "--network", "none", "bb", "sh", "-c",
            "trap 'exit 7' USR1; while true; do sleep 0.1; done")).Trim();
        await bb.OkAsync("stop", id);
        Assert.Equal("7\n", await bb.OkAsync("wait", id));
        await bb.OkAsync("rm", id);
    }

    [Fact]
    public async Task A_container_over_its_memory_limit_is_oom_killed_and_inspect_says_so()
    {
        var (code, _, _) = await bb.CliAsync("run", "--name", "oomer", "-m", "8m", "--network", "none", "bb", "sh", "-c", "head -c 200m /dev/zero | tail > /dev/null");
        Assert.Equal(137, code);
        Assert.Equal("true 137", (await bb.OkAsync("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oomer")).Trim());
        await bb.OkAsync("rm", "oomer");
    }

    [Fact]
    public async Task Logs_follow_until_the_container_exits_and_tail_counts_lines()
    {
        string id = (await bb.OkAsync("run", "-d", "--network", "none", "bb", "sh", "-c", "echo a; echo b; sleep 1; echo c")).Trim();
        var follow = await bb.CliAsync("logs", "-f", id);
        Assert.Equal("a\nb\nc\n", follow.Stdout);
        Assert.Equal("b\nc\n", (await bb.CliAsync("logs", "--tail", "2", id)).Stdout);
        Assert.Equal("0\n", await bb.OkAsync("wait", id));
    }
}
