using Berth.Engine.Metadata;
using Berth.Engine.Processes;
using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

/// <summary>Terminal size in rows and columns.</summary>
public readonly record struct TerminalSize(int Rows, int Columns);

public sealed partial class ContainerService
{
    /// <summary>`start` without attaching: returns once the container's process runs. A running container is left alone.</summary>
    public async Task<ContainerRecord> StartAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (container.State.Status == ContainerStatus.Running) return container;
        await StartCoreAsync(container, null, null, cancellationToken).ConfigureAwait(false);
        return Get(container.Id);
    }

    /// <summary>
    /// Starts a container attached to <paramref name="streams"/> (connected before the process runs, so no output is lost),
    /// copies its stdio until it ends, and returns its exit code. <paramref name="started"/> is called once it runs.
    /// An --rm container is removed before this returns.
    /// </summary>
    public async Task<int> StartAttachedAsync(string nameOrId, AttachStreams streams, TerminalSize? size = null,
        Action<ContainerRecord>? started = null, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (container.IsRunning) throw new ConflictException($"container {container.Id} is already running");
        bool removes = container.Settings.HostConfig.AutoRemove;
        // Held until the removal below is done: conmon runs no exit command for a container this process removes.
        using var removal = removes ? RemovalLease.Take(ContainerDirectory(container.Id)) : null;
        ConmonAttach? attach = null;
        int monitorPid = 0;
        try
        {
            await StartCoreAsync(container, async created =>
            {
                monitorPid = created.MonitorPid;
                attach = await MonitorFor(RuntimeOf(container)).AttachAsync(created.AttachSocketPath, cancellationToken).ConfigureAwait(false);
            }, size, cancellationToken, removesAfterExit: removes).ConfigureAwait(false);
            started?.Invoke(Get(container.Id));
            // Without input the output is copied on this thread (see ConmonAttach.Pump); with input both directions run at once.
            if (streams.Stdin is null) attach!.Pump(streams, cancellationToken);
            else await attach!.PumpAsync(streams, cancellationToken).ConfigureAwait(false);
            Diagnostics.PhaseTimer.Mark("attach: streams closed");
        }
        finally
        {
            if (attach is not null) await attach.DisposeAsync().ConfigureAwait(false);
        }
        // Removed by someone else (`rm -f`) before its exit was read here: the exit code is its conmon's, our child.
        int code = await WaitForIdAsync(container.Id, () => monitorPid > 0 ? ConmonMonitor.ExitCodeOfChild(monitorPid) : null, cancellationToken).ConfigureAwait(false);
        if (removes)
        {
            try { await RemoveAsync(container.Id, force: true, volumes: true, cancellationToken).ConfigureAwait(false); }
            catch (NotFoundException) { }
        }
        ConmonMonitor.ReapEnded(); // its conmon, our child, if it has ended by now (else the next launch reaps it)
        return code;
    }

    /// <param name="removesAfterExit">
    /// The caller waits for the exit and removes the (--rm) container itself, holding its <see cref="RemovalLease"/>:
    /// conmon runs no exit command for it.
    /// </param>
    /// <param name="restartOf">
    /// A restart by the container's policy of the run that ended in this state: nothing is done when the container has
    /// changed since (started, stopped by a user), and the restart is counted.
    /// </param>
    async Task StartCoreAsync(ContainerRecord container, Func<MonitoredContainer, Task>? beforeStart, TerminalSize? size, CancellationToken cancellationToken,
        bool removesAfterExit = false, ContainerState? restartOf = null)
    {
        using var held = Lock(container.Id);
        // A conmon already waiting for this container's bundle (create started it for a run), taken first so that a start
        // that goes no further (the container removed or started meanwhile) kills it on the way out.
        using var launched = TakeLaunchedMonitor(container.Id, removesAfterExit);
        var fresh = GetLocked(held, container.Id) ?? throw new NotFoundException($"No such container: {container.Id}");
        if (fresh.IsRunning) return;
        // As Docker: a container being removed, or left dead by a removal that failed, is not started again (its restart
        // policy lets it be).
        if (fresh.State.Status is ContainerStatus.Removing or ContainerStatus.Dead)
        {
            if (restartOf is not null) return;
            throw new ConflictException($"container {fresh.Id} is marked for removal and cannot be started");
        }
        if (restartOf is not null && (fresh.State.FinishedAt != restartOf.FinishedAt || StoppedByUser(fresh.Id))) return;
        if (restartOf is null) File.Delete(StoppedByUserFile(fresh.Id)); // a user's start: the restart policy applies again
        var runtime = RuntimeOf(fresh);
        var monitor = MonitorFor(runtime);
        // With a launched conmon the container was made by this process a moment ago: there is no previous run to clear.
        if (launched is null)
        {
            // Leftovers of the previous run: the runtime's record of it and its exit file.
            await runtime.DeleteAsync(fresh.Id, force: true, cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(ExitDirectory);
            File.Delete(Path.Combine(ExitDirectory, fresh.Id));
            TryDeleteDirectory(PersistDirectory(fresh.Id));
        }
        Diagnostics.PhaseTimer.Mark("start: previous run cleared");
        MonitoredContainer created;
        try
        {
            RuntimeSpec Prepare()
            {
                var spec = PrepareBundle(fresh, runtime, size);
                Diagnostics.PhaseTimer.Mark("start: bundle prepared");
                return spec;
            }
            created = launched is not null
                ? await monitor.CompleteAsync(launched, Prepare, cancellationToken).ConfigureAwait(false)
                : await monitor.CreateAsync(MonitorOptionsFor(fresh.Id, fresh.Name, fresh.Settings, removesAfterExit, attached: beforeStart is not null) with { PrepareBundle = Prepare },
                    cancellationToken).ConfigureAwait(false);
        }
        catch (BerthException e)
        {
            var failure = e as ContainerStartException ?? new ContainerStartException(e.Message, StartFailureCode(e.Message));
            UnmountRunMounts(fresh);
            _store.Metadata.SetContainerState(fresh.Id, fresh.State with { ExitCode = failure.ExitCode, Error = failure.Message });
            throw failure;
        }
        catch (OperationCanceledException)
        {
            // Cancelled while the runtime created the container (conmon and the runtime were killed): whatever it made goes.
            await runtime.DeleteAsync(fresh.Id, force: true, CancellationToken.None).ConfigureAwait(false);
            UnmountRunMounts(fresh);
            throw;
        }

        try
        {
            if (beforeStart is not null) await beforeStart(created).ConfigureAwait(false);
            Diagnostics.PhaseTimer.Mark("start: created, attached");
            await runtime.StartAsync(fresh.Id, created.Pid, cancellationToken).ConfigureAwait(false);
            Diagnostics.PhaseTimer.Mark("start: runtime started");
            await StartPortProxyAsync(fresh, created.Pid, cancellationToken).ConfigureAwait(false);
        }
        catch (BerthException e)
        {
            await StopPortProxyAsync(fresh.Id).ConfigureAwait(false);
            await runtime.DeleteAsync(fresh.Id, force: true, CancellationToken.None).ConfigureAwait(false);
            UnmountRunMounts(fresh);
            _store.Metadata.SetContainerState(fresh.Id, fresh.State with { ExitCode = StartFailureCode(e.Message), Error = e.Message });
            throw new ContainerStartException(e.Message, StartFailureCode(e.Message));
        }
        var startedAt = DateTimeOffset.UtcNow;
        _store.Metadata.SetContainerState(fresh.Id, fresh.State with
        {
            Status = ContainerStatus.Running,
            Pid = created.Pid,
            MonitorPid = created.MonitorPid,
            ExitCode = 0,
            Error = "",
            OomKilled = false,
            StartedAt = startedAt,
            FinishedAt = fresh.State.FinishedAt,
            RestartCount = fresh.State.RestartCount + (restartOf is null ? 0 : 1),
        });
        await StartHealthcheckAsync(fresh, startedAt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How conmon watches a container: its files, stdio, and the exit command (see <see cref="ExitCommand"/>).</summary>
    /// <param name="attached">This process waits for the container to end (see <see cref="MonitorOptions.WaitedForHere"/>).</param>
    MonitorOptions MonitorOptionsFor(string id, string name, ContainerSettings settings, bool removesAfterExit, bool attached) =>
        MonitorOptionsFor(id, name, settings.Config.Tty, settings.Config.OpenStdin, settings.Config.StdinOnce, removesAfterExit, attached,
            shareableShm: settings.HostConfig.IpcMode == "shareable");

    MonitorOptions MonitorOptionsFor(string id, string name, bool tty, bool openStdin, bool stdinOnce, bool removesAfterExit, bool attached, bool shareableShm)
    {
        string[]? exitCommand = removesAfterExit ? null : ExitCommand(id);
        return new()
        {
            ContainerId = id,
            BundlePath = ContainerDirectory(id),
            RootfsMountPoint = RootfsPath(id),
            ShmMountPoint = shareableShm ? ShareableShm.PathIn(ContainerDirectory(id)) : null,
            LogPath = LogPath(id),
            ExitDir = ExitDirectory,
            Name = name,
            Terminal = tty,
            Stdin = openStdin,
            // As Docker: StdinOnce closes stdin when the attached client goes, but never on a terminal (detach keys).
            LeaveStdinOpen = openStdin && (!stdinOnce || tty),
            WaitedForHere = attached,
            ExitCommand = exitCommand?[0],
            ExitCommandArgs = exitCommand?[1..] ?? [],
            PersistDir = PersistDirectory(id),
        };
    }

    /// <summary>
    /// conmon processes started by create for a run that starts its container attached next, by container ID. A launch
    /// that failed is not kept: the usual start launches conmon again and reports what goes wrong.
    /// </summary>
    readonly Dictionary<string, (ConmonMonitor.LaunchedMonitor Monitor, bool RemovesAfterExit)> _launched = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts the conmon that will watch a container about to be created for an attached run, waiting for its bundle, and
    /// returns the container's ID (its directory made): conmon's process start and its own start-up
    /// (loading its libraries) overlap the first use of the database, create and start instead of following them (see
    /// <see cref="ConmonMonitor.Launch"/>). Everything it takes comes from the request as create will read it; null (no
    /// early launch) for a request create will refuse anyway (an unknown runtime, an invalid name). The caller removes the
    /// directory and the monitor if create fails.
    /// </summary>
    string? LaunchMonitorFirst(ContainerCreateRequest request)
    {
        if (request.Runtime is not ("runc" or "crun")) return null;
        // conmon's -n (its log tag). An invalid name is refused by create, after the image is looked up (Docker's order).
        string name;
        try { name = request.Name is { } given ? ContainerNames.Validate(given) : ""; }
        catch (InvalidInputException) { return null; }
        var monitor = MonitorFor(RuntimeNamed(request.Runtime)); // throws for a runtime or conmon not installed: nothing made yet
        string id = ContainerNames.NewId();
        Directory.CreateDirectory(ContainerDirectory(id));
        bool removesAfterExit = request.AutoRemove;
        // As create sets them: Tty, OpenStdin and StdinOnce (an attached interactive run).
        var options = MonitorOptionsFor(id, name.Length > 0 ? name : id, request.Tty, request.Interactive, request.Interactive, removesAfterExit, attached: true,
            shareableShm: request.Ipc == "shareable");
        // On this thread, not the pool's: posix_spawn returns once conmon has been exec'd (~1 ms here), while a pool thread's
        // first start held this thread ~1.5 ms and reached conmon's exec ~2 ms later.
        ConmonMonitor.LaunchedMonitor launched;
        try { launched = monitor.Launch(options, waitsForBundle: true); }
        catch (Exception) { return id; }
        lock (_launched) _launched[id] = (launched, removesAfterExit);
        return id;
    }

    /// <summary>
    /// The conmon launched early for <paramref name="id"/>, when it was launched for this kind of start and its launch
    /// worked (a failed one is left for the usual start to meet again and report); any other is killed.
    /// </summary>
    ConmonMonitor.LaunchedMonitor? TakeLaunchedMonitor(string id, bool removesAfterExit)
    {
        (ConmonMonitor.LaunchedMonitor Monitor, bool RemovesAfterExit) entry;
        lock (_launched)
        {
            if (!_launched.Remove(id, out entry)) return null;
        }
        if (entry.RemovesAfterExit == removesAfterExit) return entry.Monitor;
        entry.Monitor.Dispose();
        return null;
    }

    /// <summary>Kills a conmon launched early for a container that is not going to be started after all.</summary>
    void DiscardLaunchedMonitor(string id)
    {
        ConmonMonitor.LaunchedMonitor launched;
        lock (_launched)
        {
            if (!_launched.Remove(id, out var entry)) return; // never launched: nothing to kill
            launched = entry.Monitor;
        }
        launched.Dispose();
    }

    /// <summary>conmon's exit command, program first: `berth container cleanup ID`.</summary>
    string[] ExitCommand(string id) =>
        // conmon runs its exit command with SIGCHLD blocked, which would leave .NET's Process waits hanging: env unblocks it.
        [OciRuntime.FindBinary("env") ?? "/usr/bin/env", "--default-signal",
            BerthExecutable.Current.FileName, .. BerthExecutable.Current.Arguments("--root", _store.Root, "container", "cleanup", id)];

    /// <summary>Docker's exit codes for a container that could not start: 127 command not found, 126 not executable, else 125.</summary>
    static int StartFailureCode(string message)
    {
        if (message.Contains("executable file not found", StringComparison.Ordinal) || message.Contains("no such file or directory", StringComparison.Ordinal))
            return 127;
        if (message.Contains("permission denied", StringComparison.Ordinal)) return 126;
        return 125;
    }

    /// <summary>
    /// The container a "container:ID" mode joins (<paramref name="what"/>: network, PID), which must be running (Docker's
    /// refusal otherwise); null for any other mode.
    /// </summary>
    ContainerRecord? RunningJoinedContainer(string mode, string what)
    {
        if (JoinedId(mode) is not { } id) return null;
        var owner = Find(id) ?? throw new ContainerStartException($"No such container: {id}", 125);
        if (!owner.IsRunning || owner.State.Pid <= 0) // paused counts as running, as in Docker
            throw new ContainerStartException(what == "IPC" ? $"failed to join IPC namespace: container {owner.Id} is not running"
                : $"cannot join {what} of a non running container: {owner.Id}", 125);
        return owner;
    }

    /// <summary>
    /// The directory whose hosts, hostname and resolv.conf a container in <paramref name="networkMode"/> uses: its own
    /// (<paramref name="ownDirectory"/>), or, in another container's network, that container's, following a chain of
    /// such containers to the one whose network it is (Docker copies the owner's paths, which are its owner's in turn).
    /// </summary>
    string NetworkFilesDirectory(string networkMode, string ownDirectory) =>
        JoinedChainEnd(networkMode, h => h.NetworkMode) is { } end ? ContainerDirectory(end.Id) : ownDirectory;

    /// <summary>
    /// The container at the end of a chain of "container:ID" modes (<paramref name="modeOf"/>: which namespace's) that
    /// starts at <paramref name="mode"/>, at most 16 long: its ID and record, the record null when that container is gone
    /// (the chain ends there); null when <paramref name="mode"/> joins no container.
    /// </summary>
    (string Id, ContainerRecord? Container)? JoinedChainEnd(string mode, Func<HostSettings, string> modeOf)
    {
        (string Id, ContainerRecord? Container)? end = null;
        for (int depth = 0; depth < 16 && JoinedId(mode) is { } id; depth++)
        {
            var container = TryGet(id);
            end = (id, container);
            if (container is null) break;
            mode = modeOf(container.Settings.HostConfig);
        }
        return end;
    }

    /// <summary>Mounts the root file system, prepares /etc files, user and working directory, and writes config.json.</summary>
    RuntimeSpec PrepareBundle(ContainerRecord container, IOciRuntime runtime, TerminalSize? size)
    {
        string dir = ContainerDirectory(container.Id);
        string rootfs = RootfsPath(container.Id);
        var settings = container.Settings;
        var config = settings.Config;
        var host = settings.HostConfig;
        RootfsMount.Mount(Snapshot(container), rootfs, Path.Combine(dir, "empty"), disposable: host.AutoRemove);
        Diagnostics.PhaseTimer.Mark("start: rootfs mounted");
        try
        {
            var user = ContainerUser.Resolve(rootfs, config.User);
            if (config.WorkingDir is { Length: > 0 } wd) Berth.Engine.Containers.RootfsPath.CreateDirectory(rootfs, wd);

            var networkOwner = RunningJoinedContainer(host.NetworkMode, "network");
            var pidOwner = RunningJoinedContainer(host.PidMode, "PID");
            var ipcOwner = RunningJoinedContainer(host.IpcMode, "IPC");
            if (ipcOwner is not null && !SharesIpc(ipcOwner.Settings.HostConfig)) throw JoinIpcFailure(NonShareableIpc(ipcOwner.Id));
            string? shmSource = ipcOwner is not null ? IpcShmDirectory(ipcOwner)
                : host.IpcMode == "shareable" ? ShareableShm.PathIn(dir) : null;
            if (host.IpcMode == "shareable") ShareableShm.Mount(shmSource!, host.ShmSize > 0 ? host.ShmSize : HostSettings.DefaultShmSize);
            // In another container's network its /etc files are shared, as Docker does: they describe that network.
            string files = networkOwner is null ? dir : NetworkFilesDirectory(networkOwner.Settings.HostConfig.NetworkMode, ContainerDirectory(networkOwner.Id));
            string hostsFile = Path.Combine(files, "hosts"), hostnameFile = Path.Combine(files, "hostname"), resolvFile = Path.Combine(files, "resolv.conf");
            if (networkOwner is null)
            {
                File.WriteAllText(hostsFile, ContainerFiles.Hosts(host.NetworkMode, host.ExtraHosts));
                File.WriteAllText(hostnameFile, config.Hostname + "\n");
                File.WriteAllText(resolvFile, ContainerFiles.ResolvConf(host.NetworkMode, host.Dns, host.DnsSearch, host.DnsOptions));
            }

            var env = new List<string>(config.Env ?? []);
            if (!env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal))) env.Add("HOME=" + user.Home);

            var binds = new List<BindMount>();
            foreach (var m in settings.Mounts)
            {
                string? source = m.Type == "bind" ? m.Source : VolumeSource(m);
                if (source is null) continue;
                string? propagation = m.Options.Split(',').FirstOrDefault(o => o is "shared" or "rshared" or "slave" or "rslave" or "private" or "rprivate");
                binds.Add(new BindMount(source, m.Destination, !m.ReadWrite, propagation));
            }
            var tmpfs = host.Tmpfs.Select(t => new TmpfsMount(t.Key, t.Value.Length == 0 ? null : t.Value.Split(','))).ToList();

            var run = new ContainerRunSpec
            {
                RootfsPath = rootfs,
                ReadOnlyRootfs = host.ReadonlyRootfs,
                Args = [settings.Path, .. settings.Args],
                Env = env,
                WorkingDir = config.WorkingDir is { Length: > 0 } w ? w : "/",
                Uid = user.Uid,
                Gid = user.Gid,
                AdditionalGids = user.AdditionalGids,
                Hostname = config.Hostname,
                Terminal = config.Tty,
                ConsoleSize = config.Tty && size is { } s ? new OciConsoleSize((uint)s.Rows, (uint)s.Columns) : null,
                StopSignal = config.StopSignal,
                Network = host.NetworkMode switch { "none" => NetworkMode.None, "host" => NetworkMode.Host, _ => NetworkMode.Private },
                NetworkNamespacePath = networkOwner is null ? null : $"/proc/{networkOwner.State.Pid}/ns/net",
                PidNamespacePath = pidOwner is null ? null : $"/proc/{pidOwner.State.Pid}/ns/pid",
                IpcNamespacePath = ipcOwner is null ? null : $"/proc/{ipcOwner.State.Pid}/ns/ipc",
                ShmSource = shmSource,
                BlockIo = BlockIoLimits.ForRuntime(host),
                Binds = binds,
                Tmpfs = tmpfs,
                HostsFile = hostsFile,
                HostnameFile = hostnameFile,
                ResolvConfFile = resolvFile,
                CapAdd = host.CapAdd,
                CapDrop = host.CapDrop,
                Privileged = host.Privileged,
                NoNewPrivileges = host.SecurityOpt.Any(o => o is "no-new-privileges" or "no-new-privileges:true" or "no-new-privileges=true"),
                Seccomp = !host.SecurityOpt.Any(o => o is "seccomp=unconfined" or "seccomp:unconfined"),
                ShmSizeBytes = host.ShmSize > 0 ? host.ShmSize : HostSettings.DefaultShmSize,
                Rlimits = host.Ulimits.Select(ToRlimit).ToList(),
                Sysctls = host.Sysctls,
                HostPid = host.PidMode == "host",
                HostIpc = host.IpcMode == "host",
                NoShm = host.IpcMode == "none",
                HostUts = host.UTSMode == "host",
                Devices = [.. host.Devices.SelectMany(d => HostDeviceNodes.Expand(d.PathOnHost, d.PathInContainer).Select(node => new DeviceGrant(node, d.CgroupPermissions)))],
                InitPath = host.Init ? InitBinary() ?? throw new ContainerStartException("--init: no init binary found: install tini", 125) : null,
                CgroupParent = CgroupParent,
                ContainerId = container.Id,
            };
            Diagnostics.PhaseTimer.Mark("start: etc files, user");
            var spec = new OciSpecBuilder().Build(WithLimits(run, host));
            Diagnostics.PhaseTimer.Mark("start: spec built");
            runtime.Validate(spec);
            OciBundle.Write(dir, spec);
            return spec;
        }
        catch
        {
            UnmountRunMounts(container);
            throw;
        }
    }

    /// <summary>What a run of <paramref name="container"/> mounts on the host: its root file system and a shareable /dev/shm.</summary>
    void UnmountRunMounts(ContainerRecord container)
    {
        RootfsMount.Unmount(RootfsPath(container.Id));
        if (container.Settings.HostConfig.IpcMode == "shareable") ShareableShm.Unmount(ShareableShm.PathIn(ContainerDirectory(container.Id)));
    }

    /// <summary>
    /// The shared /dev/shm a container joining <paramref name="owner"/>'s IPC binds: the owner's, or, when the owner joined
    /// another's in turn, that one's, along the chain to the shareable container.
    /// </summary>
    string IpcShmDirectory(ContainerRecord owner)
    {
        var current = JoinedChainEnd(owner.Settings.HostConfig.IpcMode, h => h.IpcMode) is { } end
            ? end.Container ?? throw JoinIpcFailure(NonShareableIpc(owner.Id))
            : owner;
        if (current.Settings.HostConfig.IpcMode == "host") return "/dev/shm"; // Docker's ShmPath of a host-IPC container
        string shm = ShareableShm.PathIn(ContainerDirectory(current.Id));
        // The shareable one at the chain's end has ended (its tmpfs went with it) while the ones between run on: binding
        // the empty directory would share nothing.
        if (MountTable.TopMountAt(shm) != "tmpfs") throw JoinIpcFailure(NonShareableIpc(owner.Id));
        return shm;
    }

    static ContainerStartException JoinIpcFailure(InvalidInputException why) => new("failed to join IPC namespace: " + why.Message, 125);

    /// <summary><paramref name="run"/> with the cgroup limits of <paramref name="host"/> (memory, CPU, pids): what start and update apply.</summary>
    static ContainerRunSpec WithLimits(ContainerRunSpec run, HostSettings host) => run with
    {
        MemoryBytes = host.Memory > 0 ? host.Memory : null,
        MemorySwapBytes = host.MemorySwap != 0 ? host.MemorySwap : null,
        MemoryReservationBytes = host.MemoryReservation > 0 ? host.MemoryReservation : null,
        NanoCpus = host.NanoCpus > 0 ? host.NanoCpus : null,
        CpuShares = host.CpuShares > 0 ? (ulong)host.CpuShares : null,
        CpusetCpus = host.CpusetCpus,
        CpusetMems = host.CpusetMems,
        PidsLimit = host.PidsLimit,
        DeviceRules = [.. host.DeviceCgroupRules.Select(HostFlagParsers.DeviceCgroupRule)],
        DisableOomKiller = host.OomKillDisable,
    };

    /// <summary>A --ulimit as the runtime's rlimit: RLIMIT_ and the name in upper case, -1 as unlimited.</summary>
    static OciRlimit ToRlimit(ContainerUlimit limit)
    {
        static ulong Value(long v) => v < 0 ? ulong.MaxValue : (ulong)v;
        return new OciRlimit("RLIMIT_" + limit.Name.ToUpperInvariant(), Value(limit.Hard), Value(limit.Soft));
    }

    /// <summary>Resizes a running container's terminal.</summary>
    public async Task ResizeAsync(string nameOrId, TerminalSize size, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (!container.IsRunning || !container.Settings.Config.Tty) return;
        try
        {
            await MonitorFor(RuntimeOf(container)).ResizeAsync(Path.Combine(ContainerDirectory(container.Id), "ctl"), size.Rows, size.Columns, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) { }
    }

    /// <summary>`attach`: copies a running container's stdio until it ends (or the token cancels); returns its exit code when it ended.</summary>
    public async Task<int?> AttachAsync(string nameOrId, AttachStreams streams, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (!container.IsRunning) throw new ConflictException("You cannot attach to a stopped container, start it first");
        if (container.State.Status == ContainerStatus.Paused) throw new ConflictException("You cannot attach to a paused container, unpause it first");
        var monitor = MonitorFor(RuntimeOf(container));
        await using var attach = await monitor.AttachAsync(monitor.AttachSocketPath(container.Id), cancellationToken).ConfigureAwait(false);
        await attach.PumpAsync(streams, cancellationToken).ConfigureAwait(false);
        return await WaitAsync(container.Id, cancellationToken).ConfigureAwait(false);
    }
}
