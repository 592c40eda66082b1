using Berth.Engine.Services;

namespace Berth.Tests.Support;

/// <summary>
/// Takes apart what a test left in a Berth store before its directory is deleted: removes its containers through the
/// engine (killing any still running, unmounting their root file systems, and removing conmon's socket links, which live
/// outside the store in /run/berth/socket), then waits until no process names the store any more (conmon and the exit
/// command it runs once its container has ended). Deleting the directory under such a process let it create part of the
/// store again (a `berth container cleanup` that found the database still there, then re-made what the delete had
/// already passed), which left a small store in /tmp per suite run.
/// </summary>
static class StoreTeardown
{
    static readonly TimeSpan ProcessesTimeout = TimeSpan.FromSeconds(10);

    /// <summary>For a store at <paramref name="directory"/> or in one of its subdirectories; nothing for a directory without one.</summary>
    public static void Run(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (string root in Directory.EnumerateDirectories(directory).Prepend(directory))
            if (File.Exists(Path.Combine(root, "berth.db"))) TakeApart(root);
    }

    static void TakeApart(string root)
    {
        string containers = Path.Combine(root, "containers");
        if (Directory.Exists(containers) && Directory.EnumerateFileSystemEntries(containers).Any())
            RemoveContainers(root);
        WaitForProcessesNaming(root);
    }

    static void RemoveContainers(string root)
    {
        try
        {
            var engine = BerthEngine.Open(root);
            foreach (var container in engine.Containers.List())
                engine.Containers.RemoveAsync(container.Id, force: true, volumes: true).GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // A store a test damaged on purpose (a truncated database, a missing directory): deleted as it is.
        }
    }

    static void WaitForProcessesNaming(string root)
    {
        var deadline = DateTime.UtcNow + ProcessesTimeout;
        while (DateTime.UtcNow < deadline && AnyProcessNames(root)) Thread.Sleep(10);
    }

    static bool AnyProcessNames(string root)
    {
        // Arguments are NUL-separated in cmdline: the store's path followed by a separator or the end of an argument.
        byte[] path = System.Text.Encoding.UTF8.GetBytes(root);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId) continue;
            byte[] commandLine;
            try { commandLine = File.ReadAllBytes(Path.Combine(dir, "cmdline")); }
            catch (IOException) { continue; } // ended meanwhile
            catch (UnauthorizedAccessException) { continue; }
            for (int at = commandLine.AsSpan().IndexOf(path); at >= 0; )
            {
                int end = at + path.Length;
                if (end == commandLine.Length || commandLine[end] is (byte)'/' or 0) return true;
                int next = commandLine.AsSpan(end).IndexOf(path);
                at = next < 0 ? -1 : end + next;
            }
        }
        return false;
    }
}
