using System.Text;
using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>runc driven directly (no monitor), with Docker's default spec, on a busybox rootfs.</summary>
public class RuncRuntimeTests
{
    private static async Task<(int Code, string Output)> Run(TestContainer c, Func<ContainerRunSpec, ContainerRunSpec>? configure, params string[] args)
    {
        c.WriteSpec(configure, args);
        var output = new MemoryStream();
        int code = await c.Runtime.RunAsync(c.Id, c.Bundle, output, output);
        await c.Runtime.DeleteAsync(c.Id, force: true);
        return (code, Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Echo_prints_hello_and_exits_zero()
    {
        await using var c = new TestContainer();
        var (code, output) = await Run(c, null, "echo", "hello");
        Assert.Equal(0, code);
        Assert.Equal("hello\n", output);
    }

    [Fact]
    public async Task Effective_capabilities_are_dockers_default_mask()
    {
        await using var c = new TestContainer();
        var (code, output) = await Run(c, null, "grep", "Cap", "/proc/self/status");
        Assert.Equal(0, code);
        Assert.Contains("CapEff:\t00000000a80425fb", output);
        Assert.Contains("CapBnd:\t00000000a80425fb", output);
        Assert.Contains("CapInh:\t0000000000000000", output);
    }

    [Fact]
    public async Task Network_none_has_only_loopback_and_it_is_up()
    {
        await using var c = new TestContainer();
        var (code, output) = await Run(c, r => r with { Network = NetworkMode.None }, "sh", "-c", "cat /proc/net/dev; echo ---; ip link");
        Assert.Equal(0, code);
        var interfaces = output[..output.IndexOf("---", StringComparison.Ordinal)].Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Skip(2).Select(l => l.Trim().Split(':')[0]).ToList();
        Assert.Equal(["lo"], interfaces);
        Assert.Contains("<LOOPBACK,UP,LOWER_UP>", output);
    }

    [Fact]
    public async Task Masked_proc_files_read_empty_and_proc_sys_is_read_only()
    {
        await using var c = new TestContainer();
        // /proc/kcore only exists on kernels built with it (not this one); the others are non-empty on the host.
        var (code, output) = await Run(c, null, "sh", "-c",
            "for f in /proc/kcore /proc/keys /proc/timer_list /proc/interrupts; do [ -e $f ] && echo \"$f $(cat $f | wc -c)\"; done;" +
            "echo 1 > /proc/sys/kernel/domainname && echo writable || echo readonly");
        Assert.Equal(0, code);
        Assert.True(new FileInfo("/proc/interrupts").Exists);
        Assert.Contains("/proc/interrupts 0\n", output);
        Assert.Contains("/proc/keys 0\n", output);
        if (File.Exists("/proc/kcore")) Assert.Contains("/proc/kcore 0\n", output);
        Assert.DoesNotMatch(@"/proc/\w+ [1-9]", output);
        Assert.Contains("readonly", output);
    }

    [Fact]
    public async Task Seccomp_and_capabilities_refuse_unshare_and_mount_without_cap_sys_admin()
    {
        await using var c = new TestContainer();
        var (code, output) = await Run(c, null, "sh", "-c",
            "unshare -U true; echo unshare=$?; mount -t tmpfs tmpfs /tmp; echo mount=$?");
        Assert.Equal(0, code);
        Assert.Contains("unshare=1", output);
        Assert.DoesNotContain("mount=0", output);
        Assert.Contains("Operation not permitted", output);
    }

    [Fact]
    public async Task Cap_sys_admin_lifts_the_seccomp_mount_restriction()
    {
        await using var c = new TestContainer();
        var (code, output) = await Run(c, r => r with { CapAdd = ["SYS_ADMIN"] }, "sh", "-c",
            "mount -t tmpfs tmpfs /tmp && echo mounted");
        Assert.Equal(0, code);
        Assert.Contains("mounted", output);
    }

    [Fact]
    public async Task User_namespace_mapping_is_applied()
    {
        await using var c = new TestContainer();
        var (code, output) = await Run(c, r => r with { UidMappings = [new OciIdMapping(0, 100000, 65536)] }, "cat", "/proc/self/uid_map", "/proc/self/gid_map");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(["0 100000 65536", "0 100000 65536"], lines);
    }

    [Fact]
    public async Task Hostname_env_and_working_dir_are_set()
    {
        await using var c = new TestContainer();
        var (code, output) = await Run(c, r => r with { Hostname = "box", Env = ["FOO=bar"], WorkingDir = "/tmp", ReadOnlyRootfs = true },
            "sh", "-c", "hostname; echo $FOO $HOSTNAME; pwd; touch /x 2>/dev/null && echo rw || echo ro");
        Assert.Equal(0, code);
        Assert.Equal("box\nbar box\n/tmp\nro\n", output);
    }

    [Fact]
    public async Task Exit_code_of_the_container_is_returned()
    {
        await using var c = new TestContainer();
        var (code, _) = await Run(c, null, "sh", "-c", "exit 3");
        Assert.Equal(3, code);
    }

    [Fact]
    public async Task User_and_groups_are_applied()
    {
        await using var c = new TestContainer();
        var (code, output) = await Run(c, r => r with { Uid = 65534, Gid = 65534, AdditionalGids = [5] }, "id");
        Assert.Equal(0, code);
        Assert.Equal("uid=65534(nobody) gid=65534(nogroup) groups=5(tty)\n", output);
    }

    [Fact]
    public async Task Missing_program_fails_with_the_runtimes_one_line_message()
    {
        await using var c = new TestContainer();
        c.WriteSpec("/bin/nope");
        var e = await Assert.ThrowsAsync<RuntimeException>(() => c.Runtime.RunAsync(c.Id, c.Bundle));
        Assert.StartsWith("runc run " + c.Id + ":", e.Message);
        Assert.Contains("nope", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public async Task Lifecycle_create_start_state_pause_resume_ps_kill_delete()
    {
        await using var c = new TestContainer();
        c.WriteSpec(r => r with { PidsLimit = 50, MemoryBytes = 64L << 20 }, "sleep", "1000");
        await c.Runtime.CreateAsync(c.Id, c.Bundle, pidFile: Path.Combine(c.Dir, "pid"));
        Assert.Equal("created", (await c.Runtime.StateAsync(c.Id))!.Status);
        await c.Runtime.StartAsync(c.Id);
        var state = (await c.Runtime.StateAsync(c.Id))!;
        Assert.Equal("running", state.Status);
        Assert.True(state.Pid > 0);
        Assert.Contains(c.Id, (await c.Runtime.ListAsync()).Select(s => s.Id));

        Assert.Equal([state.Pid], await c.Runtime.PsAsync(c.Id));

        string cgroup = "/berth/" + c.Id;
        Assert.Equal("67108864", File.ReadAllText(CgroupLayout.ControllerPath("memory", cgroup) + "/memory.limit_in_bytes").Trim());
        Assert.Equal("50", File.ReadAllText(CgroupLayout.ControllerPath("pids", cgroup) + "/pids.max").Trim());

        await c.Runtime.PauseAsync(c.Id);
        Assert.Equal("paused", (await c.Runtime.StateAsync(c.Id))!.Status);
        Assert.Equal("FROZEN", File.ReadAllText(CgroupLayout.ControllerPath("freezer", cgroup) + "/freezer.state").Trim());
        await c.Runtime.ResumeAsync(c.Id);
        Assert.Equal("running", (await c.Runtime.StateAsync(c.Id))!.Status);
        Assert.Equal("THAWED", File.ReadAllText(CgroupLayout.ControllerPath("freezer", cgroup) + "/freezer.state").Trim());

        await c.Runtime.UpdateAsync(c.Id, new OciResources { Pids = new OciPids(60) });
        Assert.Equal("60", File.ReadAllText(CgroupLayout.ControllerPath("pids", cgroup) + "/pids.max").Trim());

        var exec = await c.Runtime.ExecAsync(c.Id, OciSpecBuilder.BuildExecProcess(OciBundle.Read(c.Bundle), ["sh", "-c", "echo hi; exit 4"]));
        Assert.Equal(4, exec.ExitCode);
        Assert.Equal("hi\n", exec.Stdout);

        await c.Runtime.KillAsync(c.Id, "KILL");
        Assert.True(await TestContainer.WaitUntil(() => c.Runtime.StateAsync(c.Id).Result?.Status == "stopped"));
        await c.Runtime.DeleteAsync(c.Id);
        Assert.Null(await c.Runtime.StateAsync(c.Id));
        Assert.False(Directory.Exists(CgroupLayout.ControllerPath("memory", cgroup)));
        await c.Runtime.DeleteAsync(c.Id); // deleting twice is fine
    }

    [Fact]
    public async Task Unknown_container_has_no_state_and_kill_fails_with_a_message()
    {
        var runtime = new RuncRuntime(stateRoot: Path.Combine(TestContainer.StateRootBase, "runc"));
        Assert.Null(await runtime.StateAsync("berth-test-missing"));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => runtime.KillAsync("berth-test-missing", "KILL"));
        Assert.StartsWith("runc kill berth-test-missing:", e.Message);
    }
}
