using Berth.Engine;
using Berth.Engine.Containers.Processes;
using Berth.Engine.Containers.Stats;
using Berth.Engine.Runtime;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerTools;

/// <summary>stats figures from cgroup v1 (this machine, for real) and v2 (a fake tree), Docker's CPU % formula, and top.</summary>
public class StatsAndTopTests
{
    private static List<string> CommandLines(IEnumerable<int> pids) =>
        pids.Select(p => { try { return File.ReadAllText($"/proc/{p}/cmdline"); } catch (IOException) { return ""; } }).ToList();

    private static async Task<int> StartSleeper(TestContainer c, Func<ContainerRunSpec, ContainerRunSpec>? configure = null)
    {
        c.WriteSpec(r => (configure ?? (x => x))(r with { Network = NetworkMode.Private }),
            "sh", "-c", "head -c 4194304 /dev/zero > /tmp/blob; sleep 1000 & sleep 1001 & wait");
        var created = await c.Monitor.CreateAsync(new MonitorOptions { ContainerId = c.Id, BundlePath = c.Bundle, LogPath = c.LogPath, ExitDir = c.ExitDir });
        c.MonitorPids.Add(created.MonitorPid);
        await c.Runtime.StartAsync(c.Id);
        // Both sleeps exec'd (a forked child still shows the shell's command line until its exec).
        Assert.True(await TestContainer.WaitUntil(() => CommandLines(ContainerTop.PidsInCgroup("/berth/" + c.Id)) is var lines
            && lines.Contains("sleep\01000\0") && lines.Contains("sleep\01001\0")), "the container's sleeps did not start");
        return created.Pid;
    }

    [Fact]
    public async Task A_running_container_has_memory_cpu_pids_and_no_network_traffic()
    {
        await using var c = new TestContainer();
        int pid = await StartSleeper(c, r => r with { MemoryBytes = 64L << 20 });
        var reader = CgroupStatsReader.Host;
        Assert.Equal("/berth/" + c.Id, reader.CgroupsPathOf(pid));
        var first = reader.Read("/berth/" + c.Id, pid);
        Assert.True(first.MemoryUsage > 0, "memory usage should be non-zero");
        Assert.True(first.MemoryUsed > 0 && first.MemoryUsed <= first.MemoryUsage);
        Assert.Equal(64UL << 20, first.MemoryLimit);
        Assert.InRange(first.MemoryPercent, 0.0001, 100);
        Assert.True(first.CpuTotalUsageNs > 0, "cpu usage should be non-zero");
        Assert.True(first.SystemCpuUsageNs > first.CpuTotalUsageNs);
        Assert.Equal((uint)Environment.ProcessorCount, first.OnlineCpus);
        Assert.Equal(3UL, first.PidsCurrent); // sh and two sleeps
        Assert.Contains("lo", first.Networks.Keys);
        Assert.Equal((0UL, 0UL), (first.NetworkRxBytes, first.NetworkTxBytes)); // loopback only: 0B / 0B, as Docker shows
        var second = reader.Read("/berth/" + c.Id, pid);
        Assert.True(second.SystemCpuUsageNs >= first.SystemCpuUsageNs);
        Assert.InRange(StatsCalculator.CpuPercent(first, second), 0.0, 100.0 * second.OnlineCpus);
    }

    [Fact]
    public async Task Top_lists_the_containers_processes_only()
    {
        await using var c = new TestContainer();
        int pid = await StartSleeper(c);
        var pids = ContainerTop.PidsInCgroup("/berth/" + c.Id);
        Assert.Contains(pid, pids);

        var top = await ContainerTop.RunAsync(pids);
        Assert.Equal(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], top.Titles);
        Assert.Equal(3, top.Processes.Count);
        Assert.Contains(top.Processes, p => p[7] == "sleep 1000");
        Assert.Contains(top.Processes, p => p[7] == "sleep 1001");
        Assert.All(top.Processes, p => Assert.Contains(int.Parse(p[1]), pids));
        Assert.DoesNotContain(top.Processes, p => p[1] == Environment.ProcessId.ToString());

        var aux = await ContainerTop.RunAsync(pids, "aux");
        Assert.Equal("USER", aux.Titles[0]);
        Assert.Equal(3, aux.Processes.Count);

        var narrow = await ContainerTop.RunAsync(pids, "-o pid,comm");
        Assert.Equal(["PID", "COMMAND"], narrow.Titles);

        var hidden = await Assert.ThrowsAsync<InvalidInputException>(() => ContainerTop.RunAsync(pids, "-o comm"));
        Assert.Equal("Couldn't find PID field in ps output", hidden.Message);
        var renamed = await Assert.ThrowsAsync<InvalidInputException>(() => ContainerTop.RunAsync(pids, "-o pid -o user=PIDX"));
        Assert.Equal("specifying \"user=PIDX\" is not allowed", renamed.Message);
        var bad = await Assert.ThrowsAsync<BerthException>(() => ContainerTop.RunAsync(pids, "--no-such-option"));
        Assert.StartsWith("ps: ", bad.Message);
    }

    [Fact]
    public void Ps_output_parsing_follows_docker()
    {
        string output = "UID PID PPID CMD\nroot 10 1 sh -c sleep 5\nroot - - -\nroot 11 10 sleep 5\nroot 99 1 other\nroot - - -\n";
        var top = ContainerTop.ParsePsOutput(output, [10, 11]);
        Assert.Equal(["UID", "PID", "PPID", "CMD"], top.Titles);
        Assert.Equal(3, top.Processes.Count);
        Assert.Equal(["root", "10", "1", "sh -c sleep 5"], top.Processes[0]);
        Assert.Equal(["root", "-", "-", "-"], top.Processes[1]); // a thread row after a contained process
        Assert.Equal("11", top.Processes[2][1]);
        ContainerTop.ValidatePsArgs("-o pid=PID");
    }

    [Fact]
    public void Cgroup_v2_figures_are_read_from_the_unified_files()
    {
        using var dir = new TempDirectory();
        string cg = dir.Combine("cgroup", "berth", "abc");
        Directory.CreateDirectory(cg);
        File.WriteAllText(Path.Combine(cg, "cpu.stat"), "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
        File.WriteAllText(Path.Combine(cg, "memory.current"), "10000\n");
        File.WriteAllText(Path.Combine(cg, "memory.stat"), "anon 5000\nfile 5000\ninactive_file 4000\nactive_file 1000\n");
        File.WriteAllText(Path.Combine(cg, "memory.max"), "max\n");
        File.WriteAllText(Path.Combine(cg, "io.stat"), "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2\n");
        File.WriteAllText(Path.Combine(cg, "pids.current"), "3\n");
        string proc = FakeProc(dir, 42);
        var sample = new CgroupStatsReader(CgroupMode.Unified, dir.Combine("cgroup"), proc).Read("/berth/abc", 42);
        Assert.Equal(1_500_000UL, sample.CpuTotalUsageNs);
        Assert.Equal((100UL + 0 + 50 + 1000 + 10 + 1 + 2 + 3) * 10_000_000UL, sample.SystemCpuUsageNs);
        Assert.Equal(2U, sample.OnlineCpus);
        Assert.Equal(6000UL, sample.MemoryUsed);
        Assert.Equal(2048UL * 1024, sample.MemoryLimit); // unlimited: the host's total
        Assert.Equal((101UL, 202UL), (sample.BlockReadBytes, sample.BlockWriteBytes));
        Assert.Equal(3UL, sample.PidsCurrent);
        Assert.Equal((1000UL, 2000UL), (sample.NetworkRxBytes, sample.NetworkTxBytes)); // eth0 only, lo excluded
        Assert.Equal((77UL, 77UL), sample.Networks["lo"]);
    }

    [Fact]
    public void Cgroup_v1_figures_use_total_inactive_file_and_throttle_blkio()
    {
        using var dir = new TempDirectory();
        string root = dir.Combine("cgroup");
        void Write(string controller, string file, string text)
        {
            string d = Path.Combine(root, controller, "berth/abc");
            Directory.CreateDirectory(d);
            File.WriteAllText(Path.Combine(d, file), text);
        }
        Write("cpuacct", "cpuacct.usage", "123456789\n");
        Write("memory", "memory.usage_in_bytes", "50000\n");
        Write("memory", "memory.stat", "cache 30000\ninactive_file 1\ntotal_inactive_file 20000\n");
        Write("memory", "memory.limit_in_bytes", "9223372036854771712\n");
        Write("blkio", "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 1\n8:0 Async 2\n8:0 Total 12288\nTotal 12288\n");
        Write("pids", "pids.current", "2\n");
        var sample = new CgroupStatsReader(CgroupMode.Hybrid, root, FakeProc(dir, 7)).Read("berth/abc", null);
        Assert.Equal(123456789UL, sample.CpuTotalUsageNs);
        Assert.Equal(30000UL, sample.MemoryUsed);
        Assert.Equal(2048UL * 1024, sample.MemoryLimit);
        Assert.Equal((4096UL, 8192UL), (sample.BlockReadBytes, sample.BlockWriteBytes));
        Assert.Equal(2UL, sample.PidsCurrent);
        Assert.Equal((0UL, 0UL), (sample.NetworkRxBytes, sample.NetworkTxBytes)); // not running: no namespace to read
    }

    [Theory]
    [InlineData(100UL, 1000UL, 300UL, 2000UL, 2U, 40.0)]   // 200/1000 × 2 CPUs × 100
    [InlineData(100UL, 1000UL, 100UL, 2000UL, 2U, 0.0)]    // no container CPU used
    [InlineData(100UL, 1000UL, 300UL, 1000UL, 2U, 0.0)]    // no system delta
    [InlineData(300UL, 1000UL, 100UL, 2000UL, 4U, 0.0)]    // counter went backwards (restart)
    public void Cpu_percent_is_dockers_formula(ulong prevCpu, ulong prevSys, ulong cpu, ulong sys, uint cpus, double expected)
    {
        Assert.Equal(expected, StatsCalculator.CpuPercent(prevCpu, prevSys, cpu, sys, cpus), 6);
        Assert.Equal("40.00%", StatsCalculator.FormatPercent(40));
    }

    private static string FakeProc(TempDirectory dir, int pid)
    {
        string proc = dir.Combine("proc");
        Directory.CreateDirectory(Path.Combine(proc, pid.ToString(), "net"));
        File.WriteAllText(Path.Combine(proc, "stat"),
            "cpu  100 0 50 1000 10 1 2 3 0 0\ncpu0 50 0 25 500 5 0 1 1 0 0\ncpu1 50 0 25 500 5 1 1 2 0 0\nintr 1\nctxt 2\n");
        File.WriteAllText(Path.Combine(proc, "meminfo"), "MemTotal:        2048 kB\nMemFree: 1 kB\n");
        File.WriteAllText(Path.Combine(proc, pid.ToString(), "net", "dev"),
            "Inter-|   Receive                                                |  Transmit\n" +
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
            "    lo:      77       1    0    0    0     0          0         0       77       1    0    0    0     0       0          0\n" +
            "  eth0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0\n");
        return proc;
    }
}
