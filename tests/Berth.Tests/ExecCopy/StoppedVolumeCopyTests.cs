using Berth.Engine.Services.Containers;
using Berth.Tests.Containers;
using Berth.Tests.ContainerVerbs;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.ExecCopy;

/// <summary>
/// `cp` with a stopped container whose path is on a volume or bind mount: as Docker's daemon, the mounts are attached for
/// the copy, so the copy reads and writes the volume, not the root file system beneath it; read-only mounts are refused
/// with Docker's words, and symlinks (in a volume or as a mount point) resolve inside the container.
/// </summary>
public class StoppedVolumeCopyTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Cp_reaches_the_named_volumes_and_bind_mounts_of_a_stopped_container_both_ways()
    {
        using var host = new TempDirectory();
        string bind = Path.Combine(host.Path, "bind");
        Directory.CreateDirectory(bind);
        File.WriteAllText(Path.Combine(bind, "b.txt"), "bound");
        string input = Path.Combine(host.Path, "in.txt");
        File.WriteAllText(input, "from host");
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string name = "stopcp-" + suffix, volume = "stopcp-vol-" + suffix, roVolume = "stopcp-ro-" + suffix;
        await bb.OkAsync("run", "-d", "--name", name, "--network", "none", "-v", volume + ":/data", "-v", bind + ":/bind",
            "-v", roVolume + ":/ro:ro", "bb", "sh", "-c", "echo vol > /data/v.txt && touch /ready && exec sleep 1000");
        try
        {
            Assert.True(await TestContainer.WaitUntil(() => bb.CliAsync("exec", name, "test", "-e", "/ready").Result.ExitCode == 0));
            await bb.OkAsync("stop", "-t", "0", name);
            var record = bb.Store.Engine.Containers.Get(name);
            string rootfs = bb.Store.Engine.Containers.RootfsPath(record.Id);
            Assert.True(await TestContainer.WaitUntil(() => !RootfsMount.IsMounted(rootfs)), "the exit command unmounts the root");
            string volumeData = bb.Store.Engine.Volumes.MountpointOf(volume);
            string upper = bb.Store.Engine.Containers.UpperDirectory(record);

            // Host → stopped container: into the named volume and the bind mount, not the root file system beneath.
            await bb.OkAsync("cp", input, name + ":/data/");
            await bb.OkAsync("cp", input, name + ":/bind/new.txt");
            Assert.Equal("from host", File.ReadAllText(Path.Combine(volumeData, "in.txt")));
            Assert.Equal("from host", File.ReadAllText(Path.Combine(bind, "new.txt")));
            Assert.False(File.Exists(Path.Combine(upper, "data", "in.txt")), "written into the root file system beneath the volume");
            Assert.False(File.Exists(Path.Combine(upper, "bind", "new.txt")), "written into the root file system beneath the bind mount");

            // Stopped container → host: files and a whole volume directory.
            await bb.OkAsync("cp", name + ":/data/v.txt", Path.Combine(host.Path, "v-out"));
            Assert.Equal("vol\n", File.ReadAllText(Path.Combine(host.Path, "v-out")));
            await bb.OkAsync("cp", name + ":/bind/b.txt", Path.Combine(host.Path, "b-out"));
            Assert.Equal("bound", File.ReadAllText(Path.Combine(host.Path, "b-out")));
            await bb.OkAsync("cp", name + ":/data", Path.Combine(host.Path, "data-out"));
            Assert.Equal(["in.txt", "v.txt"], Directory.GetFileSystemEntries(Path.Combine(host.Path, "data-out")).Select(Path.GetFileName).Order());

            // Tar streams both ways through the real binary.
            var read = BerthProcess.Bash(bb.Store.Root, $"berth cp {name}:/data/v.txt - | tar -xOf -");
            Assert.True(read.ExitCode == 0, read.Stderr);
            Assert.Equal("vol\n", read.Stdout);
            File.WriteAllText(Path.Combine(host.Path, "up.txt"), "streamed");
            foreach (var target in new[] { "/data", "/bind" })
            {
                var upload = BerthProcess.Bash(bb.Store.Root, $"tar -cf - -C '{host.Path}' up.txt | berth cp - {name}:{target}");
                Assert.True(upload.ExitCode == 0, upload.Stderr);
            }
            Assert.Equal("streamed", File.ReadAllText(Path.Combine(volumeData, "up.txt")));
            Assert.Equal("streamed", File.ReadAllText(Path.Combine(bind, "up.txt")));

            // A read-only volume is refused as Docker refuses it, by path and by stream; nothing is written beneath it.
            var refused = await bb.CliAsync("cp", input, name + ":/ro/");
            Assert.Equal(1, refused.ExitCode);
            Assert.Equal("Error: mounted volume is marked read-only\n", refused.Stderr);
            var refusedStream = BerthProcess.Bash(bb.Store.Root, $"tar -cf - -C '{host.Path}' up.txt | berth cp - {name}:/ro");
            Assert.NotEqual(0, refusedStream.ExitCode);
            Assert.Contains("mounted volume is marked read-only", refusedStream.Stderr);
            Assert.Empty(Directory.GetFileSystemEntries(bb.Store.Engine.Volumes.MountpointOf(roVolume)));
            Assert.False(File.Exists(Path.Combine(upper, "ro", "in.txt")));

            // Nothing stays mounted, and the container sees the copies once it runs.
            Assert.False(RootfsMount.IsMounted(rootfs));
            Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(bind, StringComparison.Ordinal) || l.Contains(volumeData, StringComparison.Ordinal));
            await bb.OkAsync("start", name);
            Assert.Equal("from host|from host|streamed", await bb.OkAsync("exec", name, "sh", "-c", "printf '%s|%s|%s' \"$(cat /data/in.txt)\" \"$(cat /bind/new.txt)\" \"$(cat /data/up.txt)\""));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", "-v", name);
            await bb.CliAsync("volume", "rm", volume, roVolume);
        }
    }

    [Fact]
    public async Task Symlinks_in_a_volume_or_at_a_mount_point_of_a_stopped_container_never_reach_the_host()
    {
        using var host = new TempDirectory();
        string secret = Path.Combine(host.Path, "secret");
        Directory.CreateDirectory(secret);
        File.WriteAllText(Path.Combine(secret, "key"), "host secret");
        string input = Path.Combine(host.Path, "in.txt");
        File.WriteAllText(input, "planted");
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string name = "stopesc-" + suffix, volume = "stopesc-vol-" + suffix;
        string other = "stopesc-mp-" + suffix, otherVolume = "stopesc-mpvol-" + suffix;
        await bb.OkAsync("run", "-d", "--name", name, "--network", "none", "-v", volume + ":/data", "bb", "sh", "-c",
            $"ln -s {secret} /data/abs && ln -s ../../../../../../../..{secret} /data/rel && touch /ready && exec sleep 1000");
        try
        {
            Assert.True(await TestContainer.WaitUntil(() => bb.CliAsync("exec", name, "test", "-e", "/ready").Result.ExitCode == 0));
            await bb.OkAsync("stop", "-t", "0", name);

            // Links in the volume to a host path (absolute, or climbing with ..) resolve inside the container's root.
            foreach (var link in new[] { "/data/abs", "/data/rel" })
            {
                var stolen = await bb.CliAsync("cp", $"{name}:{link}/key", Path.Combine(host.Path, "stolen"));
                Assert.NotEqual(0, stolen.ExitCode);
                Assert.Contains("Could not find the file", stolen.Stderr);
                Assert.False(File.Exists(Path.Combine(host.Path, "stolen")));
                await bb.CliAsync("cp", input, $"{name}:{link}/planted");
                await bb.CliAsync("cp", input, $"{name}:{link}");
                var stream = BerthProcess.Bash(bb.Store.Root, $"tar -cf - -C '{host.Path}' in.txt | berth cp - {name}:{link}");
                Assert.DoesNotContain("panic", stream.Stderr);
            }
            Assert.Equal(["key"], Directory.GetFileSystemEntries(secret).Select(Path.GetFileName));
            Assert.Equal("host secret", File.ReadAllText(Path.Combine(secret, "key")));

            // A mount point that is a symlink to a host path (planted in the container's own layer): the volume is attached
            // where the link leads inside the root, and the copy lands in the volume, never in the host directory.
            await bb.OkAsync("create", "--name", other, "--network", "none", "-v", otherVolume + ":/mnt/x", "bb", "true");
            var record = bb.Store.Engine.Containers.Get(other);
            string upper = bb.Store.Engine.Containers.UpperDirectory(record);
            if (Directory.Exists(Path.Combine(upper, "mnt"))) Directory.Delete(Path.Combine(upper, "mnt"), recursive: true);
            File.CreateSymbolicLink(Path.Combine(upper, "mnt"), secret);
            await bb.OkAsync("cp", input, other + ":/mnt/x/");
            Assert.Equal("planted", File.ReadAllText(Path.Combine(bb.Store.Engine.Volumes.MountpointOf(otherVolume), "in.txt")));
            Assert.Equal(["key"], Directory.GetFileSystemEntries(secret).Select(Path.GetFileName));
            await bb.OkAsync("cp", other + ":/mnt/x/in.txt", Path.Combine(host.Path, "back"));
            Assert.Equal("planted", File.ReadAllText(Path.Combine(host.Path, "back")));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", "-v", name);
            await bb.CliAsync("rm", "-f", "-v", other);
            await bb.CliAsync("volume", "rm", volume, otherVolume);
        }
    }
    [Fact]
    public async Task A_file_with_something_mounted_on_it_is_not_replaced_as_docker_refuses()
    {
        using var host = new TempDirectory();
        string conf = Path.Combine(host.Path, "conf.txt");
        File.WriteAllText(conf, "conf");
        string input = Path.Combine(host.Path, "in.txt");
        File.WriteAllText(input, "new");
        string name = "filebind-" + Guid.NewGuid().ToString("N")[..8];
        await bb.OkAsync("run", "-d", "--name", name, "--network", "none", "-v", conf + ":/etc/conf.txt", "bb", "sleep", "1000");
        try
        {
            // Running: the bind-mounted file and Berth's own /etc/hostname mount stay (the kernel would let a mount in the
            // container's namespace be unlinked from here); Docker's daemon fails with EBUSY, in these words.
            foreach (var path in new[] { "/etc/conf.txt", "/etc/hostname" })
            {
                var refused = await bb.CliAsync("cp", input, name + ":" + path);
                Assert.Equal(1, refused.ExitCode);
                Assert.Equal($"Error: Error processing tar file(exit status 1): unlinkat {path}: device or resource busy\n", refused.Stderr);
            }
            Assert.Equal("conf", await bb.OkAsync("exec", name, "cat", "/etc/conf.txt"));
            Assert.Equal(bb.Store.Engine.Containers.Get(name).Id[..12] + "\n", await bb.OkAsync("exec", name, "cat", "/etc/hostname"));

            // Stopped: the file is attached for the copy, readable, and refused for writing the same way.
            await bb.OkAsync("stop", "-t", "0", name);
            await bb.OkAsync("cp", name + ":/etc/conf.txt", Path.Combine(host.Path, "back"));
            Assert.Equal("conf", File.ReadAllText(Path.Combine(host.Path, "back")));
            var stopped = await bb.CliAsync("cp", input, name + ":/etc/conf.txt");
            Assert.Equal(1, stopped.ExitCode);
            Assert.Equal("Error: Error processing tar file(exit status 1): unlinkat /etc/conf.txt: device or resource busy\n", stopped.Stderr);
            Assert.Equal("conf", File.ReadAllText(conf));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", name);
        }
    }
}
