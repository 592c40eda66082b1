namespace Berth.Tests.Containers;

/// <summary>A container's lock file (locks/container-ID.lock) goes with the container; prune removes ones left by older stores.</summary>
public class ContainerLockFileTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    string LockFile(string id) => Path.Combine(bb.Store.Root, "locks", "container-" + id + ".lock");

    string[] ContainerLockFiles() => Directory.GetFiles(Path.Combine(bb.Store.Root, "locks"), "container-*");

    static Task<bool> Gone(string path) => Berth.Tests.Runtime.TestContainer.WaitUntil(() => !File.Exists(path), 15_000);

    [Fact]
    public async Task Removing_a_container_removes_its_lock_file_and_prune_removes_stale_ones()
    {
        // rm of a created container, and run --rm (removed by the attached berth itself).
        string created = (await bb.OkAsync("create", "--network", "none", "bb", "true")).Trim();
        await bb.OkAsync("start", created); // takes the container's lock, making its file
        Assert.True(File.Exists(LockFile(created)));
        await bb.OkAsync("wait", created);
        await bb.OkAsync("rm", created);
        // conmon's exit command (`container cleanup`) may still be waiting for the lock: it finds the container gone and
        // removes the lock file its own open made again, so the file is gone once that is done too.
        Assert.True(await Gone(LockFile(created)), "rm should remove the container's lock file");

        await bb.OkAsync("run", "--rm", "--name", "lockfile-rm", "--network", "none", "bb", "true");
        // No container is left in this store, so no container's lock file may stay.
        Assert.True(await Berth.Tests.Runtime.TestContainer.WaitUntil(() => ContainerLockFiles().Length == 0, 15_000),
            "run --rm should leave no lock file: " + string.Join(", ", ContainerLockFiles()));

        // As an earlier version left them: a lock file of a container that no longer exists, beside a live container's.
        string stale = new string('e', 63) + "1";
        File.WriteAllText(LockFile(stale), "");
        string kept = (await bb.OkAsync("run", "-d", "--network", "none", "bb", "sleep", "100")).Trim();
        Assert.True(File.Exists(LockFile(kept)));
        await bb.OkAsync("container", "prune", "-f");
        Assert.False(File.Exists(LockFile(stale)), "prune should remove the lock file of a container that is gone");
        Assert.True(File.Exists(LockFile(kept)), "prune keeps a living container's lock file");
        await bb.OkAsync("rm", "-f", kept);
        Assert.True(await Gone(LockFile(kept)), "rm -f should remove the container's lock file");
    }
}
