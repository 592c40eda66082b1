using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// The exit files of removed containers, kept for a while in the exit directory's "removed" folder, so that a `wait` in
/// another process that looked at the container while it ran still gets its exit code when a removal (`rm -f`, an --rm
/// container's own) takes the container and its row away before the wait looks again (Docker's daemon tells its
/// waiters the code of a container it removes). Kept ten minutes: a wait polls at least every 25 ms.
/// </summary>
static class RemovedExitCodes
{
    static readonly TimeSpan KeptFor = TimeSpan.FromMinutes(10);

    static string Folder(string exitDirectory) => Path.Combine(exitDirectory, "removed");

    /// <summary>
    /// Moves container <paramref name="id"/>'s exit file (if any) among the removed ones, dropping those of containers that
    /// exited over <see cref="KeptFor"/> ago (a waiter needs the file only for its next look, at most 25 ms later). A rename: the file is never missing from both places.
    /// </summary>
    public static void Keep(string exitDirectory, string id)
    {
        string exitFile = Path.Combine(exitDirectory, id);
        if (!File.Exists(exitFile)) return;
        string folder = Folder(exitDirectory);
        Directory.CreateDirectory(folder);
        DropExpired(folder); // before the move: a file keeps its mtime, the container's exit, which may be long ago
        File.Move(exitFile, Path.Combine(folder, id), overwrite: true);
    }

    /// <summary>The exit code container <paramref name="id"/> had when it was removed, if it was removed lately.</summary>
    public static int? Read(string exitDirectory, string id) => ConmonMonitor.ReadExitCode(Folder(exitDirectory), id);

    /// <summary>
    /// Deletes the files older than <see cref="KeptFor"/>, at most once per <see cref="KeptFor"/> (the time of the last
    /// sweep is the mtime of ".swept"): a loop of `run --rm` must not list thousands of files at every removal.
    /// </summary>
    static void DropExpired(string folder)
    {
        var oldest = DateTime.UtcNow - KeptFor;
        string marker = Path.Combine(folder, ".swept");
        if (File.Exists(marker) && File.GetLastWriteTimeUtc(marker) >= oldest) return;
        File.WriteAllBytes(marker, []);
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
        {
            try { if (file.LastWriteTimeUtc < oldest) file.Delete(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // another removal dropped it first, or it cannot go: a removal must not fail for it
        }
    }
}
