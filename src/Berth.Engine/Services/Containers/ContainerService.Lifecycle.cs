using Berth.Engine.Metadata;
using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    /// <summary>Waits until the container is no longer running and returns its exit code (`wait`).</summary>
    public Task<int> WaitAsync(string nameOrId, CancellationToken cancellationToken = default) => WaitForIdAsync(Get(nameOrId).Id, null, cancellationToken);

    /// <summary>
    /// <see cref="WaitAsync(string, CancellationToken)"/> of the container with ID <paramref name="id"/>, which may be gone
    /// already (removed by someone else as it ended).
    /// </summary>
    /// <param name="exitCodeIfRemoved">Where the exit code is known otherwise when the container is removed meanwhile and its exit file with it.</param>
    async Task<int> WaitForIdAsync(string id, Func<int?>? exitCodeIfRemoved, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            var current = TryGet(id);
            if (current is null)
                return ConmonMonitor.ReadExitCode(ExitDirectory, id) ?? RemovedExitCodes.Read(ExitDirectory, id) ?? exitCodeIfRemoved?.Invoke() ?? 0;
            if (!current.IsRunning) { Diagnostics.PhaseTimer.Mark("wait: exited"); return current.State.ExitCode; }
            await ExitFileOrDelayAsync(id, attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sleeps <see cref="PollDelay"/>, but during the first tenth of a second of a wait returns within a millisecond of
    /// conmon writing the exit file (a stat per millisecond, instead of a database read).
    /// </summary>
    async Task ExitFileOrDelayAsync(string id, int attempt, CancellationToken cancellationToken)
    {
        var delay = PollDelay(attempt);
        if (attempt > 6) { await Task.Delay(delay, cancellationToken).ConfigureAwait(false); return; }
        string exitFile = Path.Combine(ExitDirectory, id);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < delay && !File.Exists(exitFile)) await Task.Delay(1, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The pause before looking at a container's exit file again: 1, 2, 4, 8, 16, then 25 ms. A wait often starts just as
    /// the container ends (`run` waits once the output has closed), so the first looks come soon; a long wait costs one
    /// database read per 25 ms.
    /// </summary>
    static TimeSpan PollDelay(int attempt) => TimeSpan.FromMilliseconds(Math.Min(25, 1 << Math.Min(attempt, 5)));

    async Task<bool> WaitForExitAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        for (int attempt = 0; DateTime.UtcNow < deadline; attempt++)
        {
            if (TryGet(id) is not { IsRunning: true }) return true;
            await ExitFileOrDelayAsync(id, attempt, cancellationToken).ConfigureAwait(false);
        }
        return TryGet(id) is not { IsRunning: true };
    }

    /// <summary>`stop [-t]`: the stop signal, then SIGKILL after the timeout (the container's --stop-timeout, else 10 s).</summary>
    public Task StopAsync(string nameOrId, int? timeoutSeconds = null, CancellationToken cancellationToken = default) =>
        StopAsync(nameOrId, timeoutSeconds, null, cancellationToken);

    /// <summary>`stop [-t] [-s]`: <paramref name="signal"/> (else the container's stop signal, else SIGTERM), then SIGKILL after the timeout.</summary>
    public async Task StopAsync(string nameOrId, int? timeoutSeconds, string? signal, CancellationToken cancellationToken = default)
    {
        string? given = string.IsNullOrEmpty(signal) ? null : Signal(signal);
        var container = Get(nameOrId);
        string stopSignal = given ?? Signal(container.Settings.Config.StopSignal ?? "SIGTERM");
        MarkStoppedByUser(container.Id);
        // A restart by the container's policy may be under way (it holds the lock while it starts the container): read
        // the container again once it has let go, so that a container it started is stopped here.
        using (var held = Lock(container.Id))
            container = GetLocked(held, container.Id) ?? throw new NotFoundException($"No such container: {nameOrId}");
        if (!container.IsRunning) return;
        var runtime = RuntimeOf(container);
        int timeout = timeoutSeconds ?? container.Settings.Config.StopTimeout ?? 10;
        if (container.State.Status == ContainerStatus.Paused)
        {
            await TryRuntimeAsync(() => runtime.KillAsync(container.Id, "KILL", all: true, cancellationToken)).ConfigureAwait(false);
            await TryRuntimeAsync(() => runtime.ResumeAsync(container.Id, cancellationToken)).ConfigureAwait(false);
        }
        else if (timeout != 0)
        {
            await TryRuntimeAsync(() => runtime.KillAsync(container.Id, stopSignal, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (await WaitForExitAsync(container.Id, timeout < 0 ? TimeSpan.FromDays(365) : TimeSpan.FromSeconds(timeout), cancellationToken).ConfigureAwait(false))
            {
                await CleanupAsync(container.Id, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        await TryRuntimeAsync(() => runtime.KillAsync(container.Id, "KILL", all: true, cancellationToken)).ConfigureAwait(false);
        if (!await WaitForExitAsync(container.Id, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false))
            throw new RuntimeException($"container {container.Id} did not exit after SIGKILL");
        await CleanupAsync(container.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>`kill [-s]`: sends a signal (default SIGKILL) to the container's main process; SIGKILL waits for the exit.</summary>
    public async Task KillAsync(string nameOrId, string? signal = null, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        string sig = Signal(string.IsNullOrEmpty(signal) ? "KILL" : signal);
        if (!container.IsRunning)
            throw new ConflictException($"Cannot kill container: {nameOrId}: Container {container.Id} is not running");
        var runtime = RuntimeOf(container);
        MarkStoppedByUser(container.Id); // as Docker's kill, whatever the signal
        bool kill = sig is "KILL" or "9";
        await runtime.KillAsync(container.Id, sig, all: kill, cancellationToken).ConfigureAwait(false);
        if (kill)
        {
            if (container.State.Status == ContainerStatus.Paused) await TryRuntimeAsync(() => runtime.ResumeAsync(container.Id, cancellationToken)).ConfigureAwait(false);
            await WaitForExitAsync(container.Id, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>"SIGTERM", "TERM", "term" or "15" as the runtime takes it ("TERM", "15").</summary>
    public static string Signal(string name)
    {
        string s = name.Trim().ToUpperInvariant();
        if (s.StartsWith("SIG", StringComparison.Ordinal)) s = s[3..];
        if (s.Length == 0) throw new InvalidInputException($"Invalid signal: {name}");
        return s;
    }

    /// <summary>`restart [-t]`: stop, then start.</summary>
    public Task RestartAsync(string nameOrId, int? timeoutSeconds = null, CancellationToken cancellationToken = default) =>
        RestartAsync(nameOrId, timeoutSeconds, null, cancellationToken);

    /// <summary>`restart [-t] [-s]`: stop (with <paramref name="signal"/> if given), then start.</summary>
    public async Task RestartAsync(string nameOrId, int? timeoutSeconds, string? signal, CancellationToken cancellationToken = default)
    {
        await StopAsync(nameOrId, timeoutSeconds, signal, cancellationToken).ConfigureAwait(false);
        var container = Get(nameOrId);
        await StartCoreAsync(container, null, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task PauseAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (container.State.Status == ContainerStatus.Paused) throw new ConflictException($"Container {container.Id} is already paused");
        if (!container.IsRunning) throw new ConflictException($"Container {container.Id} is not running");
        using (Lock(container.Id))
        {
            await RuntimeOf(container).PauseAsync(container.Id, cancellationToken).ConfigureAwait(false);
            _store.Metadata.SetContainerState(container.Id, container.State with { Status = ContainerStatus.Paused });
        }
    }

    public async Task UnpauseAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (container.State.Status != ContainerStatus.Paused) throw new ConflictException($"Container {container.Id} is not paused");
        using (Lock(container.Id))
        {
            await RuntimeOf(container).ResumeAsync(container.Id, cancellationToken).ConfigureAwait(false);
            _store.Metadata.SetContainerState(container.Id, container.State with { Status = ContainerStatus.Running });
        }
    }

    /// <summary>`rename OLD NEW`.</summary>
    public void Rename(string nameOrId, string newName)
    {
        var container = Get(nameOrId);
        string name = ContainerNames.Validate(newName);
        if (name == container.Name) throw new InvalidInputException("Renaming a container with the same name as its current name");
        _store.Metadata.RenameContainer(container.Id, name);
    }

    /// <summary>
    /// What conmon's exit command runs after the container ends (and what stop and rm do): records the exit, releases the
    /// runtime's state and the root file system mount, and removes an --rm container.
    /// </summary>
    public async Task CleanupAsync(string id, CancellationToken cancellationToken = default)
    {
        bool remove;
        ContainerRecord container;
        Diagnostics.PhaseTimer.Mark("cleanup: begin");
        using (var held = Lock(id))
        {
            Diagnostics.PhaseTimer.Mark("cleanup: locked");
            if (GetLocked(held, id) is not { IsRunning: false } ended) return;
            container = ended;
            await StopPortProxyAsync(container.Id).ConfigureAwait(false);
            await StopHealthcheckAsync(container.Id).ConfigureAwait(false);
            // Its init has ended (the exit file says so): the runtime's delete in this process where it can be done here.
            var runtime = RuntimeOf(container);
            if (!runtime.TryDeleteStopped(container.Id, CgroupDirectories(container.Id)))
                await TryRuntimeAsync(() => runtime.DeleteAsync(container.Id, force: true, cancellationToken)).ConfigureAwait(false);
            UnmountRunMounts(container);
            remove = container.Settings.HostConfig.AutoRemove;
        }
        if (remove)
        {
            try { await RemoveAsync(id, force: true, volumes: true, cancellationToken).ConfigureAwait(false); }
            catch (NotFoundException) { }
        }
        else await RestartByPolicyAsync(container, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends why conmon's exit command (<see cref="CleanupAsync"/>) failed for container <paramref name="id"/> to
    /// cleanup.log in its directory, with the time: the command runs with nobody reading its output.
    /// </summary>
    public void RecordCleanupFailure(string id, Exception error)
    {
        try { File.AppendAllText(Path.Combine(ContainerDirectory(id), "cleanup.log"), $"{DateTimeOffset.UtcNow:O} {error}\n"); }
        catch (IOException) { } // the container's directory is gone: nothing left to clean up or to tell
    }

    /// <summary>
    /// Starts an ended container again when its restart policy says so, after Docker's back-off; nothing when, by then, it
    /// was started, stopped by a user or removed (a start that fails ends the restarts, its error recorded as for `start`).
    /// </summary>
    async Task RestartByPolicyAsync(ContainerRecord ended, CancellationToken cancellationToken)
    {
        var policy = ended.Settings.HostConfig.RestartPolicy ?? ContainerRestartPolicy.None;
        if (!RestartPolicies.ShouldRestart(policy, ended.State.ExitCode, ended.State.RestartCount, StoppedByUser(ended.Id))) return;
        var lastRun = ended.State.FinishedAt - ended.State.StartedAt ?? TimeSpan.Zero;
        var delay = RestartPolicies.Delay(ended.State.RestartCount, lastRun);
        // The back-off (up to a minute) ends early when a user stops or removes the container meanwhile.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < delay)
        {
            if (StoppedByUser(ended.Id) || !Directory.Exists(ContainerDirectory(ended.Id))) return;
            var left = delay - waited.Elapsed;
            await Task.Delay(left < PollDuringBackoff ? left : PollDuringBackoff, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            await StartCoreAsync(ended, null, null, cancellationToken, restartOf: ended.State).ConfigureAwait(false);
        }
        catch (NotFoundException) { }
        catch (ContainerStartException) { }
    }

    static readonly TimeSpan PollDuringBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>Marks a container as stopped by a user (stop, kill): its restart policy no longer applies until it is started.</summary>
    void MarkStoppedByUser(string id)
    {
        try { File.WriteAllBytes(StoppedByUserFile(id), []); }
        catch (DirectoryNotFoundException) { }
    }

    bool StoppedByUser(string id) => File.Exists(StoppedByUserFile(id));

    string StoppedByUserFile(string id) => Path.Combine(ContainerDirectory(id), "stopped-by-user");

    /// <summary>
    /// `rm [-f] [-v]`: a running container only with force (killed first); leaves no mount, process, cgroup or file. The
    /// runtime's delete of a container that has stopped is done in this process where the runtime allows
    /// (<see cref="IOciRuntime.TryDeleteStopped"/>; a cgroup still in use leaves it to the runtime's own delete).
    /// </summary>
    public async Task RemoveAsync(string nameOrId, bool force = false, bool volumes = false, CancellationToken cancellationToken = default)
    {
        var container = Find(nameOrId) ?? throw new NotFoundException($"No such container: {nameOrId}");
        DiscardLaunchedMonitor(container.Id);
        if (container.IsRunning && force) MarkStoppedByUser(container.Id); // its restart policy must not start it again meanwhile
        if (container.IsRunning && !force) throw RunningConflict(container);
        var runtime = RuntimeOf(container);
        bool killed = container.IsRunning;
        if (killed)
        {
            await TryRuntimeAsync(() => runtime.KillAsync(container.Id, "KILL", all: true, cancellationToken)).ConfigureAwait(false);
            if (container.State.Status == ContainerStatus.Paused) await TryRuntimeAsync(() => runtime.ResumeAsync(container.Id, cancellationToken)).ConfigureAwait(false);
            await WaitForExitAsync(container.Id, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        using (var held = Lock(container.Id))
        {
            var current = GetLocked(held, container.Id);
            // Gone meanwhile: after the kill above, an --rm container's own removal (its attached run's) may come first.
            if (current is null && killed) return;
            if (current is null) throw new NotFoundException($"No such container: {nameOrId}");
            // Started again since it was looked up (its restart policy, another start): only a forced removal goes on.
            if (current.IsRunning && !force) throw RunningConflict(current);
            _store.Metadata.SetContainerState(current.Id, current.State with { Status = ContainerStatus.Removing });
            Diagnostics.PhaseTimer.Mark("rm: locked");
            try
            {
                await RemoveLockedAsync(current, runtime, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // As Docker: a removal that fails half-way leaves the container dead (never started again, by a user or its
                // restart policy), with the error; `rm` again finishes it.
                try { _store.Metadata.SetContainerState(current.Id, current.State with { Status = ContainerStatus.Dead, Error = e.Message }); }
                catch (Exception) { } // the row stays "removing", which `rm` finishes as well
                throw;
            }
            // Cancelled (Ctrl-C) half-way: the row stays "removing", not started again either, and `rm` again finishes it.
            held.RemoveFileOnRelease(); // the container's lock file goes with it
            if (volumes) RemoveAnonymousVolumes(current);
        }
        Diagnostics.PhaseTimer.Mark("rm: done");
    }

    /// <summary>
    /// The removal itself, under the container's lock with its row marked as being removed: the runtime's state and cgroups,
    /// the helpers, the mount, the layer and the files, then the row.
    /// </summary>
    async Task RemoveLockedAsync(ContainerRecord current, IOciRuntime runtime, CancellationToken cancellationToken)
    {
        // The container has stopped: the runtime's delete (its state and cgroups) is done here where it can be, else it
        // and the removal of our mount and files touch nothing of each other's, so they overlap (the runtime's delete is
        // a process start of its own).
        bool deletedHere = !current.IsRunning && runtime.TryDeleteStopped(current.Id, CgroupDirectories(current.Id));
        var runtimeDeleted = deletedHere ? Task.CompletedTask : runtime.DeleteAsync(current.Id, force: true, cancellationToken);
        Diagnostics.PhaseTimer.Mark("rm: runtime delete spawned");
        try
        {
            await StopPortProxyAsync(current.Id).ConfigureAwait(false);
            await StopHealthcheckAsync(current.Id).ConfigureAwait(false);
            Diagnostics.PhaseTimer.Mark("rm: helpers stopped");
            // conmon leaves by itself once its container is gone (after running the exit command, which finds nothing to do).
            UnmountRunMounts(current);
            Diagnostics.PhaseTimer.Mark("rm: unmounted");
            MonitorFor(runtime).RemoveSocketLinks(current.Id, ContainerDirectory(current.Id));
            RemovedExitCodes.Keep(ExitDirectory, current.Id);
            TryDeleteDirectory(PersistDirectory(current.Id));
            _store.Snapshots.RemoveActive(current.Id);
            Diagnostics.PhaseTimer.Mark("rm: snapshot removed");
            TryDeleteDirectory(ContainerDirectory(current.Id));
            Diagnostics.PhaseTimer.Mark("rm: files removed");
        }
        finally
        {
            await runtimeDeleted.ConfigureAwait(false);
        }
        Diagnostics.PhaseTimer.Mark("rm: runtime deleted");
        // What a runtime's delete may leave (a cgroup busy for a moment); nothing when it was done here.
        if (!deletedHere) RemoveCgroups(current.Id);
        _store.Metadata.DeleteContainer(current.Id);
    }

    static ConflictException RunningConflict(ContainerRecord container)
    {
        string state = container.State.Status == ContainerStatus.Paused ? "paused" : "running";
        return new ConflictException($"You cannot remove a {state} container {container.Id}. Stop the container before attempting removal or force remove");
    }

    /// <summary>Bytes in the container's own layer (ps -s "size").</summary>
    public long SizeRw(ContainerRecord container)
    {
        string upper = Path.Combine(_store.Snapshots.SnapshotsDirectory, "active-" + container.Id, "fs");
        return Directory.Exists(upper) ? Snapshots.SnapshotStore.MeasureSize(upper) : 0;
    }

    /// <summary>Bytes of the image's layers below the container (ps -s "virtual" adds them).</summary>
    public long ImageSize(ContainerRecord container) => _store.Metadata.ImageLayers(container.ImageId).Sum(l => l.Size);

    static void RemoveCgroups(string id)
    {
        foreach (string dir in CgroupDirectories(id))
        {
            try { if (Directory.Exists(dir)) Directory.Delete(dir); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Where the container's cgroups are (cgroupsPath /berth/ID) in every hierarchy, v1 or v2; most do not exist.</summary>
    internal static IEnumerable<string> CgroupDirectories(string id) =>
        new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" }.Concat(SafeDirectories("/sys/fs/cgroup"))
            .Select(root => Path.Combine(root, CgroupParent.Trim('/'), id));

    static IEnumerable<string> SafeDirectories(string dir)
    {
        try { return Directory.GetDirectories(dir); }
        catch (IOException) { return []; }
    }

    static async Task TryRuntimeAsync(Func<Task> action)
    {
        try { await action().ConfigureAwait(false); }
        catch (RuntimeException) { }
    }
}
