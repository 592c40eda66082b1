using Berth.Engine.Store;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// Held by the process that removes an --rm container itself once it has ended (an attached `run --rm`, `start -a`), for as
/// long as it will: an flock on removal.lock in the container's directory, which the kernel lets go if that process dies.
/// conmon then runs no exit command for the container (a fork and a shell at every exit, ~10 ms of CPU here, only to find
/// the removal under way). A container that has exited, is to be removed, has this lock file and nobody holding it was
/// left by a berth process that died: the next lookup removes it (<see cref="ContainerService.TryGet"/>,
/// <see cref="ContainerService.List"/>), as Docker's daemon would have.
/// </summary>
static class RemovalLease
{
    const string Name = "removal";

    /// <summary>Takes the lease on the container in <paramref name="containerDirectory"/>; dispose to let it go.</summary>
    public static StoreLock Take(string containerDirectory) => StoreLock.Exclusive(containerDirectory, Name);

    /// <summary>True when a process holds the container's lease: it is starting the container attached, or removing it.</summary>
    public static bool IsHeld(string containerDirectory) => IsFree(containerDirectory) == false;

    /// <summary>True when the container has a lease that no process holds any more.</summary>
    public static bool IsAbandoned(string containerDirectory) => IsFree(containerDirectory) == true;

    /// <summary>Whether the lease could be taken now; null when the container has none.</summary>
    static bool? IsFree(string containerDirectory)
    {
        try { return StoreLock.IsFree(containerDirectory, Name); }
        catch (IOException) { return false; } // the directory is going away: a removal is under way, as if held
    }
}
