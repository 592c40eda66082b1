namespace Berth.Engine.Services.Containers;

/// <summary>
/// One container's cross-process lock (flock on locks/container-ID.lock): start, stop, rm and the conmon exit
/// command serialise on it, so two berth processes never change one container's state at once.
/// </summary>
static class ContainerLock
{
    public static StoreLock Acquire(string lockDirectory, string id) => StoreLock.Exclusive(lockDirectory, "container-" + id);
}
