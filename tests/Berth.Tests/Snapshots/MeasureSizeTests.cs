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

    [Fact]
    public async Task A_tree_removed_before_or_while_it_is_measured_counts_for_nothing_instead_of_failing()
    {
        // The soak's "Could not find a part of the path …/active-ID/fs": system prune sized a container that its
        // `run --rm` was removing at that moment.
        using var dir = new TempDirectory();
        Assert.Equal(0, SnapshotStore.MeasureSize(dir.Combine("gone")));
        for (int i = 0; i < 200; i++)
        {
            Directory.CreateDirectory(dir.Combine("tree", $"d{i}"));
            File.WriteAllBytes(dir.Combine("tree", $"d{i}", "f"), new byte[10]);
        }
        var removal = Task.Run(() => Directory.Delete(dir.Combine("tree"), recursive: true));
        long size = SnapshotStore.MeasureSize(dir.Combine("tree"));
        await removal;
        Assert.InRange(size, 0, 2000);
    }
}
