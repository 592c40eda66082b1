namespace Berth.Engine.Services.Containers;

/// <summary>
/// One container's cross-process lock (flock on locks/container-ID.lock): start, stop, rm and the conmon exit
/// command serialise on it, so two berth processes never change one container's state at once. The container's removal
/// removes the lock file (see <see cref="StoreLock.RemoveFileOnRelease"/>).
/// </summary>
static class ContainerLock
{
    const string Prefix = "container-", Suffix = ".lock";

    public static StoreLock Acquire(string lockDirectory, string id) => StoreLock.Exclusive(lockDirectory, Prefix + id);

    /// <summary>The container IDs that have a lock file in <paramref name="lockDirectory"/>.</summary>
    public static IEnumerable<string> IdsWithLockFiles(string lockDirectory) =>
        !Directory.Exists(lockDirectory) ? [] :
        Directory.EnumerateFiles(lockDirectory, Prefix + "*" + Suffix)
            .Select(path => Path.GetFileName(path)[Prefix.Length..^Suffix.Length])
            .Where(ContainerNames.IsFullId);
}
