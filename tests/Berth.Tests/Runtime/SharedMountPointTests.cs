using Berth.Engine.Runtime;
using Berth.Engine.Services.Containers;

namespace Berth.Tests.Runtime;

/// <summary>The shared mount point made for crun's launcher, the mount table lookups around it, and the spec FIFO's fill level.</summary>
public class SharedMountPointTests
{
    [Fact]
    public void A_shared_mount_point_is_a_bind_mount_below_a_later_mount_and_all_of_it_is_unmounted()
    {
        TestContainer.RequireTools();
        string dir = Path.Combine(Path.GetTempPath(), "berth-shared-" + Guid.NewGuid().ToString("N")[..12]);
        string point = Path.Combine(dir, "rootfs");
        try
        {
            SharedMountPoint.Make(point);
            Assert.NotNull(MountTable.TopMountAt(point));
            Assert.Contains(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == point && l.Contains(" shared:"));
            Assert.False(RootfsMount.IsMounted(point)); // no overlay on it yet
            SharedMountPoint.Make(point); // again: nothing stacked
            Assert.Single(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == point);

            Run("mount", "-t", "tmpfs", "tmpfs", point);
            Assert.Equal("tmpfs", MountTable.TopMountAt(point));
            SharedMountPoint.UnmountAll(point);
            Assert.Null(MountTable.TopMountAt(point));
            SharedMountPoint.UnmountAll(point); // nothing mounted: fine
            SharedMountPoint.UnmountAll(Path.Combine(dir, "missing"));
        }
        finally
        {
            SharedMountPoint.UnmountAll(point);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_private_mount_left_at_the_point_is_made_shared_not_covered()
    {
        TestContainer.RequireTools();
        string point = Directory.CreateTempSubdirectory("berth-left-").FullName;
        try
        {
            Run("mount", "--bind", "--make-private", point, point);
            Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == point && l.Contains(" shared:"));
            SharedMountPoint.Make(point);
            Assert.Single(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == point && l.Contains(" shared:"));
        }
        finally
        {
            SharedMountPoint.UnmountAll(point);
            Directory.Delete(point);
        }
    }

    [Fact]
    public void Nothing_mounted_at_a_plain_directory()
    {
        string dir = Directory.CreateTempSubdirectory("berth-plain-").FullName;
        try { Assert.Null(MountTable.TopMountAt(dir)); }
        finally { Directory.Delete(dir); }
        Assert.Equal("proc", MountTable.TopMountAt("/proc"));
    }

    [Fact]
    public void A_fifo_holds_what_was_written_until_a_reader_drains_it()
    {
        string dir = Directory.CreateTempSubdirectory("berth-fifo-").FullName;
        string path = Path.Combine(dir, "config.json");
        int fd = NativeProcess.MakeOpenFifo(path);
        try
        {
            Assert.Equal(0, NativeProcess.BytesInPipe(fd));
            Assert.True(NativeProcess.TryFillFifo(fd, "{\"ociVersion\":\"1.0.2\"}"u8));
            Assert.Equal(22, NativeProcess.BytesInPipe(fd));
            using (var reader = new FileStream(path, FileMode.Open, FileAccess.Read))
            {
                var buffer = new byte[64];
                Assert.Equal(22, reader.Read(buffer));
            }
            Assert.Equal(0, NativeProcess.BytesInPipe(fd));
        }
        finally
        {
            NativeProcess.CloseFd(fd);
            Directory.Delete(dir, recursive: true);
        }
    }

    static void Run(string program, params string[] arguments)
    {
        var info = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
    }
}
