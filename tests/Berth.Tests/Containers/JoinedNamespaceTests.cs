using Berth.Tests.Runtime;

namespace Berth.Tests.Containers;

/// <summary>`--network`, `--pid` and `--ipc container:NAME`: a container in another one's namespaces, with Docker's refusals.</summary>
public class JoinedNamespaceTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task A_container_joins_the_network_and_pid_namespaces_of_a_running_one()
    {
        string owner = (await bb.OkAsync("run", "-d", "--name", "ns-owner", "--network", "none", "bb", "sleep", "60")).Trim();
        try
        {
            string ownerNet = (await bb.OkAsync("exec", "ns-owner", "readlink", "/proc/self/ns/net")).Trim();
            string ownerHostname = (await bb.OkAsync("exec", "ns-owner", "hostname")).Trim();
            // The network: the same namespace, the owner's hostname and /etc files.
            var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "container:ns-owner", "bb", "sh", "-c",
                "readlink /proc/self/ns/net; hostname; cat /etc/hostname");
            Assert.True(code == 0, stderr);
            Assert.Equal([ownerNet, ownerHostname, ownerHostname], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            // The PID namespace: the owner's sleep is seen, and its own process is not PID 1.
            (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "--pid", "container:ns-owner", "bb", "sh", "-c",
                "ps -o pid,args; echo self $$");
            Assert.True(code == 0, stderr);
            Assert.Contains(stdout.Split('\n'), l => l.Trim() == "1 sleep 60");
            Assert.DoesNotContain("self 1\n", stdout);
            // inspect names the owner by ID and has no network of its own.
            // --dns-search and --dns-option are taken and change nothing, as in Docker.
            string joined = (await bb.OkAsync("create", "--name", "ns-joined", "--network", "container:ns-owner", "--dns-search", "example.org", "bb", "sleep", "60")).Trim();
            Assert.Equal($"container:{owner}", (await bb.OkAsync("inspect", "-f", "{{.HostConfig.NetworkMode}}", joined)).Trim());
            Assert.Equal("map[]", (await bb.OkAsync("inspect", "-f", "{{.NetworkSettings.Networks}}", joined)).Trim());
            Assert.Equal("", (await bb.OkAsync("ps", "-a", "--filter", "id=" + joined, "--format", "{{.Networks}}")).Trim());
            // A chain (the owner itself in another's network) and a paused owner: the network and /etc files are the first one's.
            await bb.OkAsync("start", joined);
            await bb.OkAsync("pause", "ns-owner");
            (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "container:ns-joined", "bb", "sh", "-c",
                "readlink /proc/self/ns/net; hostname; cat /etc/hostname; grep -c example.org /etc/resolv.conf; true");
            Assert.True(code == 0, stderr);
            Assert.Equal([ownerNet, ownerHostname, ownerHostname, "0"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(Path.Combine(bb.Store.Root, "containers", owner, "hosts"), (await bb.OkAsync("inspect", "-f", "{{.HostsPath}}", joined)).Trim());
            await bb.OkAsync("unpause", "ns-owner");
            await bb.OkAsync("rm", "-f", joined);
        }
        finally
        {
            await bb.CliAsync("rm", "-f", "ns-owner");
        }
    }

    [Theory]
    [InlineData("-p", "8080:80", "conflicting options: port publishing and the container type network mode")]
    [InlineData("--hostname", "h", "conflicting options: hostname and the network mode")]
    [InlineData("--dns", "1.1.1.1", "conflicting options: dns and the network mode")]
    [InlineData("--add-host", "a:1.2.3.4", "conflicting options: custom host-to-IP mapping and the network mode")]
    [InlineData("--expose", "80", "conflicting options: port exposing and the container type network mode")]
    public async Task What_the_joined_network_decides_is_refused(string flag, string value, string message)
    {
        string owner = (await bb.OkAsync("create", "--network", "none", "bb", "true")).Trim();
        var (code, _, stderr) = await bb.CliAsync("create", "--network", "container:" + owner, flag, value, "bb", "true");
        Assert.NotEqual(0, code);
        Assert.Equal("Error: " + message + "\n", stderr);
        await bb.OkAsync("rm", owner);
    }

    [Fact]
    public async Task Joining_a_missing_or_stopped_container_is_refused()
    {
        var missing = await bb.CliAsync("create", "--network", "container:no-such-owner", "bb", "true");
        Assert.Equal("Error: No such container: no-such-owner\n", missing.Stderr);
        var missingPid = await bb.CliAsync("create", "--network", "none", "--pid", "container:no-such-owner", "bb", "true");
        Assert.Equal("Error: No such container: no-such-owner\n", missingPid.Stderr);

        var empty = await bb.CliAsync("create", "--network", "container:", "bb", "true");
        Assert.Equal("Error: Invalid network mode: invalid container format container:<name|id>\n", empty.Stderr);

        string stopped = (await bb.OkAsync("create", "--network", "none", "bb", "true")).Trim();
        string before = await bb.OkAsync("ps", "-a", "-q");
        var (code, _, stderr) = await bb.CliAsync("run", "--rm", "--network", "container:" + stopped, "bb", "true");
        Assert.NotEqual(0, code);
        Assert.Contains($"cannot join network of a non running container: {stopped}", stderr);
        Assert.Equal(before, await bb.OkAsync("ps", "-a", "-q")); // the refused --rm run's container went with it
        await bb.OkAsync("rm", stopped);
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")] // on a hybrid cgroup host crun runs in a mount namespace of its own: the tmpfs must reach it
    public async Task A_container_joins_the_ipc_namespace_and_shm_of_a_shareable_one_through_a_chain(string runtime)
    {
        string ownerName = "ipc-owner-" + runtime, joinedName = "ipc-joined-" + runtime;
        // Attached, the runtime starts before its /dev/shm is mounted (conmon is launched first): the tmpfs must reach it.
        var attached = await bb.CliAsync("run", "--rm", "--runtime", runtime, "--ipc", "shareable", "--shm-size", "8m", "--network", "none", "bb",
            "sh", "-c", "df -k /dev/shm | tail -1");
        Assert.True(attached.ExitCode == 0, attached.Stderr);
        Assert.Equal("8192", attached.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        string owner = (await bb.OkAsync("run", "-d", "--runtime", runtime, "--name", ownerName, "--ipc", "shareable", "--shm-size", "8m", "--network", "none", "bb",
            "sh", "-c", "echo from-owner > /dev/shm/note; sleep 60")).Trim();
        string shm = Path.Combine(bb.Store.Root, "containers", owner, "shm");
        try
        {
            Assert.True(await TestContainer.WaitUntil(() => File.Exists(Path.Combine(shm, "note"))), "the owner's /dev/shm is the tmpfs in its directory");
            Assert.Equal("8192", (await bb.OkAsync("exec", ownerName, "sh", "-c", "df -k /dev/shm | tail -1")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            string ownerIpc = (await bb.OkAsync("exec", ownerName, "readlink", "/proc/self/ns/ipc")).Trim();
            var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--runtime", runtime, "--network", "none", "--ipc", "container:" + ownerName, "bb", "sh", "-c",
                "readlink /proc/self/ns/ipc; cat /dev/shm/note; echo from-joiner > /dev/shm/reply; df -k /dev/shm | tail -1");
            Assert.True(code == 0, stderr);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal([ownerIpc, "from-owner"], lines[..2]);
            Assert.Equal("8192", lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]); // the owner's --shm-size
            Assert.Equal("from-joiner\n", await bb.OkAsync("exec", ownerName, "cat", "/dev/shm/reply"));

            // A joiner can be joined in turn (Docker's ShmPath is the owner's); inspect names the owner by ID.
            string joined = (await bb.OkAsync("run", "-d", "--name", joinedName, "--network", "none", "--ipc", "container:" + ownerName, "bb", "sleep", "60")).Trim();
            Assert.Equal($"container:{owner}", (await bb.OkAsync("inspect", "-f", "{{.HostConfig.IpcMode}}", joined)).Trim());
            (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "--ipc", "container:" + joinedName, "bb", "sh", "-c",
                "readlink /proc/self/ns/ipc; cat /dev/shm/note");
            Assert.True(code == 0, stderr);
            Assert.Equal(ownerIpc + "\nfrom-owner\n", stdout);

            var sysctl = await bb.CliAsync("create", "--ipc", "container:" + ownerName, "--sysctl", "kernel.shmmax=1024", "bb", "true");
            Assert.Equal("Error: sysctl 'kernel.shmmax' is not allowed in container IPC mode\n", sysctl.Stderr);

            // The owner stops: its tmpfs is unmounted (the joiner still running keeps its own view of it), and a new
            // joiner of the chain is refused rather than given the empty directory.
            await bb.OkAsync("stop", "-t", "0", ownerName);
            Assert.True(await TestContainer.WaitUntil(() => !File.ReadAllText("/proc/self/mountinfo").Contains(shm, StringComparison.Ordinal)), "the stopped owner's tmpfs is unmounted");
            Assert.Equal("from-owner\n", await bb.OkAsync("exec", joinedName, "cat", "/dev/shm/note"));
            var refused = await bb.CliAsync("run", "--rm", "--network", "none", "--ipc", "container:" + joinedName, "bb", "true");
            Assert.Equal($"failed to join IPC namespace: container {joined}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)",
                refused.Stderr.Trim().Replace("Error: ", ""));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", joinedName);
            await bb.CliAsync("rm", "-f", ownerName);
        }
        // Nothing of the owner stays mounted.
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(owner, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Joining_the_ipc_of_a_private_missing_or_stopped_container_is_refused()
    {
        string before = await bb.OkAsync("ps", "-a", "-q");
        string owner = (await bb.OkAsync("run", "-d", "--network", "none", "bb", "sleep", "60")).Trim();
        try
        {
            var refused = await bb.CliAsync("create", "--ipc", "container:" + owner, "bb", "true");
            Assert.Equal($"Error: container {owner}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)\n", refused.Stderr);
            var missing = await bb.CliAsync("create", "--ipc", "container:no-such-owner", "bb", "true");
            Assert.Equal("Error: No such container: no-such-owner\n", missing.Stderr);
            var empty = await bb.CliAsync("create", "--ipc", "container:", "bb", "true");
            Assert.Equal("Error: invalid IPC mode: container:\n", empty.Stderr);
        }
        finally
        {
            await bb.CliAsync("rm", "-f", owner);
        }
        string stopped = (await bb.OkAsync("create", "--network", "none", "--ipc", "shareable", "bb", "true")).Trim();
        var (code, _, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "--ipc", "container:" + stopped, "bb", "true");
        Assert.NotEqual(0, code);
        Assert.Contains($"failed to join IPC namespace: container {stopped} is not running", stderr);
        await bb.OkAsync("rm", stopped);
        Assert.Equal(before, await bb.OkAsync("ps", "-a", "-q"));
    }

    [Fact]
    public async Task A_container_in_the_hosts_ipc_namespace_can_be_joined_as_in_docker()
    {
        string owner = (await bb.OkAsync("run", "-d", "--network", "none", "--ipc", "host", "bb", "sleep", "60")).Trim();
        try
        {
            var (code, stdout, stderr) = await bb.CliAsync("run", "--rm", "--network", "none", "--ipc", "container:" + owner, "bb", "readlink", "/proc/self/ns/ipc");
            Assert.True(code == 0, stderr);
            Assert.Equal(new FileInfo("/proc/self/ns/ipc").LinkTarget + "\n", stdout);
        }
        finally
        {
            await bb.CliAsync("rm", "-f", owner);
        }
    }
}
