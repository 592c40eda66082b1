using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>How --ulimit, --cpuset-*, --shm-size and the host namespace modes reach the runtime spec.</summary>
public class OciSpecHostSettingsTests
{
    static readonly OciSpecBuilder Builder = new(swapAccounting: () => true);

    static RuntimeSpec Build(Func<ContainerRunSpec, ContainerRunSpec> configure) =>
        Builder.Build(configure(new ContainerRunSpec { RootfsPath = "/tmp/rootfs", Args = ["sh"], ContainerId = "abcdef0123456789" }));

    [Fact]
    public void Ulimits_become_rlimits_and_a_nofile_one_replaces_the_default()
    {
        var rlimits = Build(r => r with { Rlimits = [new OciRlimit("RLIMIT_NOFILE", 2048, 1024), new OciRlimit("RLIMIT_NPROC", 100, 50)] }).Process!.Rlimits!;
        Assert.Equal([new OciRlimit("RLIMIT_NOFILE", 2048, 1024), new OciRlimit("RLIMIT_NPROC", 100, 50)], rlimits);
        var defaults = Build(r => r with { Rlimits = [new OciRlimit("RLIMIT_CORE", 0, 0)] }).Process!.Rlimits!;
        Assert.Equal(["RLIMIT_NOFILE", "RLIMIT_CORE"], defaults.Select(l => l.Type));
    }

    [Fact]
    public void Host_namespaces_are_left_out_and_a_host_uts_namespace_gets_no_hostname()
    {
        var own = Build(r => r);
        Assert.Equal(["pid", "ipc", "uts", "mount", "network"], own.Linux!.Namespaces!.Select(n => n.Type));
        Assert.NotNull(own.Hostname);
        var shared = Build(r => r with { HostPid = true, HostIpc = true, HostUts = true });
        Assert.Equal(["mount", "network"], shared.Linux!.Namespaces!.Select(n => n.Type));
        Assert.Null(shared.Hostname);
    }

    [Fact]
    public void Dev_shm_is_a_tmpfs_of_the_size_asked_the_hosts_with_host_ipc_and_absent_with_none()
    {
        var sized = Build(r => r with { ShmSizeBytes = 3L * 1024 * 1024 * 1024 }).Mounts!.Single(m => m.Destination == "/dev/shm");
        Assert.Equal("tmpfs", sized.Type);
        Assert.Contains("size=3145728k", sized.Options!);
        var host = Build(r => r with { HostIpc = true }).Mounts!.Single(m => m.Destination == "/dev/shm");
        Assert.Equal(("bind", "/dev/shm"), (host.Type, host.Source));
        Assert.DoesNotContain(Build(r => r with { NoShm = true }).Mounts!, m => m.Destination == "/dev/shm");
    }

    [Fact]
    public void Cpu_shares_and_cpusets_reach_the_cpu_resources()
    {
        var cpu = Build(r => r with { CpuShares = 512, CpusetCpus = "0", CpusetMems = "0" }).Linux!.Resources!.Cpu!;
        Assert.Equal((512UL, "0", "0"), (cpu.Shares!.Value, cpu.Cpus, cpu.Mems));
        Assert.Null(Build(r => r).Linux!.Resources!.Cpu);
        using var json = System.Text.Json.JsonDocument.Parse(Build(r => r with { CpusetMems = "0" }).ToJson());
        Assert.Equal("0", json.RootElement.GetProperty("linux").GetProperty("resources").GetProperty("cpu").GetProperty("mems").GetString());
    }
    [Fact]
    public void Device_cgroup_rules_follow_the_default_ones_and_oom_kill_disable_reaches_the_memory_limits()
    {
        var rule = new OciDeviceRule(true, "c", 42, null, "rw");
        var spec = Build(r => r with { DeviceRules = [rule], DisableOomKiller = true });
        Assert.Equal(rule, spec.Linux!.Resources!.Devices!.Last());
        Assert.Equal(Build(r => r).Linux!.Resources!.Devices!.Count + 1, spec.Linux.Resources.Devices!.Count);
        Assert.True(spec.Linux.Resources.Memory!.DisableOomKiller);
        Assert.Contains("\"disableOOMKiller\": true", spec.Linux.Resources.ToJson().Replace("\":true", "\": true"));
        Assert.Null(Build(r => r).Linux!.Resources!.Memory);
    }

    [Fact]
    public void Block_io_settings_reach_the_resources_under_the_oci_names()
    {
        var blockIo = new OciBlockIo
        {
            Weight = 300,
            WeightDevice = [new OciWeightDevice(8, 0, 500)],
            ThrottleReadBpsDevice = [new OciThrottleDevice(8, 0, 1 << 20)],
            ThrottleWriteIopsDevice = [new OciThrottleDevice(254, 16, 100)],
        };
        var resources = Build(r => r with { BlockIo = blockIo }).Linux!.Resources!;
        Assert.Same(blockIo, resources.BlockIo);
        Assert.True(resources.HasLimits);
        using var json = System.Text.Json.JsonDocument.Parse(resources.ToJson());
        var written = json.RootElement.GetProperty("blockIO");
        Assert.Equal(300, written.GetProperty("weight").GetInt32());
        Assert.Equal(500, written.GetProperty("weightDevice")[0].GetProperty("weight").GetInt32());
        Assert.Equal(1 << 20, written.GetProperty("throttleReadBpsDevice")[0].GetProperty("rate").GetInt64());
        Assert.Equal(16, written.GetProperty("throttleWriteIOPSDevice")[0].GetProperty("minor").GetInt64());
        Assert.False(written.TryGetProperty("throttleReadIOPSDevice", out _));
        Assert.Null(Build(r => r).Linux!.Resources!.BlockIo);
    }
}
