using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Berth.Engine.IO;

namespace Berth.Engine.Runtime;

/// <summary>
/// Runs conmon (containers/conmon, as Podman does) as each container's monitor. conmon runs the runtime's create (or exec),
/// writes the container's output to a k8s-file log, serves an attach socket, and writes the exit code to
/// &lt;exit dir&gt;/&lt;id&gt; when the container ends, then runs the exit command. conmon forks once more to leave us
/// (its first process writes the monitor's pid file and exits), except for a container this process waits for
/// (<see cref="MonitorOptions.WaitedForHere"/>): that conmon is started with --sync in a session of its own and stays our
/// child (the fork of a process with a dozen libraries mapped, and the first process's exit, were ~2 ms of every
/// attached `run`); it outlives us like any orphan, and <see cref="ReapEnded"/> collects the ones that end while we run.
/// </summary>
/// <remarks>
/// Protocol (conmon --api-version 1): the fd named by _OCI_SYNCPIPE receives JSON lines: <c>{"data": PID}</c> once the
/// container is created, or <c>{"data": -1, "message": "runtime stderr"}</c> when the runtime failed; for exec sessions a
/// second line <c>{"data": EXITCODE}</c> follows when the process ends. For attached exec, conmon first waits on
/// _OCI_STARTPIPE, reports on _OCI_ATTACHPIPE once its attach socket listens, and runs the process after a second write to
/// the start pipe, so no output is lost. We pass unix socket pairs as these "pipes".
/// </remarks>
public sealed class ConmonMonitor : IContainerMonitor
{
    private const int SyncFd = 3, StartFd = 4, AttachFd = 5;

    private readonly IOciRuntime _runtime;

    public ConmonMonitor(IOciRuntime runtime, string? conmonPath = null, string? socketDir = null)
    {
        _runtime = runtime;
        ConmonPath = OciRuntime.FindBinary(conmonPath ?? "conmon")
            ?? throw new RuntimeException("conmon not found: install it (scripts/install-deps.sh)");
        SocketDir = socketDir ?? "/run/berth/socket";
    }

    public string ConmonPath { get; }
    /// <summary>Directory of short symlinks to bundles, keeping attach socket paths under the 108-byte unix limit.</summary>
    public string SocketDir { get; }

    /// <summary>How long to wait for conmon to report that the runtime created the container.</summary>
    public TimeSpan CreateTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The exit code conmon wrote for a container, or null when it has not exited (or had no monitor).</summary>
    public static int? ReadExitCode(string exitDir, string containerId)
    {
        string? text = OptionalFile.ReadAllText(Path.Combine(exitDir, containerId))?.Trim();
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int code) ? code : null;
    }

    public string AttachSocketPath(string uuid) => Path.Combine(SocketDir, uuid, "attach");

    public async Task<MonitoredContainer> CreateAsync(MonitorOptions options, CancellationToken cancellationToken = default)
    {
        using var launched = Launch(options, waitsForBundle: options.PrepareBundle is not null);
        return await CompleteAsync(launched, options.PrepareBundle, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts conmon for <paramref name="options"/>' container. Without <paramref name="waitsForBundle"/> the bundle must be
    /// ready already. With it, the bundle is made meanwhile and <see cref="CompleteAsync"/> hands it over, so conmon's start
    /// overlaps whatever the caller does meanwhile:
    /// <list type="bullet">
    /// <item>for a runtime that <see cref="IOciRuntime.ReadsSpecFromFifo"/>, conmon goes on at once, sets itself up and
    /// starts the runtime's create, which waits on config.json, a FIFO here until the bundle is ready (conmon's start and
    /// set-up and runc's start, ~10 ms here, no longer precede the create);</item>
    /// <item>otherwise conmon waits on its start pipe (read before it forks or runs anything) until it is let go (its
    /// process start, ~4 ms of loading libraries here, is what overlaps).</item>
    /// </list>
    /// Disposing the result before the bundle was handed over kills conmon (and the waiting runtime), which have then
    /// created nothing.
    /// </summary>
    public LaunchedMonitor Launch(MonitorOptions options, bool waitsForBundle)
    {
        if (!waitsForBundle) CheckSpec(options, options.Spec ?? OciBundle.Read(options.BundlePath));
        Directory.CreateDirectory(options.ExitDir);
        Directory.CreateDirectory(SocketDir);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.LogPath))!);
        if (options.PersistDir is not null) Directory.CreateDirectory(options.PersistDir);
        File.Delete(Path.Combine(options.ExitDir, options.ContainerId));

        string pidFile = Path.Combine(options.BundlePath, "pidfile");
        string conmonPidFile = Path.Combine(options.BundlePath, "conmon.pid");
        File.Delete(pidFile);
        ReapEnded();
        bool child = options.WaitedForHere;
        var args = new List<string>
        {
            ConmonPath, "--api-version", "1",
            "-c", options.ContainerId, "-u", options.ContainerId,
            "-r", _runtime.BinaryPath,
            "-b", options.BundlePath,
            "-p", pidFile,
            "-n", options.Name ?? options.ContainerId,
            "-l", "k8s-file:" + options.LogPath,
            "--exit-dir", options.ExitDir,
            "--socket-dir-path", SocketDir,
        };
        args.AddRange(child ? ["--sync"] : ["--conmon-pidfile", conmonPidFile]);
        foreach (var a in _runtime.GlobalArgs) args.AddRange(["--runtime-arg", a]);
        if (options.Terminal) args.Add("-t");
        if (options.Stdin) args.Add("-i");
        if (options.LeaveStdinOpen) args.Add("--leave-stdin-open");
        if (options.PersistDir is not null) args.AddRange(["--persist-dir", options.PersistDir]);
        if (options.LogSizeMax is > 0) args.AddRange(["--log-size-max", options.LogSizeMax.Value.ToString(CultureInfo.InvariantCulture)]);
        // conmon would fsync the log before it writes the exit file, so every exit waits for a disk flush (1-3 ms here, more
        // on a busy disk). Docker's json-file driver never syncs its logs either.
        args.Add("--no-sync-log");
        if (options.ExitCommand is not null)
        {
            args.AddRange(["--exit-command", options.ExitCommand]);
            foreach (var a in options.ExitCommandArgs) args.AddRange(["--exit-command-arg", a]);
            if (options.ExitDelaySeconds is { } delay)
                args.AddRange(["--exit-delay", delay.ToString(CultureInfo.InvariantCulture)]);
        }

        // Raw descriptors: the sync end becomes a Socket only if it is read asynchronously (see LaunchedMonitor.Sync, SyncReader).
        // Only a conmon that stays our child can be killed with the runtime it started (its process group) if the bundle
        // never comes; one that left is in a session of its own we do not know.
        bool specFifo = waitsForBundle && child && _runtime.ReadsSpecFromFifo
            && (!_runtime.SeesLaterMountsOnlyByPropagation || options.RootfsMountPoint is not null);
        int fifo = -1;
        List<string> sharedMountPoints = [];
        if (specFifo)
        {
            string config = Path.Combine(options.BundlePath, OciBundle.ConfigFile);
            File.Delete(config); // a previous run's
            fifo = NativeProcess.MakeOpenFifo(config);
            // The root file system is mounted after the runtime has made its namespace: it gets there from a shared mount.
            if (_runtime.SeesLaterMountsOnlyByPropagation)
            {
                try
                {
                    foreach (var mountPoint in new[] { options.RootfsMountPoint!, options.ShmMountPoint })
                    {
                        if (mountPoint is null) continue;
                        SharedMountPoint.Make(mountPoint);
                        sharedMountPoints.Add(mountPoint);
                    }
                }
                catch
                {
                    NativeProcess.CloseFd(fifo);
                    File.Delete(config);
                    foreach (var mountPoint in sharedMountPoints) SharedMountPoint.UnmountAll(mountPoint);
                    throw;
                }
            }
        }
        int sync = -1, syncChild = -1, start = -1, startChild = -1;
        bool needsEndOfFile = specFifo && _runtime.SpecFifoNeedsEndOfFile;
        try
        {
            (sync, syncChild) = NativeProcess.CreateSocketPairFds();
            if (waitsForBundle && !specFifo) (start, startChild) = NativeProcess.CreateSocketPairFds();
            var fds = new List<NativeProcess.FdMapping> { new(syncChild, SyncFd) };
            var pipes = new List<(string, int)> { ("_OCI_SYNCPIPE", SyncFd) };
            if (start >= 0) { fds.Add(new(startChild, StartFd)); pipes.Add(("_OCI_STARTPIPE", StartFd)); }
            string conmonOutput = Path.Combine(options.BundlePath, "conmon.out");
            int pid = NativeProcess.Spawn(ConmonPath, args, Environment([.. pipes]), fds, conmonOutput, options.BundlePath, newSession: child);
            if (child) lock (Children) Children.Add(pid);
            return new LaunchedMonitor(options, pid, child, sync, start, fifo, conmonOutput, Path.Combine(SocketDir, options.ContainerId), conmonPidFile)
            {
                SpecFifoNeedsEndOfFile = needsEndOfFile,
                SharedMountPoints = sharedMountPoints,
            };
        }
        catch
        {
            NativeProcess.CloseFd(sync);
            NativeProcess.CloseFd(start);
            if (fifo >= 0)
            {
                NativeProcess.CloseFd(fifo);
                File.Delete(Path.Combine(options.BundlePath, OciBundle.ConfigFile)); // no reader may block on a FIFO nobody fills
            }
            foreach (var mountPoint in sharedMountPoints) Runtime.SharedMountPoint.UnmountAll(mountPoint);
            throw;
        }
        finally
        {
            NativeProcess.CloseFd(syncChild);
            NativeProcess.CloseFd(startChild);
        }
    }

    /// <summary>
    /// Lets a launched conmon create its container: first runs <paramref name="prepareBundle"/> when conmon waits for the
    /// bundle (conmon is killed if it throws) and hands the bundle over, then waits until the runtime has created the
    /// container.
    /// </summary>
    public async Task<MonitoredContainer> CompleteAsync(LaunchedMonitor launched, Func<RuntimeSpec>? prepareBundle, CancellationToken cancellationToken = default)
    {
        var options = launched.Options;
        if (launched.WaitsForBundle)
        {
            RuntimeSpec spec;
            try
            {
                spec = prepareBundle?.Invoke() ?? options.Spec ?? OciBundle.Read(options.BundlePath);
                CheckSpec(options, spec);
            }
            catch
            {
                launched.Dispose(); // nothing is created before the bundle is handed over: killing conmon leaves nothing behind
                throw;
            }
            if (!launched.HandOver())
            {
                // A spec larger than a FIFO can hold: conmon again, given the file from the start (the first one's
                // Dispose removed config.json with its FIFO, so it is written again).
                launched.Dispose();
                OciBundle.Write(options.BundlePath, spec);
                using var again = Launch(options with { Spec = spec }, waitsForBundle: false);
                return await CompleteAsync(again, null, cancellationToken).ConfigureAwait(false);
            }
        }

        Diagnostics.PhaseTimer.Mark("conmon spawned");
        if (!launched.IsMonitor)
        {
            // conmon's first process forks the real monitor, writes its pid file and exits.
            int launcherExit = await Task.Run(() => WaitForChild(launched.Pid), cancellationToken).ConfigureAwait(false);
            if (launcherExit != 0)
                throw new RuntimeException($"conmon failed for {options.ContainerId}: {ConmonOutput(launched.OutputPath, launcherExit)}");
        }
        SyncReader.Message? message;
        try
        {
            if (launched.SpecFifoNeedsEndOfFile)
            {
                var reading = launched.Sync.ReadAsync(CreateTimeout, cancellationToken);
                await launched.CloseSpecFifoOnceDrainedAsync(reading).ConfigureAwait(false);
                message = await reading.ConfigureAwait(false);
            }
            // Nothing else to do meanwhile: waited for on this thread (see SyncReader.Read).
            else message = launched.Sync.Read(CreateTimeout, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or RuntimeException && launched.IsMonitor)
        {
            // Cancelled, or no report in time: conmon, the runtime's create and its init (one process group, conmon's
            // session) are killed, so none of them goes on to make or run the container after the caller has given up.
            launched.KillGroup();
            throw;
        }
        Diagnostics.PhaseTimer.Mark("conmon reported create");
        if (message is null)
        {
            // conmon closed its end without a report: it failed (its arguments, its set-up) and has ended or is ending.
            int code = launched.IsMonitor ? await Task.Run(() => WaitForChild(launched.Pid), cancellationToken).ConfigureAwait(false) : 0;
            throw new RuntimeException($"conmon exited without creating container {options.ContainerId}: {ConmonOutput(launched.OutputPath, code)}");
        }
        int monitorPid = launched.IsMonitor ? launched.Pid : ReadPid(launched.MonitorPidFile);
        if (message.Value.Data < 0)
            throw new RuntimeException($"{_runtime.Name} create {options.ContainerId}: {RuntimeMessage(message.Value.Text)}");
        TryDelete(launched.OutputPath);
        return new MonitoredContainer(options.ContainerId, message.Value.Data, monitorPid,
            AttachSocketPath(options.ContainerId), Path.Combine(options.BundlePath, "ctl"));
    }

    /// <summary>A conmon started by <see cref="Launch"/>, waiting for its bundle (or given it already) to create its container.</summary>
    public sealed class LaunchedMonitor : IDisposable
    {
        int _syncFd, _startFd, _specFifo;
        bool _waitsForBundle;
        SyncReader? _sync;

        internal LaunchedMonitor(MonitorOptions options, int pid, bool isMonitor, int syncFd, int startFd, int specFifo, string outputPath,
            string socketLink, string monitorPidFile)
        {
            Options = options;
            Pid = pid;
            IsMonitor = isMonitor;
            MonitorPidFile = monitorPidFile;
            _syncFd = syncFd;
            _startFd = startFd;
            _specFifo = specFifo;
            _waitsForBundle = startFd >= 0 || specFifo >= 0;
            OutputPath = outputPath;
            SocketLink = socketLink;
        }

        public MonitorOptions Options { get; }
        /// <summary>The conmon process we started: the monitor itself (<see cref="IsMonitor"/>) or the one that forks it.</summary>
        internal int Pid { get; }
        /// <summary>Started with --sync: the process we started is the monitor, and stays our child.</summary>
        internal bool IsMonitor { get; }
        /// <summary>Where the first process of a conmon that leaves writes the monitor's pid.</summary>
        internal string MonitorPidFile { get; }
        internal string OutputPath { get; }
        /// <summary>The link conmon makes in the socket directory for the attach socket.</summary>
        string SocketLink { get; }

        /// <summary>conmon (or the runtime it started) waits for the bundle, to be handed over by <see cref="HandOver"/>.</summary>
        internal bool WaitsForBundle => _waitsForBundle;

        /// <summary>The runtime reads the spec FIFO to its end: see <see cref="CloseSpecFifoOnceDrainedAsync"/>.</summary>
        internal bool SpecFifoNeedsEndOfFile { get; init; }

        /// <summary>
        /// The root file system's mount point and a shareable /dev/shm's, made shared mount points for this launch (see
        /// <see cref="MonitorOptions.RootfsMountPoint"/>).
        /// </summary>
        internal IReadOnlyList<string> SharedMountPoints { get; init; } = [];

        /// <summary>
        /// After <see cref="HandOver"/>, for a runtime that reads the spec to its end of file: closes our end of the FIFO as
        /// soon as the runtime has drained it (the runtime's next read then ends the file), checking every millisecond until
        /// <paramref name="created"/> completes (the runtime read the file that replaced the FIFO, or failed; <see cref="Dispose"/>
        /// closes it then). Never before it is drained: only a reader that has the FIFO open can drain it, whereas a runtime
        /// that found the FIFO under the name just before the file replaced it, and opened it after our close, would wait
        /// for a writer forever.
        /// </summary>
        internal async Task CloseSpecFifoOnceDrainedAsync(Task created)
        {
            while (!created.IsCompleted && _specFifo >= 0)
            {
                if (NativeProcess.BytesInPipe(_specFifo) == 0)
                {
                    CloseSpecFifo();
                    return;
                }
                await Task.WhenAny(created, Task.Delay(1)).ConfigureAwait(false);
            }
        }

        void CloseSpecFifo()
        {
            NativeProcess.CloseFd(_specFifo);
            _specFifo = -1;
        }

        /// <summary>conmon's reports (the container's pid, or an error), read once it runs the runtime's create.</summary>
        internal SyncReader Sync
        {
            get
            {
                if (_sync is null)
                {
                    _sync = new SyncReader(_syncFd);
                    _syncFd = -1;
                }
                return _sync;
            }
        }

        /// <summary>
        /// Hands the ready bundle over: the byte conmon waits for on its start pipe (it goes on to fork and run the runtime's
        /// create), or config.json's content into the FIFO the runtime reads it from (the file written meanwhile replaced the
        /// FIFO under that name; a runtime that opened it first reads the FIFO). False when the FIFO cannot hold the spec.
        /// </summary>
        internal bool HandOver()
        {
            if (_specFifo >= 0)
            {
                if (!NativeProcess.TryFillFifo(_specFifo, File.ReadAllBytes(Path.Combine(Options.BundlePath, OciBundle.ConfigFile)))) return false;
                // The FIFO stays open until the create is over (or, for a runtime that reads it to its end, until it is
                // drained: CloseSpecFifoOnceDrainedAsync): a runtime that found it under the name before the file replaced it
                // must not lose the spec or wait for a writer.
                _waitsForBundle = false;
                return true;
            }
            bool sent = NativeProcess.WriteByte(_startFd);
            NativeProcess.CloseFd(_startFd);
            _startFd = -1;
            _waitsForBundle = false;
            if (!sent) throw new RuntimeException($"conmon for {Options.ContainerId} went away before it was let go");
            return true;
        }

        /// <summary>Kills conmon and every process of its group (the runtime and what it started), and waits for them to end.</summary>
        internal void KillGroup()
        {
            NativeProcess.SignalGroup(Pid, 9);
            WaitForChild(Pid);
            NativeProcess.WaitForGroupToEnd(Pid, TimeSpan.FromSeconds(5));
        }

        /// <summary>Kills conmon (and the runtime waiting for the spec) if the bundle was never handed over; closes the pipes.</summary>
        public void Dispose()
        {
            if (_waitsForBundle)
            {
                _waitsForBundle = false;
                // With a spec FIFO conmon has set itself up and its runtime waits on config.json: kill them both (the runtime
                // is not our child: KillGroup waits for it to end before its bundle goes).
                if (_specFifo >= 0) KillGroup();
                else
                {
                    NativeProcess.Signal(Pid, 9);
                    WaitForChild(Pid);
                }
                TryDelete(OutputPath);
                if (_specFifo >= 0)
                {
                    RemoveLink(SocketLink);
                    // The shared mount points made for this launch (and whatever was mounted on them meanwhile).
                    foreach (var mountPoint in SharedMountPoints) Runtime.SharedMountPoint.UnmountAll(mountPoint);
                    // The FIFO, or a spec never handed over: no reader of the bundle may block on the one or trust the other.
                    TryDelete(Path.Combine(Options.BundlePath, OciBundle.ConfigFile));
                }
            }
            NativeProcess.CloseFd(_startFd);
            _startFd = -1;
            CloseSpecFifo();
            if (_sync is not null) _sync.Dispose();
            else NativeProcess.CloseFd(_syncFd);
            _syncFd = -1;
        }
    }

    /// <summary>Containers' conmon processes started by this process (our children, see the class remarks), until reaped.</summary>
    static readonly List<int> Children = [];

    /// <summary>Reaps the conmon processes of ours that have ended (a long-lived process would otherwise keep them as zombies).</summary>
    public static void ReapEnded()
    {
        lock (Children)
            Children.RemoveAll(pid =>
            {
                if (!NativeProcess.TryReap(pid, out int code)) return false;
                if (code < 0) return true;
                // Kept for a caller that may still ask (see ExitCodeOfChild); bounded for a long-lived process.
                if (EndedChildren.Count >= 256) EndedChildren.Clear();
                EndedChildren[pid] = code;
                return true;
            });
    }

    /// <summary>Exit codes of conmons of ours reaped by <see cref="ReapEnded"/>, by pid, for <see cref="ExitCodeOfChild"/>.</summary>
    static readonly Dictionary<int, int> EndedChildren = [];

    /// <summary>
    /// The exit code of a conmon that is (or was) this process's child, waiting for it to end: conmon ends with its
    /// container's exit code (128+signal when killed) once it has written the exit file. It is what is left of the exit when
    /// the container was removed by someone else (`rm -f`) before its exit file was read. Null for a pid that is not a
    /// conmon of ours.
    /// </summary>
    public static int? ExitCodeOfChild(int pid)
    {
        bool running;
        lock (Children)
        {
            if (EndedChildren.Remove(pid, out int code)) return code;
            running = Children.Contains(pid);
        }
        if (!running) return null;
        int waited = WaitForChild(pid);
        if (waited >= 0) return waited;
        // Reaped by ReapEnded on another thread meanwhile: it kept the code.
        lock (Children) return EndedChildren.Remove(pid, out int reaped) ? reaped : null;
    }

    private static int ReadPid(string path)
    {
        try { return int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or FormatException) { return 0; }
    }

    /// <summary>Waits for a conmon of ours to end and reaps it; its exit code.</summary>
    static int WaitForChild(int pid)
    {
        int code = NativeProcess.WaitForExit(pid);
        lock (Children) Children.Remove(pid);
        return code;
    }

    void CheckSpec(MonitorOptions options, RuntimeSpec spec)
    {
        _runtime.Validate(spec);
        if (options.Terminal != (spec.Process?.Terminal == true))
            throw new RuntimeException($"container {options.ContainerId}: the monitor's terminal option and the spec's process.terminal must agree");
    }

    public async Task<ConmonAttach> AttachAsync(string attachSocketPath, CancellationToken cancellationToken = default) =>
        await ConmonAttach.ConnectAsync(attachSocketPath, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task ResizeAsync(string controlPath, int rows, int columns, CancellationToken cancellationToken = default)
    {
        // conmon keeps a writer open on its own fifo, so opening it for writing does not block.
        await using var fifo = new FileStream(controlPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
        var line = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"1 {rows} {columns}\n"));
        await fifo.WriteAsync(line, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ExecResult> ExecAsync(ExecOptions options, AttachStreams? streams = null, CancellationToken cancellationToken = default)
    {
        PruneFinishedExecSessions(options.BundlePath, options.ContainerId);
        string session = options.SessionId ?? Guid.NewGuid().ToString("N")[..16];
        string dir = Path.Combine(options.BundlePath, "exec", session);
        string exitDir = Path.Combine(dir, "exit");
        Directory.CreateDirectory(exitDir);
        Directory.CreateDirectory(SocketDir);
        string processFile = Path.Combine(dir, "process.json");
        await File.WriteAllTextAsync(processFile, options.Process.ToJson(), cancellationToken).ConfigureAwait(false);

        bool attach = !options.Detach;
        bool terminal = options.Process.Terminal == true;
        var args = new List<string>
        {
            ConmonPath, "--api-version", "1",
            "-c", options.ContainerId, "-u", session,
            "-r", _runtime.BinaryPath,
            "-b", dir,
            "-p", Path.Combine(dir, "exec_pid"),
            "-n", options.ContainerId,
            "-l", "k8s-file:" + Path.Combine(dir, "exec_log"),
            "--exit-dir", exitDir,
            "--socket-dir-path", SocketDir,
            "--conmon-pidfile", Path.Combine(dir, "conmon.pid"),
            "-e", "--exec-process-spec", processFile,
            "--no-sync-log", // as for the container: its exit needs no disk flush of the log first
        };
        foreach (var a in _runtime.GlobalArgs) args.AddRange(["--runtime-arg", a]);
        if (terminal) args.Add("-t");
        if (options.Stdin && attach) args.Add("-i");
        if (attach) args.Add("--exec-attach");

        var (sync, syncChild) = NativeProcess.CreateSocketPair();
        (Socket Ours, int Theirs)? start = attach ? NativeProcess.CreateSocketPair() : null;
        (Socket Ours, int Theirs)? attachPipe = attach ? NativeProcess.CreateSocketPair() : null;
        using var syncReader = new SyncReader(sync);
        using var attachReader = attachPipe is { } ap ? new SyncReader(ap.Ours) : null;
        using var startSocket = start?.Ours;
        string conmonOutput = Path.Combine(dir, "conmon.out");
        int launcher;
        try
        {
            var fds = new List<NativeProcess.FdMapping> { new(syncChild, SyncFd) };
            var env = new List<(string, int)> { ("_OCI_SYNCPIPE", SyncFd) };
            if (start is { } s) { fds.Add(new(s.Theirs, StartFd)); env.Add(("_OCI_STARTPIPE", StartFd)); }
            if (attachPipe is { } a) { fds.Add(new(a.Theirs, AttachFd)); env.Add(("_OCI_ATTACHPIPE", AttachFd)); }
            launcher = NativeProcess.Spawn(ConmonPath, args, Environment([.. env]), fds, conmonOutput, dir);
        }
        finally
        {
            NativeProcess.CloseFd(syncChild);
            if (start is { } s) NativeProcess.CloseFd(s.Theirs);
            if (attachPipe is { } a) NativeProcess.CloseFd(a.Theirs);
        }

        ConmonAttach? connection = null;
        try
        {
            if (startSocket is not null)
                await startSocket.SendAsync(new byte[] { 0 }, SocketFlags.None, cancellationToken).ConfigureAwait(false);

            int launcherExit = await Task.Run(() => NativeProcess.WaitForExit(launcher), cancellationToken).ConfigureAwait(false);
            if (launcherExit != 0)
                throw new RuntimeException($"conmon failed for exec in {options.ContainerId}: {ConmonOutput(conmonOutput, launcherExit)}");

            if (attachReader is not null && startSocket is not null)
            {
                var ready = await attachReader.ReadAsync(CreateTimeout, cancellationToken).ConfigureAwait(false);
                if (ready is null || ready.Value.Data < 0)
                    throw new RuntimeException($"exec in {options.ContainerId}: conmon did not set up the attach socket: {ready?.Text ?? ConmonOutput(conmonOutput, 0)}");
                connection = await ConmonAttach.ConnectAsync(AttachSocketPath(session), cancellationToken: cancellationToken).ConfigureAwait(false);
                await startSocket.SendAsync(new byte[] { 0 }, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            var pidMessage = await syncReader.ReadAsync(CreateTimeout, cancellationToken).ConfigureAwait(false);
            if (pidMessage is null)
                throw new RuntimeException($"exec in {options.ContainerId}: conmon exited without starting the process: {ConmonOutput(conmonOutput, 0)}");
            if (pidMessage.Value.Data < 0)
                throw new RuntimeException($"{_runtime.Name} exec {options.ContainerId}: {RuntimeMessage(pidMessage.Value.Text)}");
            int pid = pidMessage.Value.Data;
            if (!attach) return new ExecResult(session, dir, pid, null);

            Task pump = connection!.PumpAsync(streams ?? new AttachStreams(), cancellationToken);
            var exitMessage = await syncReader.ReadAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            await pump.ConfigureAwait(false);
            int exitCode = exitMessage?.Data ?? ReadExitCode(exitDir, options.ContainerId)
                ?? throw new RuntimeException($"exec in {options.ContainerId}: conmon exited without an exit code");
            return new ExecResult(session, dir, pid, exitCode);
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes the folders (and attach-socket links) of this container's exec sessions whose conmon has written the exit
    /// file, i.e. finished, so that a long-running container does not collect one folder per `exec` (Docker drops finished
    /// exec sessions too). Sessions still running, or whose conmon is still finishing, are left for a later exec or `rm`.
    /// </summary>
    void PruneFinishedExecSessions(string bundlePath, string containerId)
    {
        string execDir = Path.Combine(bundlePath, "exec");
        if (!Directory.Exists(execDir)) return;
        foreach (var dir in Directory.EnumerateDirectories(execDir))
        {
            if (!File.Exists(Path.Combine(dir, "exit", containerId))) continue;
            RemoveSocketLink(Path.GetFileName(dir));
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Removes the attach-socket links conmon leaves behind when it is killed rather than exiting on its own (its
    /// container's and its exec sessions'); call when removing a container.
    /// </summary>
    public void RemoveSocketLinks(string containerId, string bundlePath)
    {
        var ids = new List<string> { containerId };
        string execDir = Path.Combine(bundlePath, "exec");
        if (Directory.Exists(execDir)) ids.AddRange(Directory.EnumerateDirectories(execDir).Select(Path.GetFileName)!);
        foreach (var id in ids) RemoveSocketLink(id);
    }

    /// <summary>Removes the link conmon made in the socket directory for container or exec session <paramref name="id"/>, if any.</summary>
    void RemoveSocketLink(string id) => RemoveLink(Path.Combine(SocketDir, id));

    /// <summary>Deletes <paramref name="path"/> if it is a symbolic link (conmon's socket-directory link), else leaves it.</summary>
    static void RemoveLink(string path)
    {
        if (new FileInfo(path).LinkTarget is not null) TryDelete(path);
    }

    public async Task<int> WaitForExitAsync(string exitDir, string containerId, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (ReadExitCode(exitDir, containerId) is { } code) return code;
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string RuntimeMessage(string? message)
    {
        string text = OciRuntime.ErrorMessage(message ?? "");
        return text.Length > 0 ? text : "the runtime failed without a message";
    }

    private static List<string> Environment(params (string Name, int Fd)[] pipes)
    {
        var env = NativeProcess.CurrentEnvironment();
        env.RemoveAll(e =>
        {
            string key = e[..e.IndexOf('=', StringComparison.Ordinal)];
            return key.StartsWith("_OCI_", StringComparison.Ordinal) || key is "NOTIFY_SOCKET" or "LISTEN_PID" or "LISTEN_FDS"
                || key is "LANG" or "LANGUAGE" || key.StartsWith("LC_", StringComparison.Ordinal);
        });
        // conmon calls setlocale(LC_ALL, ""): with a UTF-8 LANG glibc opens a dozen locale files at each start (strace),
        // for messages that are English anyway. The C locale needs none.
        env.Add("LC_ALL=C");
        foreach (var (name, fd) in pipes) env.Add(name + "=" + fd.ToString(CultureInfo.InvariantCulture));
        return env;
    }

    private static string ConmonOutput(string path, int exitCode)
    {
        string text = "";
        try { text = File.ReadAllText(path); } catch (IOException) { }
        TryDelete(path);
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return line ?? (exitCode != 0 ? $"exit status {exitCode}" : "no message");
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }

    /// <summary>Reads conmon's newline-terminated JSON messages from one end of a socket pair.</summary>
    internal sealed class SyncReader : IDisposable
    {
        private readonly SocketDescriptor _connection;

        public SyncReader(Socket socket) => _connection = new SocketDescriptor(socket);

        /// <summary>
        /// A reader of a raw descriptor (which it owns): <see cref="Read"/> reads it as it is; <see cref="ReadAsync"/> makes it
        /// a <see cref="Socket"/> first (see <see cref="SocketDescriptor"/>).
        /// </summary>
        public SyncReader(int fd) => _connection = new SocketDescriptor(fd);

        private readonly byte[] _buffer = new byte[4096];
        private readonly MemoryStream _pending = new();
        private bool _eof;

        public readonly record struct Message(int Data, string? Text);

        /// <summary>The next message, or null at end of stream.</summary>
        public async Task<Message?> ReadAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout != Timeout.InfiniteTimeSpan) timeoutCts.CancelAfter(timeout);
            while (true)
            {
                if (TryTake(out var message)) return message;
                int n;
                try
                {
                    n = await _connection.Socket.ReceiveAsync(_buffer, SocketFlags.None, timeoutCts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw NoReport(timeout);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    n = 0;
                }
                Received(n);
            }
        }

        /// <summary>
        /// <see cref="ReadAsync"/> on the calling thread, for a caller with nothing else to do meanwhile (a start waiting for
        /// the runtime's create, tens of milliseconds): blocking reads need none of the threads the asynchronous ones start
        /// (the sockets engine's event loop, thread-pool workers and their gate thread, the timer thread), ~6-8 ms of CPU
        /// here beside the runtime at work on two cores. Cancellation is noticed within <see cref="PollSlice"/>.
        /// </summary>
        public Message? Read(TimeSpan timeout, CancellationToken cancellationToken)
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                if (TryTake(out var message)) return message;
                int fd = _connection.Descriptor;
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (NativeProcess.WaitReadable(fd, (int)PollSlice.TotalMilliseconds)) break;
                    if (timeout != Timeout.InfiniteTimeSpan && waited.Elapsed >= timeout) throw NoReport(timeout);
                }
                int n = NativeProcess.Read(fd, _buffer);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EAGAIN) continue; // a descriptor made non-blocking by an earlier ReadAsync: poll again
                    if (errno != ECONNRESET) throw new RuntimeException($"cannot read conmon's report: {Marshal.GetPInvokeErrorMessage(errno)}");
                    n = 0;
                }
                Received(n);
            }
        }

        static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(50);
        const int ECONNRESET = 104, EAGAIN = 11;

        static RuntimeException NoReport(TimeSpan timeout) => new($"conmon did not report within {timeout.TotalSeconds:0} s");

        /// <summary>The next whole message already received, or null at the end of the stream (true); false when more must be read.</summary>
        bool TryTake(out Message? message)
        {
            while (true)
            {
                var pending = _pending.GetBuffer().AsSpan(0, (int)_pending.Length);
                int newline = pending.IndexOf((byte)'\n');
                if (newline >= 0 || (_eof && pending.Length > 0))
                {
                    int end = newline >= 0 ? newline : pending.Length;
                    string line = Encoding.UTF8.GetString(pending[..end]);
                    var rest = pending[Math.Min(end + 1, pending.Length)..].ToArray();
                    _pending.SetLength(0);
                    _pending.Write(rest);
                    if (line.Trim().Length == 0) continue;
                    message = Parse(line);
                    return true;
                }
                message = null;
                return _eof;
            }
        }

        void Received(int n)
        {
            if (n == 0) _eof = true;
            else _pending.Write(_buffer, 0, n);
        }

        private static Message Parse(string line)
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                int data = root.TryGetProperty("data", out var d) ? d.GetInt32()
                    : root.TryGetProperty("pid", out var p) ? p.GetInt32()
                    : root.TryGetProperty("exit_code", out var x) ? x.GetInt32() : -1;
                string? message = root.TryGetProperty("message", out var m) ? m.GetString() : null;
                return new Message(data, message);
            }
            catch (JsonException)
            {
                return new Message(-1, "unreadable message from conmon: " + line);
            }
        }

        public void Dispose()
        {
            _connection.Dispose();
            _pending.Dispose();
        }
    }
}
