namespace Berth.Engine.Runtime;

/// <summary>
/// `runc delete` of a container whose init has ended, done the way runc's delete does it for such a container
/// (libcontainer's destroy(): with its own pid namespace no process outlives init, so it removes the cgroups, then the
/// state directory, then runs poststop hooks). Done here because `runc delete` is a whole Go process start, ~20 ms of CPU
/// that on two cores competes with the rest of a `run --rm`. Berth's bundles have no hooks and use runc's cgroupfs
/// driver, so this skips nothing. A cgroup that cannot be removed (a process still in it) leaves the rest to `runc delete`.
/// </summary>
internal static class RuncStoppedDelete
{
    /// <summary>Removes the cgroups, then runc's state directory; false when a cgroup is still in use (nothing further done).</summary>
    public static bool TryDelete(string stateRoot, string id, IEnumerable<string> cgroupDirectories)
    {
        foreach (string dir in cgroupDirectories)
        {
            try { Directory.Delete(dir); }
            catch (DirectoryNotFoundException) { }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }
        string state = Path.Combine(stateRoot, id);
        try { Directory.Delete(state, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { return false; }
        return true;
    }
}
