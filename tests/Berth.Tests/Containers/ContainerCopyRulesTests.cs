using Berth.Engine;
using Berth.Engine.Containers.Copy;
using Berth.Engine.Layers;
using Berth.Engine.Layers.Native;
using Berth.Engine.Services.Containers;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.Containers;

/// <summary>`cp` where Docker has rules beyond paths: which xattrs travel, and where a copy into a container is refused.</summary>
public class ContainerCopyRulesTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task File_capabilities_travel_both_ways_but_other_xattrs_of_host_files_do_not()
    {
        Assert.True(Engine.Runtime.OciRuntime.FindBinary("setcap") is not null, "setcap is not installed (libcap2-bin)");
        using var host = new TempDirectory();
        string file = Path.Combine(host.Path, "ping");
        File.WriteAllText(file, "pretend binary");
        ProcessRunner.Check("setcap", "cap_net_raw+ep", file);
        Assert.Equal(0, PosixFileSystem.Lsetxattr(file, "user.note", "kept?"u8));
        string id = (await bb.OkAsync("run", "-d", "--name", "xattrs", "--network", "none", "bb", "sleep", "1000")).Trim();
        try
        {
            await bb.OkAsync("cp", file, "xattrs:/tmp/ping");
            string inside = $"/proc/{bb.Store.Engine.Containers.Get(id).State.Pid}/root/tmp/ping";
            Assert.Contains("cap_net_raw=ep", ProcessRunner.Check("getcap", inside));
            // Docker's archives carry security.capability only.
            Assert.Null(PosixFileSystem.Lgetxattr(inside, "user.note"));

            string back = Path.Combine(host.Path, "back");
            await bb.OkAsync("cp", "xattrs:/tmp/ping", back);
            Assert.Contains("cap_net_raw=ep", ProcessRunner.Check("getcap", back));
            Assert.Equal("pretend binary", File.ReadAllText(back));

            // With -a the owner changes too, and the capability (which a chown clears) is still set afterwards.
            await bb.OkAsync("cp", "-a", "xattrs:/tmp/ping", Path.Combine(host.Path, "archived"));
            Assert.Contains("cap_net_raw=ep", ProcessRunner.Check("getcap", Path.Combine(host.Path, "archived")));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", "xattrs");
        }
    }

    [Fact]
    public async Task A_tar_stream_copied_in_keeps_all_its_xattrs()
    {
        string id = (await bb.OkAsync("run", "-d", "--name", "tarxattrs", "--network", "none", "bb", "sleep", "1000")).Trim();
        try
        {
            var tar = new MemoryStream();
            using (var writer = new LayerTarWriter(tar))
            {
                await writer.WriteHeaderAsync(new LayerTarWriter.Entry
                {
                    Name = "dir/", LinkName = "", Type = TarEntryHeader.TypeDirectory, Mode = 0x1ED, Mtime = 1_700_000_000,
                    Xattrs = [new("user.dir", "d"u8.ToArray())],
                }, default);
                await writer.WriteHeaderAsync(new LayerTarWriter.Entry
                {
                    Name = "dir/file", LinkName = "", Type = TarEntryHeader.TypeRegular, Mode = 0x1A4, Mtime = 1_700_000_000,
                    Xattrs = [new("trusted.overlay.opaque", "y"u8.ToArray()), new("user.one", "1"u8.ToArray()), new("user.two", "2"u8.ToArray())],
                }, default);
                await writer.FinishAsync(default);
            }
            tar.Position = 0;
            await bb.Store.Engine.Containers.ExtractToContainerAsync(id, tar, "/tmp", CopyOptions.Default);
            string root = $"/proc/{bb.Store.Engine.Containers.Get(id).State.Pid}/root/tmp";
            Assert.Equal("d"u8.ToArray(), PosixFileSystem.Lgetxattr(root + "/dir", "user.dir"));
            Assert.Equal("1"u8.ToArray(), PosixFileSystem.Lgetxattr(root + "/dir/file", "user.one"));
            Assert.Equal("2"u8.ToArray(), PosixFileSystem.Lgetxattr(root + "/dir/file", "user.two"));
            Assert.Null(PosixFileSystem.Lgetxattr(root + "/dir/file", "trusted.overlay.opaque"));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", "tarxattrs");
        }
    }

    [Fact]
    public async Task Copies_into_a_read_only_root_or_volume_are_refused_with_dockers_messages()
    {
        using var host = new TempDirectory();
        string file = Path.Combine(host.Path, "in.txt");
        File.WriteAllText(file, "data");
        await bb.OkAsync("run", "-d", "--name", "roc", "--network", "none", "--read-only", "--tmpfs", "/tmp",
            "-v", "ro-vol:/ro:ro", "-v", "rw-vol:/rw", "bb", "sleep", "1000");
        try
        {
            foreach (bool running in new[] { true, false })
            {
                if (!running) await bb.OkAsync("stop", "-t", "0", "roc");
                // The root file system, and a --tmpfs on it (Docker does not count those as mount points here).
                foreach (var target in new[] { "roc:/", "roc:/etc/new.txt", "roc:/tmp/" })
                {
                    var refused = await bb.CliAsync("cp", file, target);
                    Assert.NotEqual(0, refused.ExitCode);
                    Assert.Equal("Error: container rootfs is marked read-only\n", refused.Stderr);
                }
                var volume = await bb.CliAsync("cp", file, "roc:/ro/");
                Assert.NotEqual(0, volume.ExitCode);
                Assert.Equal("Error: mounted volume is marked read-only\n", volume.Stderr);
                var stream = await Assert.ThrowsAsync<InvalidInputException>(() =>
                    bb.Store.Engine.Containers.ExtractToContainerAsync("roc", new MemoryStream(new byte[1024]), "/", CopyOptions.Default));
                Assert.Equal(ContainerWriteTarget.ReadOnlyRootfsMessage, stream.Message);

                // A read-write volume takes the copy, running or stopped (then the volume is attached for the copy);
                // reading out of the container is always allowed.
                await bb.OkAsync("cp", file, running ? "roc:/rw/copied.txt" : "roc:/rw/copied-stopped.txt");
                await bb.OkAsync("cp", "roc:/etc/passwd", Path.Combine(host.Path, $"passwd-{running}"));
                Assert.Contains("root:", File.ReadAllText(Path.Combine(host.Path, $"passwd-{running}")));
                Assert.NotEqual(0, (await bb.CliAsync("cp", "roc:/in.txt", Path.Combine(host.Path, "x"))).ExitCode);
                Assert.NotEqual(0, (await bb.CliAsync("cp", "roc:/etc/new.txt", Path.Combine(host.Path, "y"))).ExitCode);
            }
            await bb.OkAsync("start", "roc");
            Assert.Equal("data", await bb.OkAsync("exec", "roc", "cat", "/rw/copied.txt"));
            Assert.Equal("data", await bb.OkAsync("exec", "roc", "cat", "/rw/copied-stopped.txt"));
        }
        finally
        {
            await bb.CliAsync("rm", "-f", "-v", "roc");
            await bb.CliAsync("volume", "rm", "ro-vol", "rw-vol");
        }
    }

    [Theory]
    [InlineData("/", false, null)]
    [InlineData("/", true, ContainerWriteTarget.ReadOnlyRootfsMessage)]
    [InlineData("/data", true, null)]
    [InlineData("/data/sub", true, null)]
    [InlineData("/database", true, ContainerWriteTarget.ReadOnlyRootfsMessage)]
    [InlineData("/data/ro", false, ContainerWriteTarget.ReadOnlyVolumeMessage)]
    [InlineData("/data/ro/x", true, ContainerWriteTarget.ReadOnlyVolumeMessage)]
    [InlineData("/scratch", true, ContainerWriteTarget.ReadOnlyRootfsMessage)]
    public void Write_target_rule_follows_the_deepest_mount(string directory, bool readOnlyRoot, string? error)
    {
        var settings = new ContainerSettings
        {
            HostConfig = new HostSettings { ReadonlyRootfs = readOnlyRoot },
            Mounts =
            [
                new ContainerMount("volume", "/var/lib/v", "/data", ReadWrite: true, Name: "v"),
                new ContainerMount("bind", "/srv/x", "/data/ro", ReadWrite: false),
                new ContainerMount("tmpfs", "", "/scratch", ReadWrite: true),
            ],
        };
        if (error is null) ContainerWriteTarget.Check(settings, directory);
        else Assert.Equal(error, Assert.Throws<InvalidInputException>(() => ContainerWriteTarget.Check(settings, directory)).Message);
    }
}
