using System.Text.Json.Nodes;
using Berth.Engine.Runtime;
using Berth.Engine.Services.Containers;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.Containers;

/// <summary>run/create end to end: exit codes, output streams, Docker's container setup.</summary>
public class ContainerRunTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Run_rm_propagates_the_exit_code_and_keeps_stdout_and_stderr_apart()
    {
        var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "bb", "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, code);
        Assert.Equal("out\n", stdout);
        Assert.Equal("err\n", stderr);
        Assert.DoesNotContain(bb.Store.Engine.Containers.List(), c => c.Settings.Args.Contains("echo out; echo err >&2; exit 3"));
    }

    [Fact]
    public async Task Run_rm_leaves_no_runtime_state_and_no_cgroup_when_it_returns()
    {
        var (code, stdout, _) = await bb.CliAsync("run", "--rm", "--network", "none", "bb", "sh", "-c", "grep -o 'berth/[0-9a-f]*' /proc/self/cgroup | head -1");
        Assert.Equal(0, code);
        string id = stdout.Trim()["berth/".Length..];
        Assert.Equal(64, id.Length);
        // Deleted by this process (runc's delete done in-process), not left to conmon's exit command after it returned.
        Assert.False(Directory.Exists(Path.Combine(bb.Store.Engine.Store.RunDirectory, "runc", id)), "runc still has state for the removed container");
        var cgroups = Directory.GetDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup")
            .Select(root => Path.Combine(root, "berth", id)).Where(Directory.Exists).ToList();
        Assert.True(cgroups.Count == 0, "cgroups left: " + string.Join(", ", cgroups));
    }

    [Fact]
    public async Task A_run_refused_for_its_name_leaves_no_container_directory_and_no_monitor()
    {
        string containers = Path.Combine(bb.Store.Root, "containers");
        var before = Directory.GetDirectories(containers).ToHashSet();
        var (code, _, stderr) = await bb.CliAsync("run", "--rm", "--name", "bad name!", "--network", "none", "bb", "true");
        Assert.Equal(125, code);
        Assert.Contains("Invalid container name", stderr);
        var left = Directory.GetDirectories(containers).Where(d => !before.Contains(d) && bb.Store.Engine.Containers.TryGet(Path.GetFileName(d)) is null);
        Assert.Empty(left);
    }

    /// <summary>
    /// An attached run launches conmon before it validates anything, even before the image is looked up: a
    /// refused run must take it back. On a store of its own, as other tests' runs in flight have a conmon before their row.
    /// </summary>
    [Fact]
    public async Task A_refused_run_leaves_no_container_directory_and_no_monitor()
    {
        using var store = new TempStore();
        foreach (var args in new[] { new[] { "run", "--rm" }, ["run"], ["run", "-i"] })
        {
            var (code, _, stderr) = await store.CliAsync([.. args, "--network", "none", "nosuchimage", "true"]);
            Assert.Equal(125, code);
            Assert.Equal("Error: No such image: nosuchimage\n", stderr);
        }
        // As Docker, the image is looked up before the name is checked.
        var refused = await store.CliAsync("run", "--rm", "--name", "bad name!", "--network", "none", "nosuchimage", "true");
        Assert.Equal(125, refused.ExitCode);
        Assert.Equal("Error: No such image: nosuchimage\n", refused.Stderr);

        string containers = Path.Combine(store.Root, "containers");
        Assert.Empty(Directory.Exists(containers) ? Directory.GetDirectories(containers) : []);
        string persist = Path.Combine(store.Engine.Store.RunDirectory, "persist"); // conmon's, made by each launch
        Assert.Empty(Directory.Exists(persist) ? Directory.GetDirectories(persist) : []);
        Assert.Empty(CommandLines(argv => argv.Length > 1 && Path.GetFileName(argv[0]) == "conmon"
            && argv.Any(a => a.StartsWith(store.Root + "/", StringComparison.Ordinal))));
        // conmon, let go at once for runc (which waits on a spec FIFO), has made its attach socket link: gone with it.
        var links = Directory.Exists(ContainerService.SocketDirectory)
            ? Directory.EnumerateFileSystemEntries(ContainerService.SocketDirectory)
                .Where(l => new FileInfo(l).LinkTarget is string target && target.StartsWith(store.Root + "/", StringComparison.Ordinal)).ToList()
            : [];
        Assert.Empty(links);
    }

    [Fact]
    public async Task A_start_cancelled_while_the_runtime_creates_leaves_no_process_and_no_mount()
    {
        var containers = bb.Store.Engine.Containers;
        // Attached: create launches conmon, which starts runc's create as soon as start hands it the bundle.
        var created = await containers.CreateAsync(new ContainerCreateRequest
        {
            Image = "bb", Command = ["true"], Network = "none", StartsAttached = true,
        });
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            containers.StartAttachedAsync(created.Id, new AttachStreams(), cancellationToken: cancelled.Token));

        Assert.Empty(CommandLines(argv => argv.Any(a => a.Contains(created.Id))));
        Assert.DoesNotContain(containers.ContainerDirectory(created.Id) + "/rootfs", File.ReadAllText("/proc/self/mountinfo"));
        Assert.False(Directory.Exists(Path.Combine(bb.Store.Engine.Store.RunDirectory, "runc", created.Id)), "runc still has state for it");
        Assert.Equal(Berth.Engine.Metadata.ContainerStatus.Created, containers.Get(created.Id).State.Status);
        await containers.RemoveAsync(created.Id, force: true);
    }

    /// <summary>The command lines (words joined by spaces) of the running processes whose words <paramref name="match"/>.</summary>
    static List<string> CommandLines(Func<string[], bool> match)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string[] argv;
            try { argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0'); }
            catch (IOException) { continue; }
            if (match(argv)) found.Add(string.Join(' ', argv));
        }
        return found;
    }

    [Fact]
    public async Task Run_rm_container_left_by_a_killed_berth_is_removed_by_the_next_lookup_once_it_exits()
    {
        // The attached `run --rm` removes its container itself (conmon runs no exit command for it); when that berth process
        // died, the container's removal lease is free and whoever looks the container up next removes it, once it has exited.
        var berth = Berth.Engine.Processes.BerthExecutable.Current;
        var start = new System.Diagnostics.ProcessStartInfo(berth.FileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in berth.Arguments("--root", bb.Store.Root, "run", "--rm", "--name", "killed-client", "--network", "none", "bb", "sleep", "2"))
            start.ArgumentList.Add(a);
        using var client = System.Diagnostics.Process.Start(start)!;
        Assert.True(await TestContainer.WaitUntil(() => bb.Store.Engine.Containers.TryGet("killed-client") is { IsRunning: true }, 30_000), "the container should start");
        string id = bb.Store.Engine.Containers.Get("killed-client").Id;
        client.Kill();
        await client.WaitForExitAsync();
        Assert.True(bb.Store.Engine.Containers.TryGet("killed-client") is { IsRunning: true }, "a running container is not removed");
        Assert.True(await TestContainer.WaitUntil(() => bb.Store.Engine.Containers.List().All(c => c.Id != id), 30_000),
            "ps should remove the --rm container once it has exited");
        Assert.False(Directory.Exists(bb.Store.Engine.Containers.ContainerDirectory(id)));
        Assert.False(RootfsMount.IsMounted(bb.Store.Engine.Containers.RootfsPath(id)));
        Assert.Null(bb.Store.Engine.Containers.TryGet(id));
    }

    [Fact]
    public async Task An_rm_container_root_is_mounted_volatile_and_a_kept_one_is_not()
    {
        // --rm: nothing of the upper dir is kept, so its unmount must not sync the host file system (overlayfs "volatile").
        var (code, id, stderr) = await bb.CliAsync("run", "-d", "--rm", "--network", "none", "bb", "sleep", "30");
        Assert.True(code == 0, stderr);
        var (keptCode, keptId, keptErr) = await bb.CliAsync("run", "-d", "--network", "none", "bb", "sleep", "30");
        Assert.True(keptCode == 0, keptErr);
        try
        {
            Assert.Contains("volatile", MountOptions(bb.Store.Engine.Containers.RootfsPath(id.Trim())));
            Assert.DoesNotContain("volatile", MountOptions(bb.Store.Engine.Containers.RootfsPath(keptId.Trim())));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", id.Trim(), keptId.Trim());
        }
    }

    static string MountOptions(string target) =>
        File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')).Where(f => f.Length > 4 && f[4] == target).Select(f => string.Join(' ', f)).SingleOrDefault()
        ?? throw new InvalidOperationException($"{target} is not mounted");

    [Fact]
    public async Task Unknown_image_exits_125_and_a_missing_command_127()
    {
        var (code, _, stderr) = await bb.CliAsync("run", "--rm", "nosuchimage");
        Assert.Equal(125, code);
        Assert.Equal("Error: No such image: nosuchimage\n", stderr);

        (code, _, stderr) = await bb.CliAsync("run", "--name", "missing-cmd", "--network", "none", "bb", "/no/such/program");
        Assert.Equal(127, code);
        Assert.Contains("/no/such/program", stderr);
        var record = bb.Store.Engine.Containers.Get("missing-cmd");
        Assert.Equal("created", record.State.StatusText);
        Assert.Equal(127, record.State.ExitCode);
        Assert.False(RootfsMount.IsMounted(bb.Store.Engine.Containers.RootfsPath(record.Id)));
    }

    [Fact]
    public async Task The_container_gets_dockers_environment_user_workdir_hostname_and_etc_files()
    {
        using var dir = new Support.TempDirectory();
        File.WriteAllText(dir.Combine("env"), "# comment\n\nFROMFILE=yes\nFOO=overridden-by-e\n");
        string script = "echo env:$HOSTNAME:$HOME:$FOO:$PATH; id; pwd; hostname; cat /etc/hostname; grep -c localhost /etc/hosts; echo $TERM$FROMFILE";
        var stdout = await bb.OkAsync("run", "--rm", "--network", "none", "--env-file", dir.Combine("env"), "-e", "FOO=bar", "-u", "app", "-w", "/srv/new/dir", "--hostname", "box1",
            "bb", "sh", "-c", script);
        var lines = stdout.Split('\n');
        Assert.Equal("env:box1:/home/app:bar:" + OciSpecBuilder.DefaultPathEnv[5..], lines[0]);
        Assert.Equal("uid=1000(app) gid=1000(app) groups=50(staff)", lines[1]);
        Assert.Equal("/srv/new/dir", lines[2]);
        Assert.Equal("box1", lines[3]);
        Assert.Equal("box1", lines[4]);
        Assert.Equal("2", lines[5]);
        Assert.Equal("yes", lines[6]);

        var (code, _, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "-u", "nosuchuser", "bb", "true");
        Assert.Equal(125, code);
        Assert.Contains("unable to find user nosuchuser", stderr);
    }

    [Fact]
    public async Task A_start_that_fails_while_the_bundle_is_prepared_leaves_no_monitor_running()
    {
        // conmon is started before the bundle is written and waits on its start pipe; a failed preparation must kill it.
        string id = (await bb.OkAsync("create", "--network", "none", "-u", "nosuchuser", "bb", "true")).Trim();
        var (code, _, stderr) = await bb.CliAsync("start", id);
        Assert.NotEqual(0, code);
        Assert.Contains("unable to find user nosuchuser", stderr);
        var monitors = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(p => p!.All(char.IsAsciiDigit)).Where(p =>
        {
            try { return File.ReadAllText($"/proc/{p}/cmdline").Replace('\0', ' ').Contains("conmon") && File.ReadAllText($"/proc/{p}/cmdline").Contains(id); }
            catch (IOException) { return false; }
        }).ToList();
        Assert.Empty(monitors);
        Assert.False(File.Exists(Path.Combine(bb.Store.Engine.Containers.ContainerDirectory(id), "conmon.pid")));
        Assert.Equal("created", bb.Store.Engine.Containers.Get(id).State.StatusText);
        await bb.OkAsync("rm", id);
    }

    [Fact]
    public async Task Entrypoint_replaces_the_image_command_and_inspect_shows_path_and_args()
    {
        string id = (await bb.OkAsync("create", "--network", "none", "--entrypoint", "echo", "--label", "a=b", "--stop-signal", "SIGUSR1", "bb", "x", "y")).Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        var json = JsonNode.Parse(await bb.OkAsync("inspect", id))!.AsArray()[0]!;
        Assert.Equal(id, (string?)json["Id"]);
        Assert.Equal("echo", (string?)json["Path"]);
        Assert.Equal("[\"x\",\"y\"]", json["Args"]!.ToJsonString());
        Assert.Equal("created", (string?)json["State"]!["Status"]);
        Assert.Equal("overlay2", (string?)json["Driver"]);
        Assert.Equal("b", (string?)json["Config"]!["Labels"]!["a"]);
        Assert.Equal("SIGUSR1", (string?)json["Config"]!["StopSignal"]);
        Assert.Equal("none", (string?)json["HostConfig"]!["NetworkMode"]);
        Assert.StartsWith("sha256:", (string?)json["Image"]);
        Assert.Equal("x y\n", (await bb.CliAsync("start", "-a", id)).Stdout);
        Assert.Equal("exited 0", (await bb.OkAsync("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id)).Trim());
    }

    [Fact]
    public async Task Default_capabilities_are_dockers_set()
    {
        var stdout = await bb.OkAsync("run", "--rm", "--network", "none", "bb", "grep", "CapEff", "/proc/self/status");
        ulong mask = Convert.ToUInt64(stdout.Split('\t', StringSplitOptions.TrimEntries)[1], 16);
        Assert.Equal(Capabilities.Mask(Capabilities.DockerDefault), mask);

        stdout = await bb.OkAsync("run", "--rm", "--network", "none", "--cap-drop", "ALL", "--cap-add", "NET_RAW", "bb", "grep", "CapEff", "/proc/self/status");
        Assert.Equal(Capabilities.Mask(["CAP_NET_RAW"]), Convert.ToUInt64(stdout.Split('\t', StringSplitOptions.TrimEntries)[1], 16));
    }

    [Fact]
    public async Task Binds_tmpfs_read_only_and_default_network_namespace_work()
    {
        using var dir = new Support.TempDirectory();
        File.WriteAllText(dir.Combine("in.txt"), "from host\n");
        var stdout = await bb.OkAsync("run", "--rm", "-v", dir.Path + ":/data", "-v", dir.Path + ":/ro:ro", "--tmpfs", "/scratch", "--read-only",
            "bb", "sh", "-c", "cat /data/in.txt; echo new > /data/out.txt; touch /ro/x 2>/dev/null || echo ro-refused; touch /etc/x 2>/dev/null || echo rootfs-ro; " +
            "echo t > /scratch/t && echo tmpfs-ok; ip -o link | grep -c ': '; ip -o addr show lo | grep -c 127.0.0.1");
        Assert.Equal("from host\nro-refused\nrootfs-ro\ntmpfs-ok\n1\n1\n", stdout);
        Assert.Equal("new\n", File.ReadAllText(dir.Combine("out.txt")));
    }

    [Fact]
    public async Task Named_volumes_are_seeded_from_the_image_and_image_volumes_are_anonymous_and_removed_with_rm_v()
    {
        Assert.Equal("group\npasswd\n", await bb.OkAsync("run", "--rm", "--network", "none", "-v", "etcdata:/etc", "bb", "sh", "-c", "ls /etc | grep -v -e hosts -e hostname -e resolv; echo kept > /etc/mark"));
        Assert.Equal("kept\n", await bb.OkAsync("run", "--rm", "--network", "none", "-v", "etcdata:/data:ro", "bb", "cat", "/data/mark"));
        Assert.Contains("etcdata", await bb.OkAsync("volume", "ls", "-q"));

        await bb.OkAsync("import", "-c", "VOLUME /var/www", Support.BusyboxRootfs.TarPath, "bbvol");
        await bb.OkAsync("run", "--name", "anon", "--network", "none", "-v", "etcdata:/etc", "bbvol", "sh", "-c", "echo page > /var/www/index.html");
        var mounts = JsonNode.Parse(await bb.OkAsync("inspect", "-f", "{{json .Mounts}}", "anon"))!.AsArray();
        var anonymous = mounts.Single(m => (string?)m!["Destination"] == "/var/www")!;
        string volume = (string)anonymous["Name"]!;
        Assert.Matches("^[0-9a-f]{64}$", volume);
        Assert.Equal("page\n", File.ReadAllText(Path.Combine((string)anonymous["Source"]!, "index.html")));

        var inUse = await bb.CliAsync("volume", "rm", "etcdata");
        Assert.NotEqual(0, inUse.ExitCode);
        Assert.Contains("volume is in use", inUse.Stderr);

        await bb.OkAsync("rm", "-v", "anon");
        var left = await bb.OkAsync("volume", "ls", "-q");
        Assert.DoesNotContain(volume, left);
        Assert.Contains("etcdata", left);
        await bb.OkAsync("volume", "rm", "etcdata");
        await bb.OkAsync("rmi", "bbvol");
    }

    [Fact]
    public async Task Interactive_terminal_works_in_tmux()
    {
        TestContainer.RequireTools();
        Assert.True(OciRuntime.FindBinary("tmux") is not null, "tmux is not installed: run scripts/install-deps.sh");
        var berth = Berth.Engine.Processes.BerthExecutable.Current;
        string socket = "berth-test-" + Guid.NewGuid().ToString("N")[..8];
        string commandLine = string.Join(' ', new[] { berth.FileName }.Concat(berth.Arguments("--root", bb.Store.Root, "run", "-it", "--rm", "--name", socket, "--network", "none", "bb", "sh"))
            .Select(a => "'" + a + "'"));
        await Tmux(socket, "new-session", "-d", "-s", socket, "-x", "120", "-y", "30", commandLine);
        try
        {
            Assert.True(await TestContainer.WaitUntil(() => bb.Store.Engine.Containers.TryGet(socket) is { IsRunning: true }, 30_000), "the container should start");
            await Task.Delay(300);
            await Tmux(socket, "send-keys", "-t", socket, "echo sum=$((40+2)); tty; stty size", "Enter");
            string screen = "";
            Assert.True(await TestContainer.WaitUntil(() =>
            {
                screen = Support.ProcessRunner.Run("tmux", ["-L", socket, "capture-pane", "-p", "-t", socket]).Stdout;
                return screen.Contains("sum=42") && screen.Contains("30 120");
            }, 20_000), "screen: " + screen);
            Assert.Contains("/dev/pts/0", screen);
            await Tmux(socket, "send-keys", "-t", socket, "exit 4", "Enter");
            Assert.True(await TestContainer.WaitUntil(() => bb.Store.Engine.Containers.TryGet(socket) is null, 30_000), "--rm should remove the container");
            // berth itself ends too (its tmux session with it), though its terminal read has no input to end it.
            Assert.True(await TestContainer.WaitUntil(() => Support.ProcessRunner.Run("tmux", ["-L", socket, "has-session", "-t", socket]).ExitCode != 0, 30_000),
                "berth run -it should exit when its container does");
        }
        finally
        {
            Support.ProcessRunner.Run("tmux", ["-L", socket, "kill-server"]);
        }
    }

    static Task Tmux(string socket, params string[] args)
    {
        var result = Support.ProcessRunner.Run("tmux", ["-L", socket, .. args]);
        Assert.True(result.ExitCode == 0, "tmux failed: " + result.Stderr);
        return Task.CompletedTask;
    }
}
