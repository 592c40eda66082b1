using Berth.Engine;

namespace Berth.Tests.CrashSafety;

/// <summary>StoreLock's lock files can be removed by their holder without two processes ever holding one lock at once.</summary>
public class StoreLockTests
{
    [Fact]
    public async Task A_waiter_on_a_lock_file_its_holder_removed_locks_the_file_at_the_path_and_excludes_later_comers()
    {
        string dir = Directory.CreateTempSubdirectory("berth-lock-").FullName;
        try
        {
            string path = Path.Combine(dir, "x.lock");
            var first = StoreLock.Exclusive(dir, "x");
            first.RemoveFileOnRelease();
            var second = Task.Run(() => StoreLock.Exclusive(dir, "x"));
            await Task.Delay(200);
            Assert.False(second.IsCompleted, "the second acquisition waits for the first holder");

            first.Dispose();
            using var secondHeld = await second.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(File.Exists(path), "the second holder locked a file at the path again, not the removed one");

            // Had the second holder kept its lock on the removed file, this one would make a new file and get it at once.
            var third = Task.Run(() => StoreLock.Exclusive(dir, "x"));
            await Task.Delay(300);
            Assert.False(third.IsCompleted, "the third acquisition waits for the second holder");
            secondHeld.Dispose();
            using var thirdHeld = await third.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(File.Exists(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_lock_released_without_removal_keeps_its_file()
    {
        string dir = Directory.CreateTempSubdirectory("berth-lock-").FullName;
        try
        {
            using (StoreLock.Shared(dir, "kept")) { }
            Assert.True(File.Exists(Path.Combine(dir, "kept.lock")));
            using (var held = StoreLock.Exclusive(dir, "gone")) held.RemoveFileOnRelease();
            Assert.False(File.Exists(Path.Combine(dir, "gone.lock")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
