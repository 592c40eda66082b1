using System.Text.Json;
using Berth.Engine;
using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

public class OciSpecBuilderTests
{
    private static readonly OciSpecBuilder Builder = new(swapAccounting: () => true);

    private static ContainerRunSpec Run(Func<ContainerRunSpec, ContainerRunSpec>? configure = null)
    {
        var run = new ContainerRunSpec { RootfsPath = "/tmp/rootfs", Args = ["sh"], ContainerId = "abcdef0123456789" };
        return configure is null ? run : configure(run);
    }

    [Fact]
    public void Default_capabilities_are_dockers_fourteen_in_bounding_effective_and_permitted_only()
    {
        var caps = Builder.Build(Run()).Process!.Capabilities!;
        Assert.Equal(14, caps.Bounding!.Count);
        Assert.Equal(caps.Bounding, caps.Effective);
        Assert.Equal(caps.Bounding, caps.Permitted);
        Assert.Null(caps.Inheritable);
        Assert.Null(caps.Ambient);
        Assert.Equal(0xa80425fbUL, Capabilities.Mask(caps.Bounding));
    }

    [Fact]
    public void Cap_add_and_drop_follow_dockers_rules()
    {
        Assert.Contains("CAP_NET_ADMIN", Capabilities.Resolve(["net_admin"], []));
        Assert.DoesNotContain("CAP_CHOWN", Capabilities.Resolve([], ["CHOWN"]));
        Assert.Equal(["CAP_KILL"], Capabilities.Resolve(["KILL"], ["ALL"]));
        var all = Capabilities.Resolve(["ALL"], ["CAP_SYS_ADMIN"]);
        Assert.DoesNotContain("CAP_SYS_ADMIN", all);
        Assert.Contains("CAP_SYS_PTRACE", all);
        Assert.Contains("CAP_CHOWN", Capabilities.Resolve(["CHOWN"], ["CHOWN"]));
        Assert.Throws<InvalidInputException>(() => Capabilities.Resolve(["CAP_BOGUS"], []));
    }

    [Fact]
    public void Default_mounts_masks_and_readonly_paths_match_docker()
    {
        var spec = Builder.Build(Run());
        var destinations = spec.Mounts!.Select(m => m.Destination).ToList();
        Assert.Equal(["/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"], destinations);
        Assert.Contains("size=65536k", spec.Mounts!.Single(m => m.Destination == "/dev/shm").Options!);
        Assert.Contains("ro", spec.Mounts!.Single(m => m.Destination == "/sys").Options!);
        foreach (var p in new[] { "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                                  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap" })
            Assert.Contains(p, spec.Linux!.MaskedPaths!);
        Assert.Equal(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"], spec.Linux!.ReadonlyPaths!);
        Assert.Equal(8, spec.Linux!.Resources!.Devices!.Count);
        Assert.Equal(new OciRlimit("RLIMIT_NOFILE", OciSpecBuilder.DefaultNofile, OciSpecBuilder.DefaultNofile), spec.Process!.Rlimits!.Single());
        Assert.Equal(0, spec.Process.OomScoreAdj);
        Assert.Equal("/berth/abcdef0123456789", spec.Linux.CgroupsPath);
        Assert.Equal("abcdef012345", spec.Hostname);
        Assert.StartsWith("PATH=", spec.Process.Env![0]);
    }

    [Fact]
    public void Privileged_gets_every_capability_device_and_no_masks_or_seccomp()
    {
        var spec = Builder.Build(Run(r => r with { Privileged = true }));
        Assert.Equal(Capabilities.KnownToKernel.Count, spec.Process!.Capabilities!.Bounding!.Count);
        Assert.Null(spec.Linux!.MaskedPaths);
        Assert.Null(spec.Linux.ReadonlyPaths);
        Assert.Null(spec.Linux.Seccomp);
        Assert.Equal([new OciDeviceRule(true, Access: "rwm")], spec.Linux.Resources!.Devices!);
        Assert.Contains(spec.Linux.Devices!, d => d.Path == "/dev/null");
        Assert.DoesNotContain("ro", spec.Mounts!.Single(m => m.Destination == "/sys").Options!);
    }

    [Fact]
    public void Network_modes_choose_the_namespaces()
    {
        Assert.Contains(new OciNamespace("network"), Builder.Build(Run(r => r with { Network = NetworkMode.None })).Linux!.Namespaces!);
        Assert.Contains(new OciNamespace("network"), Builder.Build(Run(r => r with { Network = NetworkMode.Private })).Linux!.Namespaces!);
        var host = Builder.Build(Run(r => r with { Network = NetworkMode.Host }));
        Assert.DoesNotContain(new OciNamespace("network"), host.Linux!.Namespaces!);
        Assert.Null(host.Linux.Sysctl);
    }

    [Fact]
    public void Limits_become_cgroup_resources_as_docker_computes_them()
    {
        var res = Builder.Build(Run(r => r with { MemoryBytes = 64 << 20, NanoCpus = 1_500_000_000, PidsLimit = 20, CpuShares = 512 })).Linux!.Resources!;
        Assert.Equal(64L << 20, res.Memory!.Limit);
        Assert.Equal(128L << 20, res.Memory.Swap);
        Assert.Equal(100_000UL, res.Cpu!.Period);
        Assert.Equal(150_000L, res.Cpu.Quota);
        Assert.Equal(512UL, res.Cpu.Shares);
        Assert.Equal(20, res.Pids!.Limit);
        Assert.True(res.HasLimits);
        Assert.False(Builder.Build(Run()).Linux!.Resources!.HasLimits);
    }

    [Fact]
    public void User_mounts_come_after_defaults_sorted_by_depth_and_replace_the_same_destination()
    {
        var spec = Builder.Build(Run(r => r with
        {
            Binds = [new BindMount("/host/a", "/data/sub", ReadOnly: true), new BindMount("/host/b", "/data"), new BindMount("/host/shm", "/dev/shm")],
            Tmpfs = [new TmpfsMount("/run", ["size=1m"])],
            HostsFile = "/c/hosts",
        }));
        var user = spec.Mounts!.Skip(6).Select(m => m.Destination).ToList();
        Assert.Equal(["/data", "/run", "/etc/hosts", "/data/sub", "/dev/shm"], user);
        Assert.Equal(["rbind", "ro", "rprivate"], spec.Mounts!.Single(m => m.Destination == "/data/sub").Options!);
        Assert.Equal("bind", spec.Mounts!.Single(m => m.Destination == "/dev/shm").Type);
        Assert.Contains("size=1m", spec.Mounts!.Single(m => m.Destination == "/run").Options!);
    }

    [Fact]
    public void Init_runs_first_and_is_bind_mounted()
    {
        var spec = Builder.Build(Run(r => r with { InitPath = "/usr/bin/tini-static", Args = ["sleep", "1"] }));
        Assert.Equal(["/sbin/docker-init", "--", "sleep", "1"], spec.Process!.Args);
        Assert.Contains(spec.Mounts!, m => m.Destination == "/sbin/docker-init" && m.Source == "/usr/bin/tini-static");
    }

    [Fact]
    public void Json_uses_runtime_spec_names_and_omits_nulls()
    {
        var spec = Builder.Build(Run(r => r with { UidMappings = [new OciIdMapping(0, 100000, 65536)] }));
        string json = spec.ToJson();
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("1.0.2-dev", root.GetProperty("ociVersion").GetString());
        Assert.Equal(100000, root.GetProperty("linux").GetProperty("uidMappings")[0].GetProperty("hostID").GetInt32());
        Assert.Equal(0, root.GetProperty("linux").GetProperty("gidMappings")[0].GetProperty("containerID").GetInt32());
        Assert.Equal("SCMP_ACT_ERRNO", root.GetProperty("linux").GetProperty("seccomp").GetProperty("defaultAction").GetString());
        Assert.False(root.GetProperty("process").TryGetProperty("terminal", out _));
        Assert.DoesNotContain("null", json);
        Assert.Equal(spec.Hostname, RuntimeSpec.FromJson(json).Hostname);
    }
}

public class SeccompProfileTests
{
    private static readonly string[] DefaultCaps = [.. Capabilities.DockerDefault];

    private static IEnumerable<string> Allowed(OciSeccomp s) =>
        s.Syscalls!.Where(r => r.Action == "SCMP_ACT_ALLOW" && r.Args is null).SelectMany(r => r.Names);

    [Fact]
    public void Default_profile_denies_with_eperm_on_all_x86_64_arches()
    {
        var s = SeccompProfile.DockerDefault.Resolve(DefaultCaps, "amd64", new Version(6, 1));
        Assert.Equal("SCMP_ACT_ERRNO", s.DefaultAction);
        Assert.Equal(1u, s.DefaultErrnoRet);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], s.Architectures!);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], SeccompProfile.DockerDefault.Resolve(DefaultCaps, "amd64", new Version(6, 1), x32: false).Architectures!);
        Assert.Contains("read", Allowed(s));
        Assert.Contains("arch_prctl", Allowed(s));
        Assert.DoesNotContain("s390_runtime_instr", Allowed(s));
    }

    [Fact]
    public void The_running_kernels_filter_lists_x32_exactly_when_an_x32_syscall_works()
    {
        // This machine's kernel answers x32 syscalls with ENOSYS (x32 off, as on Debian's kernels): a process can make one,
        // and the filter for this machine then leaves SCMP_ARCH_X32 out.
        long pid = X32Probe.GetPid(out int errno);
        bool works = pid == Environment.ProcessId;
        Assert.True(works || errno == 38, $"x32 getpid returned {pid}, errno {errno}");
        Assert.Equal(works, X32Abi.Enabled);
        var s = SeccompProfile.DockerDefault.Resolve(DefaultCaps);
        Assert.Equal(works ? ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] : ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], s.Architectures!);
    }

    [Fact]
    public void Without_cap_sys_admin_mount_unshare_and_setns_are_denied_and_clone_is_restricted()
    {
        var s = SeccompProfile.DockerDefault.Resolve(DefaultCaps, "amd64", new Version(6, 1));
        foreach (var name in new[] { "mount", "umount2", "unshare", "setns", "ptrace_never" })
            Assert.DoesNotContain(name, Allowed(s));
        var clone = s.Syscalls!.Single(r => r.Names.SequenceEqual(["clone"]));
        Assert.Equal(new OciSyscallArg(0, 2114060288, 0, "SCMP_CMP_MASKED_EQ"), clone.Args!.Single());
        var clone3 = s.Syscalls!.Single(r => r.Names.SequenceEqual(["clone3"]));
        Assert.Equal(38u, clone3.ErrnoRet);
    }

    [Fact]
    public void Capabilities_enable_their_groups()
    {
        var s = SeccompProfile.DockerDefault.Resolve([.. DefaultCaps, "CAP_SYS_ADMIN", "CAP_SYS_PTRACE"], "amd64", new Version(6, 1));
        Assert.Contains("mount", Allowed(s));
        Assert.Contains("unshare", Allowed(s));
        Assert.Contains("kcmp", Allowed(s));
        Assert.DoesNotContain(s.Syscalls!, r => r.Names.SequenceEqual(["clone3"]) && r.Action == "SCMP_ACT_ERRNO");
        Assert.DoesNotContain(s.Syscalls!, r => r.Names.SequenceEqual(["clone"]) && r.Args is not null);
    }

    [Fact]
    public void Ptrace_is_allowed_from_kernel_4_8_only()
    {
        Assert.Contains("ptrace", Allowed(SeccompProfile.DockerDefault.Resolve(DefaultCaps, "amd64", new Version(4, 8))));
        Assert.DoesNotContain("ptrace", Allowed(SeccompProfile.DockerDefault.Resolve(DefaultCaps, "amd64", new Version(4, 4))));
    }
}

public class CgroupLayoutTests
{
    [Fact]
    public void Detects_hybrid_v1_and_unified_layouts_from_mountinfo()
    {
        const string v1 = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";
        const string unifiedBeside = "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
        const string unifiedRoot = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
        Assert.Equal(CgroupMode.Hybrid, CgroupLayout.Detect(v1 + unifiedBeside));
        Assert.Equal(CgroupMode.V1, CgroupLayout.Detect(v1));
        Assert.Equal(CgroupMode.Unified, CgroupLayout.Detect(unifiedRoot));
    }

    [Fact]
    public void Crun_goes_through_the_cgroup_v1_view_launcher_only_on_a_hybrid_layout()
    {
        TestContainer.RequireTools("crun");
        string root = Path.Combine(TestContainer.StateRootBase, "launcher-" + Guid.NewGuid().ToString("N")[..8], "crun");
        var hybrid = new CrunRuntime(stateRoot: root, cgroupMode: () => CgroupMode.Hybrid);
        Assert.Equal(root + "-v1-view.sh", hybrid.BinaryPath);
        Assert.Equal(CgroupV1ViewLauncher.Script(hybrid.CrunPath), File.ReadAllText(hybrid.BinaryPath));
        Assert.Contains("umount -l /sys/fs/cgroup/unified", File.ReadAllText(hybrid.BinaryPath));
        // A slave of the host's mounts: a root file system mounted on a shared mount point after it started reaches it.
        Assert.Contains("unshare --mount --propagation slave ", File.ReadAllText(hybrid.BinaryPath));
        Assert.True((File.GetUnixFileMode(hybrid.BinaryPath) & UnixFileMode.UserExecute) != 0);
        Assert.Equal(hybrid.CrunPath, new CrunRuntime(stateRoot: root, cgroupMode: () => CgroupMode.Unified).BinaryPath);
        Assert.Equal(hybrid.CrunPath, new CrunRuntime(stateRoot: root, cgroupMode: () => CgroupMode.V1).BinaryPath);
        Directory.Delete(Path.GetDirectoryName(root)!, recursive: true);
    }
}

static class X32Probe
{
    public static long GetPid(out int errno)
    {
        long result = Syscall(0x40000000 | 39);
        errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return result;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number);
}
