using Berth.Engine.Services.Containers;
using Berth.Tests.Containers;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerVerbs;

/// <summary>`berth cp` through the CLI: both directions, tar streams, -a, -L, running and stopped containers, symlink escapes.</summary>
public class ContainerCopyTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Cp_copies_both_ways_for_running_and_stopped_containers_and_never_leaves_the_container_root()
    {
        using var host = new TempDirectory();
        string secretDir = Path.Combine(host.Path, "secret");
        Directory.CreateDirectory(secretDir);
        File.WriteAllText(Path.Combine(secretDir, "key"), "host secret");
        const string Setup = "mkdir -p /data/sub && echo hello > /data/a.txt && echo b > /data/sub/b && ln -s /data/a.txt /data/link && chown 1000:1000 /data/a.txt";
        string script = $"{Setup} && ln -s {secretDir} /data/escape && ln -s ../../../../../../../..{secretDir} /data/relescape && touch /ready && exec sleep 1000";
        await bb.OkAsync("run", "-d", "--name", "cpc", "--network", "none", "bb", "sh", "-c", script);
        Assert.True(await TestContainer.WaitUntil(() => bb.CliAsync("exec", "cpc", "test", "-e", "/ready").Result.ExitCode == 0));

        // Container → host: a directory, a symlink kept as a link, -L follows it, -a keeps owners.
        string out1 = Path.Combine(host.Path, "out1");
        Directory.CreateDirectory(out1);
        await bb.OkAsync("cp", "cpc:/data", out1);
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(out1, "data", "a.txt")));
        Assert.Equal("b\n", File.ReadAllText(Path.Combine(out1, "data", "sub", "b")));
        Assert.Equal("/data/a.txt", new FileInfo(Path.Combine(out1, "data", "link")).LinkTarget);
        await bb.OkAsync("cp", "-L", "cpc:/data/link", Path.Combine(host.Path, "followed"));
        Assert.Null(new FileInfo(Path.Combine(host.Path, "followed")).LinkTarget);
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(host.Path, "followed")));
        await bb.OkAsync("cp", "-a", "cpc:/data/a.txt", Path.Combine(host.Path, "owned"));
        Assert.Equal(1000, Owner(Path.Combine(host.Path, "owned")));
        await bb.OkAsync("cp", "cpc:/data/a.txt", Path.Combine(host.Path, "mine"));
        Assert.Equal(0, Owner(Path.Combine(host.Path, "mine")));

        // Host → container, into a directory and to a new name.
        File.WriteAllText(Path.Combine(host.Path, "in.txt"), "from host");
        await bb.OkAsync("cp", Path.Combine(host.Path, "in.txt"), "cpc:/data/");
        await bb.OkAsync("cp", Path.Combine(host.Path, "in.txt"), "cpc:/data/renamed.txt");
        Assert.Equal("from host\nfrom host", await bb.OkAsync("exec", "cpc", "sh", "-c", "cat /data/in.txt; echo; cat /data/renamed.txt"));

        // Symlinks pointing at a host path resolve inside the container: nothing is read from or written to the host.
        foreach (var link in new[] { "/data/escape", "/data/relescape" })
        {
            var read = await bb.CliAsync("cp", $"cpc:{link}/key", Path.Combine(host.Path, "stolen"));
            Assert.NotEqual(0, read.ExitCode);
            Assert.Contains("Could not find the file", read.Stderr);
            Assert.False(File.Exists(Path.Combine(host.Path, "stolen")));
            await bb.CliAsync("cp", Path.Combine(host.Path, "in.txt"), $"cpc:{link}/planted");
            await bb.CliAsync("cp", Path.Combine(host.Path, "in.txt"), $"cpc:{link}");
        }
        Assert.Equal(["key"], Directory.GetFileSystemEntries(secretDir).Select(Path.GetFileName));
        Assert.Equal("host secret", File.ReadAllText(Path.Combine(secretDir, "key")));

        // Tar streams through the real binary: container → stdout, stdin → container.
        var listing = BerthProcess.Bash(bb.Store.Root, "berth cp cpc:/data/sub - | tar -tf - | sort");
        Assert.True(listing.ExitCode == 0, listing.Stderr);
        Assert.Equal("sub/\nsub/b\n", listing.Stdout);
        var upload = BerthProcess.Bash(bb.Store.Root, $"tar -cf - -C '{host.Path}' in.txt | berth cp - cpc:/tmp");
        Assert.True(upload.ExitCode == 0, upload.Stderr);
        Assert.Equal("from host", await bb.OkAsync("exec", "cpc", "cat", "/tmp/in.txt"));

        // Stopped: the root is mounted for the copy and unmounted after.
        await bb.OkAsync("kill", "cpc");
        Assert.True(await TestContainer.WaitUntil(() => !bb.Store.Engine.Containers.Get("cpc").IsRunning));
        string rootfs = bb.Store.Engine.Containers.RootfsPath(bb.Store.Engine.Containers.Get("cpc").Id);
        Assert.True(await TestContainer.WaitUntil(() => !RootfsMount.IsMounted(rootfs)), "the exit command unmounts the root");
        await bb.OkAsync("cp", Path.Combine(host.Path, "in.txt"), "cpc:/stopped.txt");
        await bb.OkAsync("cp", "cpc:/stopped.txt", Path.Combine(host.Path, "back.txt"));
        Assert.Equal("from host", File.ReadAllText(Path.Combine(host.Path, "back.txt")));
        await bb.OkAsync("cp", "cpc:/data/in.txt", Path.Combine(host.Path, "back2.txt"));
        Assert.Equal("from host", File.ReadAllText(Path.Combine(host.Path, "back2.txt")));
        var stoppedEscape = await bb.CliAsync("cp", "cpc:/data/escape/key", Path.Combine(host.Path, "stolen"));
        Assert.NotEqual(0, stoppedEscape.ExitCode);
        Assert.False(File.Exists(Path.Combine(host.Path, "stolen")));
        Assert.False(RootfsMount.IsMounted(rootfs));

        // -a into a container with a USER: the files become that user's (resolved from the container's /etc/passwd).
        await bb.OkAsync("create", "--name", "cpuser", "-u", "app", "--network", "none", "bb", "true");
        await bb.OkAsync("cp", "-a", Path.Combine(host.Path, "in.txt"), "cpuser:/tmp/owned.txt");
        await bb.OkAsync("cp", "-a", "cpuser:/tmp/owned.txt", Path.Combine(host.Path, "owned-by-app"));
        Assert.Equal(1000, Owner(Path.Combine(host.Path, "owned-by-app")));

        Assert.Contains("must specify at least one container source", (await bb.CliAsync("cp", "/a", "/b")).Stderr);
        Assert.Contains("copying between containers is not supported", (await bb.CliAsync("cp", "cpc:/a", "cpc:/b")).Stderr);
    }

    static int Owner(string path) => int.Parse(ProcessRunner.Check("stat", "-c", "%u", path).Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
