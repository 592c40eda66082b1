using System.Runtime.InteropServices;
using System.Text.Json;

namespace Berth.Engine.Runtime;

/// <summary>
/// Starts a created runc container the way `runc start` itself does (libcontainer's exec(): open the state directory's
/// exec.fifo for reading, which releases `runc init` blocked in opening it for writing; read its byte; remove the fifo,
/// which is what makes runc report the container as running). Done here because `runc start` is a whole Go process start,
/// about 8 ms of a 70 ms `run --rm` on two cores, for one open and read. Anything unexpected (no fifo or state, init
/// gone before it wrote) is left to `runc start`, so its checks and error messages stay the runtime's. As runc does, it
/// waits as long as init lives: once the fifo is open for reading init is released, so giving up then would start the
/// container and leave `runc start` waiting for a byte that was already written.
/// Berth's bundles have no OCI hooks, so skipping runc start's poststart hooks skips nothing.
/// </summary>
internal static partial class RuncExecFifo
{
    const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    /// <summary>The fifo of container <paramref name="id"/> under runc's state root (present while it is "created").</summary>
    public static string PathOf(string stateRoot, string id) => Path.Combine(stateRoot, id, "exec.fifo");

    /// <summary>Releases the container's process; false when it must be left to `runc start`.</summary>
    /// <param name="knownInitPid">The container's init process when the caller knows it; else it is read from state.json (a
    /// 20-40 KB document: ~1 ms and 130 KB of allocations of `run` here).</param>
    public static bool TryStart(string stateRoot, string id, CancellationToken cancellationToken, int knownInitPid = 0)
    {
        string fifo = PathOf(stateRoot, id);
        int? initPid = knownInitPid > 0 ? knownInitPid : InitPid(stateRoot, id);
        if (initPid is null || !File.Exists(fifo)) return false;
        // The last moment to give up: once the fifo is open for reading init is released, so from then on only its byte or
        // its end stops the wait (a cancelled caller would otherwise leave a running container recorded as created).
        cancellationToken.ThrowIfCancellationRequested();
        // Non-blocking: opening never waits for a writer, so a dead init cannot hang us; poll waits for its byte.
        int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) return false;
        try
        {
            bool released = false;
            Span<byte> onlyByte = stackalloc byte[1];
            while (!released)
            {
                int ready = NativeProcess.PollReadable(fd, 50, out short revents);
                if (ready < 0) return false;
                if (ready > 0)
                {
                    // A byte: init has it and goes on to exec the container's process. Hang-up without one: init went away.
                    if ((revents & NativeProcess.POLLIN) != 0 && NativeProcess.Read(fd, onlyByte) == 1) { released = true; continue; }
                    if ((revents & NativeProcess.POLLHUP) != 0) return false;
                    continue;
                }
                if (!NativeProcess.IsRunning(initPid.Value)) return false;
            }
        }
        finally
        {
            NativeProcess.CloseFd(fd);
        }
        // The process may already have run and ended, and the exit command deleted the runtime's state with the fifo in it.
        try { File.Delete(fifo); }
        catch (DirectoryNotFoundException) { }
        return true;
    }

    /// <summary>runc's record of the container's init process (state.json's init_process_pid), or null.</summary>
    static int? InitPid(string stateRoot, string id)
    {
        try
        {
            using var state = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(stateRoot, id, "state.json")));
            return state.RootElement.TryGetProperty("init_process_pid", out var pid) && pid.TryGetInt32(out int value) && value > 0 ? value : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
