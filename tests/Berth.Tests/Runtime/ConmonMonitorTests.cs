using System.Text;
using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>Containers run under conmon + runc: logs, exit files, attach, exec, terminals.</summary>
public class ConmonMonitorTests
{
    private static MonitorOptions Options(TestContainer c, bool terminal = false, bool stdin = false) => new()
    {
        ContainerId = c.Id,
        BundlePath = c.Bundle,
        LogPath = c.LogPath,
        ExitDir = c.ExitDir,
        Terminal = terminal,
        Stdin = stdin,
    };

    private static async Task<MonitoredContainer> CreateAndStart(TestContainer c, MonitorOptions options)
    {
        var created = await c.Monitor.CreateAsync(options);
        c.MonitorPids.Add(created.MonitorPid);
        await c.Runtime.StartAsync(c.Id);
        return created;
    }

    private static async Task<List<LogEntry>> Logs(TestContainer c, LogReadOptions? options = null)
    {
        var entries = new List<LogEntry>();
        await foreach (var e in ContainerLogReader.ReadAsync(c.LogPath, options)) entries.Add(e);
        return entries;
    }

    [Fact]
    public async Task Echo_hello_is_logged_and_the_exit_file_says_zero()
    {
        await using var c = new TestContainer();
        c.WriteSpec("sh", "-c", "echo hello; echo oops >&2");
        var created = await CreateAndStart(c, Options(c));
        Assert.True(created.Pid > 0);
        Assert.True(created.MonitorPid > 0);

        Assert.Equal(0, await c.Monitor.WaitForExitAsync(c.ExitDir, c.Id).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, ConmonMonitor.ReadExitCode(c.ExitDir, c.Id));
        string raw = File.ReadAllText(c.LogPath);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d stdout F hello\n", raw);
        var logs = await Logs(c);
        Assert.Contains(logs, e => e.Stream == "stdout" && e.Text == "hello\n");
        Assert.Contains(logs, e => e.Stream == "stderr" && e.Text == "oops\n");
        Assert.True(logs.All(e => Math.Abs((DateTimeOffset.Now - e.Time).TotalMinutes) < 5));
    }

    [Fact]
    public async Task Exit_code_three_is_written_to_the_exit_file_and_the_exit_command_runs()
    {
        await using var c = new TestContainer();
        c.WriteSpec("sh", "-c", "exit 3");
        string marker = Path.Combine(c.Dir, "cleaned-up");
        // Written aside and renamed: the marker appears with its content (a shell's `>` creates the file before it writes).
        await CreateAndStart(c, Options(c) with { ExitCommand = "/bin/sh", ExitCommandArgs = ["-c", $"echo $0 > {marker}.tmp && mv {marker}.tmp {marker}", "rm"] });
        Assert.Equal(3, await c.Monitor.WaitForExitAsync(c.ExitDir, c.Id).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await TestContainer.WaitUntil(() => File.Exists(marker), 5000), "conmon should run the exit command");
        Assert.Equal("rm", File.ReadAllText(marker).Trim());
    }

    [Fact]
    public async Task Sigkill_of_a_sleeping_container_is_reconciled_as_137()
    {
        await using var c = new TestContainer();
        c.WriteSpec("sleep", "1000");
        await CreateAndStart(c, Options(c));
        Assert.Null(ConmonMonitor.ReadExitCode(c.ExitDir, c.Id));
        Assert.Equal("running", (await c.Runtime.StateAsync(c.Id))!.Status);
        await c.Runtime.KillAsync(c.Id, "SIGKILL");
        Assert.Equal(137, await c.Monitor.WaitForExitAsync(c.ExitDir, c.Id).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("stopped", (await c.Runtime.StateAsync(c.Id))!.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_conmon_kept_as_our_child_gives_its_containers_exit_code_when_the_exit_file_is_gone(bool reapedFirst)
    {
        await using var c = new TestContainer();
        c.WriteSpec("sh", "-c", "exit 7");
        var created = await CreateAndStart(c, Options(c) with { WaitedForHere = true });
        Assert.Equal(7, await c.Monitor.WaitForExitAsync(c.ExitDir, c.Id).WaitAsync(TimeSpan.FromSeconds(10)));
        File.Delete(Path.Combine(c.ExitDir, c.Id)); // as a removal by another command takes it
        if (reapedFirst)
        {
            // Reaped by the next launch's sweep once it has ended: the code is kept for the one who asks.
            Assert.True(await TestContainer.WaitUntil(() => File.ReadAllText($"/proc/{created.MonitorPid}/stat").Split(") ")[1][0] == 'Z'), "conmon should end");
            ConmonMonitor.ReapEnded();
        }
        Assert.Equal(7, ConmonMonitor.ExitCodeOfChild(created.MonitorPid));
        Assert.Null(ConmonMonitor.ExitCodeOfChild(created.MonitorPid)); // given once, then forgotten
    }

    [Fact]
    public async Task Memory_and_pids_limits_are_in_the_cgroup_while_running()
    {
        await using var c = new TestContainer();
        // runc's init, a Go program, has five tasks in the container's cgroup before it executes sh, and may start a sixth
        // thread when it is slow to be scheduled (a full suite): a limit of 5 then killed init before start now and then.
        c.WriteSpec(r => r with { MemoryBytes = 64L << 20, PidsLimit = 10 }, "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do sleep 100 & done; wait");
        await CreateAndStart(c, Options(c));
        string cgroup = "/berth/" + c.Id;
        Assert.Equal("67108864", File.ReadAllText(CgroupLayout.ControllerPath("memory", cgroup) + "/memory.limit_in_bytes").Trim());
        Assert.Equal("10", File.ReadAllText(CgroupLayout.ControllerPath("pids", cgroup) + "/pids.max").Trim());
        Assert.True(await TestContainer.WaitUntil(() => File.ReadAllText(c.LogPath).Contains("can't fork", StringComparison.Ordinal), 5000),
            "the pids limit should make fork fail: " + File.ReadAllText(c.LogPath));
        Assert.True((await c.Runtime.PsAsync(c.Id)).Count <= 10);
    }

    [Fact]
    public async Task Failing_create_reports_the_runtimes_error()
    {
        await using var c = new TestContainer();
        c.WriteSpec("/bin/does-not-exist");
        var e = await Assert.ThrowsAsync<RuntimeException>(() => c.Monitor.CreateAsync(Options(c)));
        Assert.StartsWith($"runc create {c.Id}:", e.Message);
        Assert.Contains("does-not-exist", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    /// <summary>Processes whose command line names <paramref name="word"/> (conmon's and runc's carry the container ID).</summary>
    static List<int> ProcessesNaming(string word) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => int.TryParse(p, out _)).Where(p =>
        {
            try { return File.ReadAllText($"/proc/{p}/cmdline").Split('\0').Contains(word); }
            catch (IOException) { return false; }
        }).Select(p => int.Parse(p!)).ToList();

    static bool IsFifo(string path)
    {
        var stat = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%F", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(stat)!;
        string type = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return type == "fifo";
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task The_runtime_starts_before_the_bundle_is_ready_and_reads_the_spec_from_a_fifo(string runtime)
    {
        await using var c = new TestContainer(runtime);
        Assert.True(c.Runtime.ReadsSpecFromFifo);
        Assert.Equal(runtime == "crun", c.Runtime.SpecFifoNeedsEndOfFile);
        string mounted = Path.Combine(c.Dir, "mounted-rootfs");
        using var launched = c.Monitor.Launch(Options(c) with { WaitedForHere = true, RootfsMountPoint = mounted }, waitsForBundle: true);
        try
        {
            // Where the runtime makes a mount namespace of its own as it starts (crun's launcher), the root file system's mount
            // point is a shared mount first.
            Assert.Equal(c.Runtime.SeesLaterMountsOnlyByPropagation, MountTable.TopMountAt(mounted) is not null);
            // conmon went on at once: its create runs and waits on config.json, which is a FIFO until the bundle is ready.
            Assert.True(await TestContainer.WaitUntil(() => ProcessesNaming("create").Intersect(ProcessesNaming(c.Id)).Any()), "the runtime's create should be running");
            Assert.True(IsFifo(Path.Combine(c.Bundle, "config.json")));
            await Task.Delay(200); // long enough for the runtime (or crun's launcher) to open the FIFO and wait on it
            // The root filesystem is mounted while the bundle is made, after the runtime started (as `berth run` does): the
            // runtime must see it, also where crun runs in a mount namespace of its own (CgroupV1ViewLauncher).
            var created = await c.Monitor.CompleteAsync(launched, () =>
            {
                Directory.CreateDirectory(mounted);
                Mount("--bind", c.Rootfs, mounted);
                return c.WriteSpec(r => r with { RootfsPath = mounted }, "sh", "-c", "echo from-fifo");
            });
            c.MonitorPids.Add(created.MonitorPid);
            await c.Runtime.StartAsync(c.Id);
            Assert.Equal(0, await c.Monitor.WaitForExitAsync(c.ExitDir, c.Id).WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Contains(await Logs(c), e => e.Text == "from-fifo\n");
            Assert.False(IsFifo(Path.Combine(c.Bundle, "config.json")), "config.json should be a file again");
            Assert.Equal("sh", OciBundle.Read(c.Bundle).Process!.Args![0]);
        }
        finally
        {
            await c.Runtime.DeleteAsync(c.Id, force: true);
            SharedMountPoint.UnmountAll(mounted);
        }
        Assert.Null(MountTable.TopMountAt(mounted));
    }

    static void Mount(string option, string source, string target)
    {
        var info = new System.Diagnostics.ProcessStartInfo("mount") { RedirectStandardError = true };
        foreach (var a in new[] { option, source, target }) info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{info.FileName} {string.Join(' ', info.ArgumentList)}: {error}");
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task A_launch_given_up_before_its_bundle_leaves_no_process_socket_link_or_spec(string runtime)
    {
        await using var c = new TestContainer(runtime);
        string mountPoint = Path.Combine(c.Dir, "mounted-rootfs");
        var launched = c.Monitor.Launch(Options(c) with { WaitedForHere = true, RootfsMountPoint = mountPoint }, waitsForBundle: true);
        Assert.True(await TestContainer.WaitUntil(() => ProcessesNaming("create").Intersect(ProcessesNaming(c.Id)).Any()), "the runtime's create should be running");
        string link = c.Monitor.AttachSocketPath(c.Id)[..^"/attach".Length];
        Assert.True(await TestContainer.WaitUntil(() => new FileInfo(link).LinkTarget is not null), "conmon should have made its socket link");
        launched.Dispose();
        Assert.Empty(ProcessesNaming(c.Id));
        Assert.Null(new FileInfo(link).LinkTarget);
        Assert.False(File.Exists(Path.Combine(c.Bundle, "config.json")) || IsFifo(Path.Combine(c.Bundle, "config.json")));
        Assert.False(Directory.Exists(Path.Combine(c.Runtime.StateRoot, c.Id)));
        Assert.Null(MountTable.TopMountAt(mountPoint)); // a shared mount point made for the launch goes with it
    }

    /// <param name="onCallingThread">Copied by <see cref="ConmonAttach.Pump"/> (blocking its thread until conmon closes the
    /// socket, so the container is started from another) rather than <see cref="ConmonAttach.PumpAsync"/>.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Attach_streams_stdout_and_stderr_from_the_start(bool onCallingThread)
    {
        await using var c = new TestContainer();
        c.WriteSpec("sh", "-c", "echo one; echo two >&2; sleep 0.2; echo three");
        var created = await c.Monitor.CreateAsync(Options(c));
        c.MonitorPids.Add(created.MonitorPid);
        await using var attach = await c.Monitor.AttachAsync(created.AttachSocketPath);
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var streams = new AttachStreams(Stdout: stdout, Stderr: stderr);
        var pump = onCallingThread ? Task.Factory.StartNew(() => attach.Pump(streams), TaskCreationOptions.LongRunning) : attach.PumpAsync(streams);
        await c.Runtime.StartAsync(c.Id);
        await pump.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("one\nthree\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("two\n", Encoding.UTF8.GetString(stderr.ToArray()));
        Assert.Equal(0, await c.Monitor.WaitForExitAsync(c.ExitDir, c.Id).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Cancelling_Pump_detaches_at_once_and_leaves_the_container_running()
    {
        await using var c = new TestContainer();
        c.WriteSpec("sh", "-c", "echo started; sleep 1000");
        var created = await c.Monitor.CreateAsync(Options(c));
        c.MonitorPids.Add(created.MonitorPid);
        await using var attach = await c.Monitor.AttachAsync(created.AttachSocketPath);
        var stdout = new MemoryStream();
        using var cancel = new CancellationTokenSource();
        var pump = Task.Factory.StartNew(() => attach.Pump(new AttachStreams(Stdout: stdout), cancel.Token), TaskCreationOptions.LongRunning);
        await c.Runtime.StartAsync(c.Id);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (stdout.Length == 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pump.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("started\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.True(NativeProcess.IsRunning(created.Pid));
    }

    [Fact]
    public async Task Attached_stdin_reaches_the_container_and_eof_closes_it()
    {
        await using var c = new TestContainer();
        c.WriteSpec("sh", "-c", "cat; echo done");
        var created = await c.Monitor.CreateAsync(Options(c, stdin: true));
        c.MonitorPids.Add(created.MonitorPid);
        await using var attach = await c.Monitor.AttachAsync(created.AttachSocketPath);
        var stdout = new MemoryStream();
        var pump = attach.PumpAsync(new AttachStreams(Stdin: new MemoryStream("ping\n"u8.ToArray()), Stdout: stdout));
        await c.Runtime.StartAsync(c.Id);
        await pump.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("ping\ndone\n", Encoding.UTF8.GetString(stdout.ToArray()));
    }

    [Fact]
    public async Task Terminal_session_gets_dev_pts_0_and_can_be_resized()
    {
        await using var c = new TestContainer();
        c.WriteSpec(r => r with { Terminal = true }, "sh", "-c", "tty; sleep 0.5; stty size");
        var created = await c.Monitor.CreateAsync(Options(c, terminal: true));
        c.MonitorPids.Add(created.MonitorPid);
        await using var attach = await c.Monitor.AttachAsync(created.AttachSocketPath);
        var stdout = new MemoryStream();
        var pump = attach.PumpAsync(new AttachStreams(Stdout: stdout));
        await c.Runtime.StartAsync(c.Id);
        await c.Monitor.ResizeAsync(created.ControlPath, 33, 101);
        await pump.WaitAsync(TimeSpan.FromSeconds(10));
        string output = Encoding.UTF8.GetString(stdout.ToArray());
        Assert.Contains("/dev/pts/0\r\n", output);
        Assert.Contains("33 101", output);
        Assert.Equal(0, await c.Monitor.WaitForExitAsync(c.ExitDir, c.Id).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Exec_runs_in_the_running_container_with_output_and_exit_code()
    {
        await using var c = new TestContainer();
        var spec = c.WriteSpec("sleep", "1000");
        await CreateAndStart(c, Options(c));

        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var result = await c.Monitor.ExecAsync(new ExecOptions
        {
            ContainerId = c.Id,
            BundlePath = c.Bundle,
            Process = OciSpecBuilder.BuildExecProcess(spec, ["sh", "-c", "echo hi; echo err >&2; exit 5"]),
        }, new AttachStreams(Stdout: stdout, Stderr: stderr)).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(5, result.ExitCode);
        Assert.Equal("hi\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("err\n", Encoding.UTF8.GetString(stderr.ToArray()));
        Assert.Contains("stdout F hi", File.ReadAllText(Path.Combine(result.SessionDir, "exec_log")));

        var ps = await c.Runtime.PsAsync(c.Id);
        Assert.Single(ps);
    }

    [Fact]
    public async Task Detached_exec_returns_at_once_and_leaves_an_exit_file()
    {
        await using var c = new TestContainer();
        var spec = c.WriteSpec("sleep", "1000");
        await CreateAndStart(c, Options(c));

        var result = await c.Monitor.ExecAsync(new ExecOptions
        {
            ContainerId = c.Id,
            BundlePath = c.Bundle,
            Detach = true,
            Process = OciSpecBuilder.BuildExecProcess(spec, ["sh", "-c", "sleep 0.3; exit 7"]),
        }).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Null(result.ExitCode);
        Assert.True(result.Pid > 0);
        Assert.Contains(result.Pid, await c.Runtime.PsAsync(c.Id));
        Assert.Equal(7, await c.Monitor.WaitForExitAsync(Path.Combine(result.SessionDir, "exit"), c.Id).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Logs_support_tail_since_and_follow()
    {
        await using var c = new TestContainer();
        c.WriteSpec("sh", "-c", "echo a; echo b; echo c; sleep 0.5; echo d");
        await CreateAndStart(c, Options(c));
        var followed = new List<string>();
        await foreach (var e in ContainerLogReader.ReadAsync(c.LogPath, new LogReadOptions
        {
            Follow = true,
            StopFollowing = () => ConmonMonitor.ReadExitCode(c.ExitDir, c.Id) is not null,
            PollInterval = TimeSpan.FromMilliseconds(20),
        }).WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token))
            followed.Add(e.Text);
        Assert.Equal(["a\n", "b\n", "c\n", "d\n"], followed);

        Assert.Equal(["c\n", "d\n"], (await Logs(c, new LogReadOptions { Tail = 2 })).Select(e => e.Text));
        Assert.Empty(await Logs(c, new LogReadOptions { Tail = 0 }));
        var all = await Logs(c);
        Assert.Equal(["d\n"], (await Logs(c, new LogReadOptions { Since = all[3].Time })).Select(e => e.Text));
    }
}

public class ContainerLogReaderTests
{
    [Fact]
    public async Task Partial_lines_are_joined_and_a_trailing_piece_is_kept_without_newline()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path,
                "2024-05-01T10:00:00.123456789+02:00 stdout P abc\n" +
                "2024-05-01T10:00:00.223456789+02:00 stderr F warn\n" +
                "2024-05-01T10:00:00.323456789+02:00 stdout F def\n" +
                "2024-05-01T10:00:01.000000000+02:00 stdout F \n" +
                "2024-05-01T10:00:02.000000000+02:00 stdout P tail\n");
            var entries = new List<LogEntry>();
            await foreach (var e in ContainerLogReader.ReadAsync(path)) entries.Add(e);
            Assert.Equal(["warn\n", "abcdef\n", "\n", "tail"], entries.Select(e => e.Text));
            Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.FromHours(2)).AddTicks(1234567), entries[1].Time);
            Assert.Equal("stderr", entries[0].Stream);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Times_round_trip_in_conmons_format()
    {
        var t = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(-5)).AddTicks(42);
        string s = ContainerLogReader.FormatTime(t);
        Assert.Equal("2025-01-02T03:04:05.000004200-05:00", s);
        Assert.True(ContainerLogReader.TryParseTime(s, out var back));
        Assert.Equal(t, back);
        Assert.False(ContainerLogReader.TryParseLine("garbage", out _, out _, out _, out _));
    }
}
