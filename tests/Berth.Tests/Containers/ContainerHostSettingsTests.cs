using System.Text.Json.Nodes;

namespace Berth.Tests.Containers;

/// <summary>
/// run with --add-host, --dns*, --ulimit, --sysctl, --shm-size, --cpu-shares, --cpuset-cpus and the host namespace
/// modes, end to end: what the process in the container sees, what inspect shows, and the refusals.
/// </summary>
public class ContainerHostSettingsTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Names_limits_and_sysctls_reach_the_container()
    {
        var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none",
            "--add-host", "db:203.0.113.7", "--add-host", "v6=[2001:db8::1]",
            "--dns", "203.0.113.53", "--dns-search", "example.com", "--dns-option", "ndots:2",
            "--ulimit", "nofile=1000:2000", "--ulimit", "nproc=77", "--sysctl", "kernel.shmmax=1048576", "--shm-size", "32m",
            "-c", "512", "--cpuset-cpus", "0", "bb", "sh", "-c",
            "tail -2 /etc/hosts; grep -v '^#' /etc/resolv.conf; ulimit -n; ulimit -Hn; ulimit -u; cat /proc/sys/kernel/shmmax; " +
            "df -k /dev/shm | tail -1 | awk '{print $2}'");
        Assert.True(code == 0, stderr);
        Assert.Equal(
            "203.0.113.7\tdb\n2001:db8::1\tv6\n" +
            "nameserver 203.0.113.53\nsearch example.com\noptions ndots:2\n" +
            "1000\n2000\n77\n1048576\n32768\n",
            KeepOnlyOverriddenResolvLines(stdout));
    }

    /// <summary>The host's own resolv.conf lines of other kinds (e.g. "sortlist") stay; this test is about the three it replaces.</summary>
    static string KeepOnlyOverriddenResolvLines(string output) =>
        string.Concat(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !char.IsAsciiLetter(l[0]) || l.StartsWith("nameserver ") || l.StartsWith("search ") || l.StartsWith("options ") || l.Contains('\t'))
            .Select(l => l + "\n"));

    [Fact]
    public async Task Host_pid_ipc_and_uts_namespaces_are_the_hosts()
    {
        string probe = Path.Combine("/dev/shm", "berth-test-ipc-" + Guid.NewGuid().ToString("N")[..8]);
        await File.WriteAllTextAsync(probe, "from the host\n");
        try
        {
            var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "--pid", "host", "--ipc", "host", "--uts", "host",
                "bb", "sh", "-c", $"echo $$; hostname; cat {probe}");
            Assert.True(code == 0, stderr);
            var lines = stdout.Split('\n');
            Assert.NotEqual("1", lines[0]); // in a PID namespace of its own the shell would be PID 1
            Assert.Equal(Environment.MachineName, lines[1]);
            Assert.Equal("from the host", lines[2]);
        }
        finally
        {
            File.Delete(probe);
        }
        var own = await bb.CliAsync("run", "--rm", "--network", "none", "--ipc", "none", "bb", "sh", "-c", "echo $$; grep -c ' /dev/shm ' /proc/mounts");
        Assert.Equal("1\n0\n", own.Stdout);
    }

    [Fact]
    public async Task Inspect_shows_the_host_settings_as_docker_names_them()
    {
        string id = (await bb.OkAsync("create", "--network", "none", "--add-host", "db:203.0.113.7", "--dns", "203.0.113.53",
            "--ulimit", "nofile=1000:2000", "--sysctl", "kernel.shmmax=1048576", "--shm-size", "32m", "--ipc", "shareable",
            "--pid", "host", "-c", "256", "bb", "true")).Trim();
        try
        {
            var host = JsonNode.Parse(await bb.OkAsync("inspect", "--format", "{{json .HostConfig}}", id))!.AsObject();
            Assert.Equal("db:203.0.113.7", host["ExtraHosts"]![0]!.GetValue<string>());
            Assert.Equal("203.0.113.53", host["Dns"]![0]!.GetValue<string>());
            Assert.Equal(("nofile", 1000L, 2000L), (host["Ulimits"]![0]!["Name"]!.GetValue<string>(), host["Ulimits"]![0]!["Soft"]!.GetValue<long>(), host["Ulimits"]![0]!["Hard"]!.GetValue<long>()));
            Assert.Equal("1048576", host["Sysctls"]!["kernel.shmmax"]!.GetValue<string>());
            Assert.Equal(32L * 1024 * 1024, host["ShmSize"]!.GetValue<long>());
            Assert.Equal(("shareable", "host", ""), (host["IpcMode"]!.GetValue<string>(), host["PidMode"]!.GetValue<string>(), host["UTSMode"]!.GetValue<string>()));
            Assert.Equal(256, host["CpuShares"]!.GetValue<long>());
        }
        finally
        {
            await bb.CliAsync("rm", id);
        }
    }

    [Fact]
    public async Task Publish_all_publishes_every_exposed_port_on_a_loopback_port_the_host_chose()
    {
        string id = (await bb.OkAsync("create", "--network", "none", "--expose", "8080", "--expose", "9000-9001/udp", "-p", "127.0.0.1::7000", "-P", "bb", "true")).Trim();
        try
        {
            var host = JsonNode.Parse(await bb.OkAsync("inspect", "--format", "{{json .HostConfig}}", id))!.AsObject();
            Assert.True(host["PublishAllPorts"]!.GetValue<bool>());
            var bindings = host["PortBindings"]!.AsObject();
            Assert.Equal(["7000/tcp", "8080/tcp", "9000/udp", "9001/udp"], bindings.Select(b => b.Key).Order(StringComparer.Ordinal));
            foreach (var (_, list) in bindings)
            {
                Assert.Equal("127.0.0.1", list![0]!["HostIp"]!.GetValue<string>());
                Assert.True(int.Parse(list[0]!["HostPort"]!.GetValue<string>()) > 0);
            }
            var exposed = JsonNode.Parse(await bb.OkAsync("inspect", "--format", "{{json .Config.ExposedPorts}}", id))!.AsObject();
            Assert.Equal(["7000/tcp", "8080/tcp", "9000/udp", "9001/udp"], exposed.Select(e => e.Key).Order(StringComparer.Ordinal));
        }
        finally
        {
            await bb.CliAsync("rm", id);
        }
    }

    [Fact]
    public async Task Memory_reservation_and_swap_reach_the_memory_cgroup()
    {
        var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "--memory", "64m", "--memory-reservation", "32m",
            "--memory-swap", "-1", "bb", "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.soft_limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.low");
        Assert.True(code == 0, stderr);
        Assert.Equal($"{64 * 1024 * 1024}\n{32 * 1024 * 1024}\n", stdout);
    }

    [Fact]
    public async Task Mount_binds_volumes_and_tmpfs_reach_the_container()
    {
        using var host = new Support.TempDirectory();
        await File.WriteAllTextAsync(host.Combine("note"), "from the host\n");
        string volume = "mount-test-" + Guid.NewGuid().ToString("N")[..8];
        var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none",
            "--mount", $"type=bind,source={host.Path},target=/host,readonly",
            "--mount", $"source={volume},target=/vol",
            "--mount", "type=tmpfs,target=/scratch,tmpfs-size=2m,tmpfs-mode=1770",
            "bb", "sh", "-c", "cat /host/note; touch /host/x 2>/dev/null || echo read-only; echo kept > /vol/f; " +
            "stat -c %a /scratch; df -k /scratch | tail -1 | awk '{print $2}'");
        try
        {
            Assert.True(code == 0, stderr);
            Assert.Equal("from the host\nread-only\n1770\n2048\n", stdout);
            Assert.Equal("kept\n", (await bb.OkAsync("run", "--rm", "--network", "none", "-v", $"{volume}:/vol", "bb", "cat", "/vol/f")));
        }
        finally
        {
            await bb.CliAsync("volume", "rm", volume);
        }
        var missing = await bb.CliAsync("run", "--rm", "--mount", "type=bind,source=/no/such/berth/dir,target=/x", "bb", "true");
        Assert.Equal((125, "Error: invalid mount config for type \"bind\": bind source path does not exist: /no/such/berth/dir\n"), (missing.ExitCode, missing.Stderr));
        Assert.False(Directory.Exists("/no/such/berth/dir"));
    }

    [Fact]
    public async Task Devices_appear_where_asked_with_the_access_asked()
    {
        // A device outside Docker's default device rules (which allow null, zero, random and the like to everyone).
        string device = new[] { "/dev/fuse", "/dev/loop-control", "/dev/kmsg" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("none of /dev/fuse, /dev/loop-control, /dev/kmsg exists on this host");
        var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "--device", $"{device}:/dev/granted:r",
            "--device", "/dev/zero:/dev/myzero", "bb", "sh", "-c",
            "(exec 3</dev/granted) && echo read-open; (exec 4>/dev/granted) 2>/dev/null && echo write-open || echo write-refused; " +
            "head -c 2 /dev/myzero | od -An -tx1");
        Assert.True(code == 0, stderr);
        Assert.Equal("read-open\nwrite-refused\n 00 00\n", stdout);
        var refused = await bb.CliAsync("run", "--rm", "--device", "/etc/hostname", "bb", "true");
        Assert.Equal((125, "Error: error gathering device information while adding custom device \"/etc/hostname\": not a device node\n"),
            (refused.ExitCode, refused.Stderr));
    }

    [Fact]
    public async Task A_directory_given_to_device_brings_every_node_beneath_it()
    {
        using var dir = new Support.TempDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, "sub"));
        foreach (var (name, minor) in new[] { ("zero", "5"), ("sub/null", "3") })
        {
            using var mknod = System.Diagnostics.Process.Start("mknod", ["-m", "666", Path.Combine(dir.Path, name), "c", "1", minor])!;
            mknod.WaitForExit();
            Assert.Equal(0, mknod.ExitCode);
        }
        File.WriteAllText(Path.Combine(dir.Path, "notes"), "not a device");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "link"), "/dev/zero"); // symlinks in the directory are skipped, as moby's walk does
        var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "--device", dir.Path + ":/dev/mine", "bb", "sh", "-c",
            "find /dev/mine | sort; head -c 2 /dev/mine/zero | od -An -tx1; echo x > /dev/mine/sub/null && echo written");
        Assert.True(code == 0, stderr);
        Assert.Equal("/dev/mine\n/dev/mine/sub\n/dev/mine/sub/null\n/dev/mine/zero\n 00 00\nwritten\n", stdout);
        // inspect keeps the mapping as given, the directory; its nodes are found at every start.
        string id = (await bb.OkAsync("create", "--device", dir.Path + ":/dev/mine", "bb", "true")).Trim();
        Assert.Equal($"[{{\"PathOnHost\":\"{dir.Path}\",\"PathInContainer\":\"/dev/mine\",\"CgroupPermissions\":\"rwm\"}}]",
            (await bb.OkAsync("inspect", "-f", "{{json .HostConfig.Devices}}", id)).Trim());
        await bb.OkAsync("rm", id);

        using var empty = new Support.TempDirectory();
        var refused = await bb.CliAsync("create", "--device", empty.Path, "bb", "true");
        Assert.Equal((125, $"Error: error gathering device information while adding custom device \"{empty.Path}\": not a device node\n"), (refused.ExitCode, refused.Stderr));
    }

    [Fact]
    public async Task A_device_cgroup_rule_lets_the_container_open_a_host_node_bound_into_it()
    {
        string device = new[] { "/dev/fuse", "/dev/loop-control" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("neither /dev/fuse nor /dev/loop-control exists on this host");
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%t", device]) { RedirectStandardOutput = true })!;
        int major = Convert.ToInt32(stat.StandardOutput.ReadToEnd().Trim(), 16);
        stat.WaitForExit();
        // The node reaches the container by a bind mount (as with -v /dev:/dev); opening it is up to the devices cgroup.
        // (Nodes made in the container's own file system cannot be opened at all: it is mounted nodev, as Podman's is.)
        const string script = "(exec 3</dev/granted) 2>/dev/null && echo open || echo refused";
        var without = await bb.CliAsync("run", "--rm", "--network", "none", "-v", device + ":/dev/granted", "bb", "sh", "-c", script);
        Assert.Equal("refused\n", without.Stdout);
        var with = await bb.CliAsync("run", "--rm", "--network", "none", "-v", device + ":/dev/granted", "--device-cgroup-rule", $"c {major}:* r", "bb", "sh", "-c", script);
        Assert.True(with.ExitCode == 0, with.Stderr);
        Assert.Equal("open\n", with.Stdout);
        var bad = await bb.CliAsync("create", "--device-cgroup-rule", "c 1:3", "bb", "true");
        Assert.Equal((125, "Error: invalid device cgroup format 'c 1:3'\n"), (bad.ExitCode, bad.Stderr));
    }

    [Fact]
    public async Task Oom_kill_disable_reaches_the_memory_cgroup_where_the_kernel_has_the_switch()
    {
        string id = (await bb.OkAsync("run", "-d", "--network", "none", "-m", "64m", "--oom-kill-disable", "bb", "sleep", "30")).Trim();
        try
        {
            bool v1Memory = Berth.Engine.Runtime.CgroupLayout.Mode != Berth.Engine.Runtime.CgroupMode.Unified;
            // Docker discards it on cgroup v2, which has no such switch.
            Assert.Equal(v1Memory ? "true" : "false", (await bb.OkAsync("inspect", "-f", "{{.HostConfig.OomKillDisable}}", id)).Trim());
            if (v1Memory)
                Assert.Contains("oom_kill_disable 1", File.ReadAllText($"/sys/fs/cgroup/memory/berth/{id}/memory.oom_control"));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", id);
        }
        var warned = await bb.CliAsync("create", "--oom-kill-disable", "bb", "true");
        Assert.StartsWith("WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may be dangerous.\n", warned.Stderr);
        await bb.OkAsync("rm", warned.Stdout.Trim());
    }

    /// <summary>
    /// A whole disk of this host (block I/O limits take disks, not partitions) with something on it: the first that is no
    /// loop or RAM device, else a loop device.
    /// </summary>
    static (string Path, string Numbers) WholeDisk()
    {
        static bool HasMedia(string name) => File.Exists("/dev/" + name) && long.TryParse(File.ReadAllText($"/sys/block/{name}/size").Trim(), out long sectors) && sectors > 0;
        var disks = Directory.GetDirectories("/sys/block").Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList();
        string name = disks.FirstOrDefault(d => !d.StartsWith("loop", StringComparison.Ordinal) && !d.StartsWith("ram", StringComparison.Ordinal) && HasMedia(d))
            ?? disks.FirstOrDefault(d => d.StartsWith("loop", StringComparison.Ordinal) && File.Exists("/dev/" + d))
            ?? throw new InvalidOperationException("this host has no block device under /sys/block");
        return ("/dev/" + name, File.ReadAllText($"/sys/block/{name}/dev").Trim());
    }

    [Fact]
    public async Task Block_io_limits_reach_the_containers_cgroup_and_inspect_and_what_the_kernel_lacks_is_discarded_with_dockers_warning()
    {
        var support = Berth.Engine.Runtime.BlockIoSupport.Host;
        Assert.True(support.ReadBps && support.WriteIops, "this host's cgroups cannot limit block I/O (no blkio throttle files, or no io controller)");
        var (disk, numbers) = WholeDisk();
        string id = (await bb.OkAsync("run", "-d", "--network", "none", "--device-read-bps", disk + ":1mb", "--device-write-iops", disk + ":100", "bb", "sleep", "30")).Trim();
        try
        {
            Assert.Equal($"[{{\"Path\":\"{disk}\",\"Rate\":1048576}}] [] [{{\"Path\":\"{disk}\",\"Rate\":100}}] [] 0", (await bb.OkAsync("inspect", "-f",
                "{{json .HostConfig.BlkioDeviceReadBps}} {{json .HostConfig.BlkioDeviceWriteBps}} {{json .HostConfig.BlkioDeviceWriteIOps}} {{json .HostConfig.BlkioWeightDevice}} {{.HostConfig.BlkioWeight}}", id)).Trim());
            if (Berth.Engine.Runtime.CgroupLayout.Mode == Berth.Engine.Runtime.CgroupMode.Unified)
                Assert.Contains($"{numbers} rbps=1048576 wbps=max riops=max wiops=100", File.ReadAllText($"/sys/fs/cgroup/berth/{id}/io.max"));
            else
            {
                Assert.Equal($"{numbers} 1048576\n", File.ReadAllText($"/sys/fs/cgroup/blkio/berth/{id}/blkio.throttle.read_bps_device"));
                Assert.Equal($"{numbers} 100\n", File.ReadAllText($"/sys/fs/cgroup/blkio/berth/{id}/blkio.throttle.write_iops_device"));
            }
        }
        finally
        {
            await bb.CliAsync("rm", "-f", id);
        }

        // A weight: kept where the kernel can weigh I/O (a v1 blkio.weight file needs the CFQ or BFQ scheduler), else
        // discarded with the Docker daemon's warning, out-of-range values too (Docker discards before it checks the range).
        var weighted = await bb.CliAsync("create", "--blkio-weight", support.Weight ? "300" : "5", "bb", "true");
        Assert.True(weighted.ExitCode == 0, weighted.Stderr);
        string created = weighted.Stdout.Trim();
        const string weightWarning = "WARNING: Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.\n";
        Assert.Equal(support.Weight ? "" : weightWarning, weighted.Stderr);
        Assert.Equal(support.Weight ? "300" : "0", (await bb.OkAsync("inspect", "-f", "{{.HostConfig.BlkioWeight}}", created)).Trim());
        if (support.Weight) // the runtime applies it too
        {
            var applied = await bb.CliAsync("start", "-a", created);
            Assert.True(applied.ExitCode == 0, applied.Stderr);
        }
        var updated = await bb.CliAsync("update", "--blkio-weight", "400", created);
        Assert.Equal(created + "\n" + (support.Weight ? "" : weightWarning[9..]), updated.Stdout);
        Assert.Equal(support.Weight ? "400" : "0", (await bb.OkAsync("inspect", "-f", "{{.HostConfig.BlkioWeight}}", created)).Trim());
        await bb.OkAsync("rm", created);
        if (support.Weight)
        {
            var range = await bb.CliAsync("create", "--blkio-weight", "5", "bb", "true");
            Assert.Equal((125, "Error: Range of blkio weight is from 10 to 1000\n"), (range.ExitCode, range.Stderr));
        }

        // Bad values fail the create and leave no container behind.
        string before = await bb.OkAsync("ps", "-aq");
        foreach (var (args, error) in new[]
        {
            (new[] { "--device-read-bps", "/dev/nosuchdisk:1mb" }, "stat /dev/nosuchdisk: no such file or directory"),
            (new[] { "--device-write-bps", "/dev/null:1mb" }, "/dev/null is not a block device"),
            (new[] { "--device-read-iops", disk + ":1k" }, $"invalid argument \"{disk}:1k\" for \"--device-read-iops\" flag: invalid rate for device: {disk}:1k. The correct format is <device-path>:<number>. Number must be a positive integer"),
            (new[] { "--blkio-weight-device", "sda:300" }, "invalid argument \"sda:300\" for \"--blkio-weight-device\" flag: bad format for device path: sda:300"),
        })
        {
            var refused = await bb.CliAsync(["create", .. args, "bb", "true"]);
            Assert.Equal((125, $"Error: {error}\n"), (refused.ExitCode, refused.Stderr));
        }
        Assert.Equal(before, await bb.OkAsync("ps", "-aq"));
    }

    [Fact]
    public async Task Update_changes_a_running_containers_limits_now_and_a_stopped_ones_for_its_next_start()
    {
        string running = (await bb.OkAsync("run", "-d", "--network", "none", "bb", "sleep", "30")).Trim();
        string stopped = (await bb.OkAsync("create", "--network", "none", "bb", "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max")).Trim();
        try
        {
            Assert.Equal(running + "\n", await bb.OkAsync("update", "-m", "64m", "--memory-reservation", "32m", "--pids-limit", "50", "--restart", "on-failure:3", running));
            string limits = await bb.OkAsync("exec", running, "sh", "-c",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max");
            Assert.Equal($"{64 * 1024 * 1024}\n50\n", limits);
            Assert.Equal("67108864 33554432 50 on-failure:3", (await bb.OkAsync("inspect", "--format",
                "{{.HostConfig.Memory}} {{.HostConfig.MemoryReservation}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", running)).Trim());

            await bb.OkAsync("update", "--pids-limit", "42", stopped);
            Assert.Equal("42\n", await bb.OkAsync("start", "-a", stopped));

            var none = await bb.CliAsync("update", running);
            Assert.Equal((1, "Error: you must provide one or more flags when using this command\n"), (none.ExitCode, none.Stderr));
            var swap = await bb.CliAsync("update", "--memory-swap", "1m", running);
            Assert.Equal((1, "Error: Minimum memoryswap limit should be larger than memory limit, see usage\n"), (swap.ExitCode, swap.Stderr));
            Assert.Equal("67108864 0", (await bb.OkAsync("inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}", running)).Trim());
        }
        finally
        {
            await bb.CliAsync("rm", "-f", running, stopped);
        }
    }

    [Fact]
    public async Task On_failure_restarts_a_failing_container_up_to_its_maximum()
    {
        string id = (await bb.OkAsync("run", "-d", "--network", "none", "--restart", "on-failure:2", "bb", "sh", "-c", "exit 3")).Trim();
        try
        {
            // Three runs: the first and two restarts, 100 and 200 ms apart after each ended.
            await WaitUntilAsync(async () => await StateAsync(id) == "exited 2 3", TimeSpan.FromSeconds(30));
            await Task.Delay(1500);
            Assert.Equal("exited 2 3", await StateAsync(id));
            Assert.Equal("on-failure 2", (await bb.OkAsync("inspect", "--format", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", id)).Trim());
        }
        finally
        {
            await bb.CliAsync("rm", "-f", id);
        }
    }

    [Fact]
    public async Task Always_restarts_until_a_user_stops_the_container_and_again_after_a_start()
    {
        string id = (await bb.OkAsync("run", "-d", "--network", "none", "--restart", "always", "bb", "sh", "-c", "sleep 0.2")).Trim();
        try
        {
            await WaitUntilAsync(async () => RestartCount(await StateAsync(id)) >= 2, TimeSpan.FromSeconds(30), () => DiagnosisAsync(id));
            await bb.OkAsync("stop", "-t", "1", id);
            string stopped = await StateAsync(id);
            await Task.Delay(2000);
            Assert.Equal(stopped, await StateAsync(id));
            Assert.StartsWith("exited ", stopped);
            await bb.OkAsync("start", id);
            int before = RestartCount(stopped);
            await WaitUntilAsync(async () => RestartCount(await StateAsync(id)) > before, TimeSpan.FromSeconds(30), () => DiagnosisAsync(id));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", id);
        }
    }

    async Task<string> StateAsync(string id) =>
        (await bb.OkAsync("inspect", "--format", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", id)).Trim();

    static int RestartCount(string state) => int.Parse(state.Split(' ')[1]);

    /// <summary>What a timed-out wait reports: the container's state, error and files.</summary>
    async Task<string> DiagnosisAsync(string id) =>
        (await bb.OkAsync("inspect", "--format", "{{.State.Status}} count {{.RestartCount}} exit {{.State.ExitCode}} error '{{.State.Error}}' started {{.State.StartedAt}} finished {{.State.FinishedAt}}", id)).Trim()
        + "; files: " + string.Join(' ', Directory.EnumerateFileSystemEntries(Path.Combine(bb.Store.Root, "containers", id)).Select(Path.GetFileName))
        + "; cleanup.log: " + (File.Exists(Path.Combine(bb.Store.Root, "containers", id, "cleanup.log")) ? File.ReadAllText(Path.Combine(bb.Store.Root, "containers", id, "cleanup.log")) : "none");

    static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<Task<string>>? diagnosis = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the container's state did not come within " + timeout + (diagnosis is null ? "" : ": " + await diagnosis()));
            await Task.Delay(100);
        }
    }

    [Theory]
    [InlineData(new[] { "--restart", "always" }, "Error: Conflicting options: --restart and --rm\n")]
    [InlineData(new[] { "--memory-swap", "128m" }, "Error: You should always set the Memory limit when using Memoryswap limit, see usage\n")]
    [InlineData(new[] { "--expose", "80:80" }, "Error: invalid argument \"80:80\" for \"--expose\" flag: a port to expose has no host side (use -p to publish)\n")]
    [InlineData(new[] { "--uts", "host", "-h", "x" }, "Error: conflicting options: hostname and the UTS mode\n")]
    [InlineData(new[] { "--ulimit", "nofile=x" }, "Error: invalid argument \"nofile=x\" for \"--ulimit\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n")]
    [InlineData(new[] { "--sysctl", "kernel.hostname=x" }, "Error: invalid argument \"kernel.hostname=x\" for \"--sysctl\" flag: sysctl 'kernel.hostname=x' is not allowed\n")]
    [InlineData(new[] { "--network", "host", "--sysctl", "net.ipv4.ip_forward=1" }, "Error: sysctl 'net.ipv4.ip_forward' is not allowed in host network mode\n")]
    [InlineData(new[] { "--add-host", "db:nowhere" }, "Error: invalid argument \"db:nowhere\" for \"--add-host\" flag: invalid IP address in add-host: \"nowhere\"\n")]
    [InlineData(new[] { "--cpuset-cpus", "0-4095" }, null)]
    public async Task Bad_values_are_refused_before_anything_is_made(string[] flags, string? expected)
    {
        int before = bb.Store.Engine.Containers.List().Count;
        var (code, _, stderr) = await bb.CliAsync(["run", "--rm", .. flags, "bb", "true"]);
        Assert.Equal(125, code);
        if (expected is not null) Assert.Equal(expected, stderr);
        else Assert.StartsWith("Error: Requested CPUs are not available - requested 0-4095, available: ", stderr);
        Assert.Equal(before, bb.Store.Engine.Containers.List().Count);
    }
}
