using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Berth.Engine.Runtime;

/// <summary>
/// Starts a program with chosen file descriptors (conmon reads its sync, start and attach pipes from fds named in its
/// environment), which System.Diagnostics.Process cannot do. Uses posix_spawn, safe in a multi-threaded process.
/// </summary>
internal static partial class NativeProcess
{
    private const int SOCK_STREAM = 1;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int AF_UNIX = 1;
    private const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_TRUNC = 0x200, O_APPEND = 0x400;
    private const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    private const int EINTR = 4, ECHILD = 10, ESRCH = 3;
    private const int WNOHANG = 1;

    /// <summary>A file descriptor to hand to the child: our <paramref name="ParentFd"/> becomes its <paramref name="ChildFd"/>.</summary>
    public readonly record struct FdMapping(int ParentFd, int ChildFd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socketpair(int domain, int type, int protocol, Span<int> fds);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, out int status, int options);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial int posix_spawn(out int pid, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr fileActions, IntPtr attr, IntPtr[] argv, IntPtr[] envp);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(IntPtr fileActions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(IntPtr fileActions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_adddup2(IntPtr fileActions, int fd, int newFd);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addopen(IntPtr fileActions, int fd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addchdir_np(IntPtr fileActions, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_init(IntPtr attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_destroy(IntPtr attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setflags(IntPtr attr, short flags);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigmask(IntPtr attr, IntPtr sigset);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigdefault(IntPtr attr, IntPtr sigset);

    [LibraryImport("libc")]
    private static partial int sigemptyset(IntPtr set);

    [LibraryImport("libc")]
    private static partial int sigfillset(IntPtr set);

    [LibraryImport("libc")]
    private static partial int sigdelset(IntPtr set, int signal);

    /// <summary>
    /// A connected pair of unix stream sockets: ours as a .NET <see cref="Socket"/>, the other as a raw fd to pass to a child
    /// (close it with <see cref="CloseFd"/> after spawning). Both ends are close-on-exec, so no other child inherits them.
    /// Programs that write() or read() a "pipe" fd work unchanged on a socket.
    /// </summary>
    public static (Socket Ours, int Theirs) CreateSocketPair()
    {
        var (ours, theirs) = CreateSocketPairFds();
        return (AsSocket(ours), theirs);
    }

    /// <summary>
    /// <see cref="CreateSocketPair"/> with both ends as raw fds: making a <see cref="Socket"/> queries the descriptor and
    /// sets up the socket machinery (~1 ms of a first one here), which <see cref="AsSocket"/> can do later, off the way.
    /// </summary>
    public static (int Ours, int Theirs) CreateSocketPairFds()
    {
        Span<int> fds = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            throw new RuntimeException($"socketpair failed: errno {Marshal.GetLastPInvokeError()}");
        return (fds[0], fds[1]);
    }

    /// <summary>A .NET socket owning <paramref name="fd"/>.</summary>
    public static Socket AsSocket(int fd) => new(new SafeSocketHandle((IntPtr)fd, ownsHandle: true));

    /// <summary>Writes one zero byte to <paramref name="fd"/> (a pipe or socket), retrying on EINTR; false on failure.</summary>
    public static bool WriteByte(int fd)
    {
        ReadOnlySpan<byte> zero = [0];
        nint n;
        do n = write(fd, zero, 1);
        while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);
        return n == 1;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, ReadOnlySpan<byte> buffer, nuint count);

    public static void CloseFd(int fd)
    {
        if (fd >= 0) close(fd);
    }

    /// <summary>
    /// Starts <paramref name="path"/> with argv and envp, the given fds mapped (dup2 clears close-on-exec in the child), stdin
    /// from /dev/null and stdout+stderr appended to <paramref name="outputFile"/> (or /dev/null). Signal mask and handlers
    /// are reset so the child does not inherit .NET's ignored SIGPIPE.
    /// </summary>
    /// <param name="workingDirectory">The child's current directory (conmon writes its "oom" file there), or ours.</param>
    /// <param name="newSession">The child starts in a session (and process group) of its own, out of reach of the terminal's
    /// signals to ours (glibc's POSIX_SPAWN_SETSID).</param>
    public static int Spawn(string path, IReadOnlyList<string> argv, IEnumerable<string> env, IReadOnlyList<FdMapping> fds, string? outputFile,
        string? workingDirectory = null, bool newSession = false)
    {
        var allocated = new List<IntPtr>();
        IntPtr fileActions = Marshal.AllocHGlobal(1024), attr = Marshal.AllocHGlobal(1024), sigset = Marshal.AllocHGlobal(256);
        try
        {
            IntPtr[] Strings(IEnumerable<string> values)
            {
                var list = new List<IntPtr>();
                foreach (var v in values)
                {
                    var p = Marshal.StringToCoTaskMemUTF8(v);
                    allocated.Add(p);
                    list.Add(p);
                }
                list.Add(IntPtr.Zero);
                return list.ToArray();
            }

            posix_spawn_file_actions_init(fileActions);
            posix_spawn_file_actions_addopen(fileActions, 0, "/dev/null", O_RDONLY, 0);
            string output = outputFile ?? "/dev/null";
            posix_spawn_file_actions_addopen(fileActions, 1, output, O_WRONLY | O_CREAT | O_APPEND | (outputFile is null ? 0 : O_TRUNC), 0x1a0 /* 0640 */);
            posix_spawn_file_actions_adddup2(fileActions, 1, 2);
            foreach (var m in fds)
                posix_spawn_file_actions_adddup2(fileActions, m.ParentFd, m.ChildFd);
            if (workingDirectory is not null) posix_spawn_file_actions_addchdir_np(fileActions, workingDirectory);

            posix_spawnattr_init(attr);
            sigemptyset(sigset);
            posix_spawnattr_setsigmask(attr, sigset);
            sigfillset(sigset);
            sigdelset(sigset, 9);
            sigdelset(sigset, 19);
            posix_spawnattr_setsigdefault(attr, sigset);
            posix_spawnattr_setflags(attr, (short)(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (newSession ? POSIX_SPAWN_SETSID : 0)));

            int rc = posix_spawn(out int pid, path, fileActions, attr, Strings(argv), Strings(env));
            if (rc != 0)
                throw new RuntimeException($"cannot start {path}: errno {rc}");
            return pid;
        }
        finally
        {
            posix_spawn_file_actions_destroy(fileActions);
            posix_spawnattr_destroy(attr);
            Marshal.FreeHGlobal(fileActions);
            Marshal.FreeHGlobal(attr);
            Marshal.FreeHGlobal(sigset);
            foreach (var p in allocated) Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>This process's environment as NAME=value strings, for <see cref="Spawn"/>.</summary>
    public static List<string> CurrentEnvironment()
    {
        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) env.Add($"{e.Key}={e.Value}");
        return env;
    }

    /// <summary>Waits for a child started by <see cref="Spawn"/> and returns its exit code (128+signal when killed).</summary>
    public static int WaitForExit(int pid)
    {
        while (true)
        {
            int rc = waitpid(pid, out int status, 0);
            if (rc == pid) return ExitCode(status);
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR) continue;
            if (errno == ECHILD) return -1;
            throw new RuntimeException($"waitpid({pid}) failed: errno {errno}");
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkfifo(string path, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    private const int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;

    /// <summary>
    /// Makes a FIFO at <paramref name="path"/> and opens it for reading and writing without blocking (so a reader's open
    /// never waits for a writer); the descriptor, to <see cref="CloseFd"/>.
    /// </summary>
    public static int MakeOpenFifo(string path)
    {
        if (mkfifo(path, 0x1a4 /* 0644 */) != 0)
            throw new IOException($"cannot make the FIFO {path}: errno {Marshal.GetLastPInvokeError()}");
        int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            File.Delete(path);
            throw new IOException($"cannot open the FIFO {path}: errno {errno}");
        }
        return fd;
    }

    /// <summary>How many bytes the pipe or FIFO <paramref name="fd"/> holds that no reader has taken yet.</summary>
    public static int BytesInPipe(int fd)
    {
        if (ioctl(fd, FIONREAD, out int count) != 0)
            throw new IOException($"cannot read how much pipe {fd} holds: errno {Marshal.GetLastPInvokeError()}");
        return count;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, nuint request, out int value);

    private const nuint FIONREAD = 0x541B;

    /// <summary>
    /// Puts all of <paramref name="bytes"/> into the FIFO <paramref name="fd"/> at once, growing its buffer to hold them; false
    /// (nothing written) when it cannot hold them.
    /// </summary>
    public static bool TryFillFifo(int fd, ReadOnlySpan<byte> bytes)
    {
        if (fcntl(fd, F_GETPIPE_SZ, 0) < bytes.Length && fcntl(fd, F_SETPIPE_SZ, bytes.Length) < bytes.Length) return false;
        nint n;
        do n = write(fd, bytes, (nuint)bytes.Length);
        while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);
        if (n == bytes.Length) return true;
        if (n > 0) throw new IOException($"a FIFO took {n} of {bytes.Length} bytes"); // cannot happen: it had room for all
        return false;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(ref PollFd fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, Span<byte> buffer, nuint count);

    public const short POLLIN = 0x1, POLLHUP = 0x10;

    /// <summary>
    /// poll(2) of <paramref name="fd"/> for reading, up to <paramref name="timeoutMs"/>, retrying on EINTR: 1 with what it
    /// reported in <paramref name="revents"/> (POLLIN, POLLHUP, ...), 0 when the time ran out, -1 with errno set.
    /// </summary>
    public static int PollReadable(int fd, int timeoutMs, out short revents)
    {
        var pfd = new PollFd { Fd = fd, Events = POLLIN };
        int ready;
        do ready = poll(ref pfd, 1, timeoutMs);
        while (ready < 0 && Marshal.GetLastPInvokeError() == EINTR);
        revents = pfd.Revents;
        return ready;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for <paramref name="fd"/> to have something to read (data, its end or an
    /// error, which the read then reports); false when the time ran out.
    /// </summary>
    public static bool WaitReadable(int fd, int timeoutMs)
    {
        int ready = PollReadable(fd, timeoutMs, out _);
        if (ready < 0) throw new RuntimeException($"poll of fd {fd} failed: errno {Marshal.GetLastPInvokeError()}");
        return ready > 0;
    }

    /// <summary>One read(2) of <paramref name="fd"/> into <paramref name="buffer"/>, retrying on EINTR: the bytes read, 0 at its end, -1 with errno set.</summary>
    public static int Read(int fd, Span<byte> buffer)
    {
        nint n;
        do n = read(fd, buffer, (nuint)buffer.Length);
        while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);
        return (int)n;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, ReadOnlySpan<byte> address, uint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int shutdown(int fd, int how);

    private const int SOCK_SEQPACKET = 5, SHUT_RDWR = 2;

    /// <summary>
    /// A SOCK_SEQPACKET unix socket connected to <paramref name="path"/> as a raw, blocking, close-on-exec descriptor (make
    /// it a <see cref="Socket"/> with <see cref="AsSocket"/> when it is to be used asynchronously); -1 with errno set when
    /// it cannot connect. Done here rather than with <see cref="Socket"/>, whose first use starts the sockets engine (an
    /// epoll thread the caller waits to see running, and probes of the address families: ~1 ms here). A path longer than
    /// sockaddr_un holds (107 bytes) throws <see cref="RuntimeException"/>.
    /// </summary>
    public static int ConnectUnixSeqpacket(string path)
    {
        // struct sockaddr_un: sa_family_t (AF_UNIX), then the path, NUL-terminated, in at most 108 bytes.
        Span<byte> address = stackalloc byte[2 + 108];
        address.Clear();
        BitConverter.TryWriteBytes(address, (ushort)AF_UNIX);
        if (System.Text.Encoding.UTF8.GetByteCount(path) > 107) throw new RuntimeException($"socket path too long: {path}");
        int length = System.Text.Encoding.UTF8.GetBytes(path, address[2..^1]);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        int rc;
        do rc = connect(fd, address, (uint)(2 + length + 1));
        while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);
        if (rc == 0) return fd;
        int errno = Marshal.GetLastPInvokeError();
        close(fd);
        Marshal.SetLastPInvokeError(errno);
        return -1;
    }

    /// <summary>Shuts both directions of the socket <paramref name="fd"/> down, which ends a read blocked on it.</summary>
    public static void ShutdownSocket(int fd) => shutdown(fd, SHUT_RDWR);

    /// <summary>Reaps a child started by <see cref="Spawn"/> if it has ended; false while it runs.</summary>
    public static bool TryReap(int pid) => TryReap(pid, out _);

    /// <summary>
    /// <see cref="TryReap(int)"/>, with the exit code (128+signal when killed) of a child reaped now; -1 when it was not
    /// reaped now (not our child, or reaped already).
    /// </summary>
    public static bool TryReap(int pid, out int exitCode)
    {
        int rc, status;
        do rc = waitpid(pid, out status, WNOHANG);
        while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);
        exitCode = rc == pid ? ExitCode(status) : -1;
        return rc != 0; // its pid (reaped now) or -1 (not our child, or reaped already)
    }

    static int ExitCode(int status)
    {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    /// <summary>Sends a signal; false when the process no longer exists.</summary>
    public static bool Signal(int pid, int signal)
    {
        return pid > 0 && kill(pid, signal) == 0;
    }

    /// <summary>Sends a signal to every process of group <paramref name="groupId"/>; false when there is none.</summary>
    public static bool SignalGroup(int groupId, int signal) => groupId > 0 && kill(-groupId, signal) == 0;

    /// <summary>
    /// Waits until no process of group <paramref name="groupId"/> runs any more (zombies have ended), at most
    /// <paramref name="timeout"/>; false if one still runs then. A SIGKILL is delivered at once but the process takes a
    /// while to end (a Go runtime's threads, its memory), so a killed group is not gone when the signal call returns.
    /// </summary>
    public static bool WaitForGroupToEnd(int groupId, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            if (!GroupHasRunningMember(groupId)) return true;
            if (Environment.TickCount64 >= deadline) return false;
            Thread.Sleep(2);
        }
    }

    static bool GroupHasRunningMember(int groupId)
    {
        if (groupId <= 0 || (kill(-groupId, 0) != 0 && Marshal.GetLastPInvokeError() == ESRCH)) return false;
        // Members left: running ones, or zombies whose new parent has not reaped them yet.
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir.AsSpan()), out _)) continue;
            if (StatFields(dir + "/stat") is not { } stat || HasEnded(stat)) continue; // (or it ended while we looked)
            string[] fields = stat.Split(' ', 4); // STATE PPID PGRP ...
            if (fields.Length >= 3 && int.TryParse(fields[2], out int group) && group == groupId) return true;
        }
        return false;
    }

    /// <summary>True while the process exists and has not ended (a zombie, or a dead task, has ended).</summary>
    public static bool IsRunning(int pid) => StatFields($"/proc/{pid}/stat") is { } stat && !HasEnded(stat);

    /// <summary>
    /// A /proc/PID/stat file's fields after the command's closing parenthesis ("STATE PPID PGRP ..."; empty when they
    /// cannot be found), or null when the file cannot be read: no such process (the file or its directory is gone).
    /// </summary>
    static string? StatFields(string statPath)
    {
        string stat;
        try { stat = File.ReadAllText(statPath); }
        catch (IOException) { return null; }
        int close = stat.LastIndexOf(')');
        return close > 0 && close + 2 < stat.Length ? stat[(close + 2)..] : "";
    }

    /// <summary>Whether the state (first of <see cref="StatFields"/>) says the process has ended: a zombie or a dead task.</summary>
    static bool HasEnded(string statFields) => statFields.Length > 0 && statFields[0] is 'Z' or 'X';

    /// <summary>True when a process with this pid exists (it may be a zombie).</summary>
    public static bool Exists(int pid) => pid > 0 && (kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != ESRCH);
}
