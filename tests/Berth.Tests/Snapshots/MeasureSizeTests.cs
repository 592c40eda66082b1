using Berth.Engine.Snapshots;
using Berth.Tests.Support;

namespace Berth.Tests.Snapshots;

public class MeasureSizeTests
{
    [Fact]
    public void Symlinked_directories_are_counted_as_links_and_never_walked()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("a", "b"));
        File.WriteAllBytes(dir.Combine("a", "b", "file"), new byte[1000]);
        // Relative links between sibling folders, as Debian's /usr/share/doc has: a walk that follows them never ends.
        File.CreateSymbolicLink(dir.Combine("a", "b", "up"), "..");
        File.CreateSymbolicLink(dir.Combine("a", "loop"), "b");
        File.CreateSymbolicLink(dir.Combine("host"), "/");

        long size = SnapshotStore.MeasureSize(dir.Path);

        Assert.Equal(1000 + "..".Length + "b".Length + "/".Length, size);
    }
}
