using Berth.Engine.Metadata;
using Berth.Engine.Runtime;
using Berth.Engine.Services.Images;
using Berth.Engine.Services.Volumes;
using Berth.Engine.Snapshots;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// Container verbs over the store: create, start, stop, kill, rm, exec, logs, inspect. State lives in SQLite and is
/// reconciled from conmon's exit file on every read, so it tells the truth even when no berth process saw the exit.
/// </summary>
public sealed partial class ContainerService
{
    /// <summary>Where conmon's attach-socket links go: shared by every store, short enough for the 108-byte socket path limit.</summary>
    public const string SocketDirectory = "/run/berth/socket";
    /// <summary>Parent of every container's cgroup (cgroupfs path /berth/ID).</summary>
    public const string CgroupParent = "/berth";

    readonly BerthStore _store;
    readonly ImageService _images;
    readonly VolumeService _volumes;

    public ContainerService(BerthStore store, ImageService images, VolumeService volumes)
    {
        _store = store;
        _images = images;
        _volumes = volumes;
        volumes.VolumeUsers = name => store.Metadata.ContainersUsingVolume(name);
        images.ImageUsers = imageId => store.Metadata.ContainersOfImage(imageId)
            .Select(r => new ImageUser(r.Id, Reconcile(r).State.IsRunning)).ToList();
    }

    public BerthStore Store => _store;

    public string ContainerDirectory(string id) => Path.Combine(_store.ContainersDirectory, id);
    public string RootfsPath(string id) => Path.Combine(ContainerDirectory(id), "rootfs");
    public string LogPath(string id) => Path.Combine(ContainerDirectory(id), "ctr.log");
    string ExitDirectory => Path.Combine(_store.RunDirectory, "exits");
    string PersistDirectory(string id) => Path.Combine(_store.RunDirectory, "persist", id);

    /// <summary>The OCI runtime a container uses, with its state under the store's run directory.</summary>
    public IOciRuntime RuntimeOf(ContainerRecord container) => RuntimeNamed(container.Settings.HostConfig.Runtime);

    // One runtime and one monitor per runtime name for the service's life: each finds its binary on PATH when made.
    readonly Dictionary<string, IOciRuntime> _runtimes = new(StringComparer.Ordinal);
    readonly Dictionary<IOciRuntime, ConmonMonitor> _monitors = [];

    IOciRuntime RuntimeNamed(string name)
    {
        lock (_runtimes)
        {
            if (!_runtimes.TryGetValue(name, out var runtime))
                _runtimes[name] = runtime = OciRuntime.Create(name, Path.Combine(_store.RunDirectory, name));
            return runtime;
        }
    }

    ConmonMonitor MonitorFor(IOciRuntime runtime)
    {
        lock (_runtimes)
        {
            if (!_monitors.TryGetValue(runtime, out var monitor))
                _monitors[runtime] = monitor = new ConmonMonitor(runtime, socketDir: SocketDirectory);
            return monitor;
        }
    }

    StoreLock Lock(string id) => ContainerLock.Acquire(_store.LockDirectory, id);

    /// <summary>Finds a container by full ID, name, or unique ID prefix (Docker's order) and reconciles its state.</summary>
    public ContainerRecord Get(string nameOrId) => TryGet(nameOrId) ?? throw new NotFoundException($"No such container: {nameOrId}");

    public ContainerRecord? TryGet(string nameOrId) => Find(nameOrId) is { } found && !RemovedAbandoned(found) ? found : null;

    /// <summary><see cref="TryGet"/> without removing an abandoned --rm container (for rm itself).</summary>
    ContainerRecord? Find(string nameOrId)
    {
        if (string.IsNullOrEmpty(nameOrId)) return null;
        var row = _store.Metadata.GetContainer(nameOrId) ?? _store.Metadata.GetContainerByName(nameOrId.TrimStart('/'));
        if (row is null && nameOrId.All(char.IsAsciiHexDigit))
        {
            var matches = _store.Metadata.FindContainersByPrefix(nameOrId.ToLowerInvariant());
            if (matches.Count > 1) throw new ConflictException($"Multiple IDs found with provided prefix: {nameOrId}");
            if (matches.Count == 1) row = _store.Metadata.GetContainer(matches[0]);
        }
        return row is null ? null : Reconcile(row);
    }

    /// <summary>Every container, newest first, reconciled.</summary>
    public IReadOnlyList<ContainerRecord> List()
    {
        var rows = _store.Metadata.ListContainers();
        var health = _store.Metadata.AllHealth();
        return rows.Select(r => health.TryGetValue(r.Id, out var h) ? Reconcile(r) with { Health = ToHealthState(h) } : Reconcile(r))
            .Where(c => !RemovedAbandoned(c)).ToList();
    }

    /// <summary>
    /// Removes an --rm container that has exited while the berth process that was to remove it is gone (see
    /// <see cref="RemovalLease"/>); true when it was such a container (removed now, or by someone else meanwhile).
    /// </summary>
    bool RemovedAbandoned(ContainerRecord container)
    {
        if (!container.Settings.HostConfig.AutoRemove || container.State.Status != ContainerStatus.Exited) return false;
        if (!RemovalLease.IsAbandoned(ContainerDirectory(container.Id))) return false;
        // Synchronous, as every lookup is: the removal awaits nothing that needs the caller's thread.
        try { RemoveAsync(container.Id, force: true, volumes: true).GetAwaiter().GetResult(); }
        catch (NotFoundException) { }
        return true;
    }

    /// <summary>
    /// A running or paused container whose exit file exists has exited: record its code and the file's time (libpod does
    /// the same). One whose monitor is gone without an exit file (killed, or the machine rebooted) is recorded as exited too.
    /// </summary>
    ContainerRecord Reconcile(ContainerRow row) => Reconcile(row, locked: false);

    /// <summary>Reads a container while holding its lock <paramref name="held"/> (reconciling without taking the lock again).</summary>
    ContainerRecord? GetLocked(StoreLock held, string id) => RowHolding(held, id) is { } row ? Reconcile(row, locked: true) : null;

    /// <summary>
    /// Reads a container's row while holding its lock <paramref name="held"/>. For a container that is gone the lock file
    /// goes when the lock is let go: taking the lock may have made the file again (a cleanup or a racing rm after the removal).
    /// </summary>
    ContainerRow? RowHolding(StoreLock held, string id)
    {
        var row = _store.Metadata.GetContainer(id);
        if (row is null) held.RemoveFileOnRelease();
        return row;
    }

    ContainerRecord Reconcile(ContainerRow row, bool locked)
    {
        var settings = ContainerSettings.FromJson(row.Settings);
        if (!row.State.IsRunning) return ToRecord(row, settings);
        if (ObservedExit(row) is not { } observed) return ToRecord(row, settings);
        using (var held = locked ? null : Lock(row.Id))
        {
            var fresh = held is null ? _store.Metadata.GetContainer(row.Id) : RowHolding(held, row.Id);
            // Removed while this waited for the lock (an rm -f holds it through the removal): the exit as observed, with its
            // code (a `wait` returns it), not the running row's.
            if (fresh is null) return ToRecord(row with { State = observed }, settings);
            if (fresh.State.IsRunning && ObservedExit(fresh) is { } exited)
            {
                _store.Metadata.SetContainerState(fresh.Id, exited);
                fresh = fresh with { State = exited };
            }
            return ToRecord(fresh, settings);
        }
    }

    /// <summary>The exited state of a container that was running, or null when it still runs.</summary>
    ContainerState? ObservedExit(ContainerRow row)
    {
        string exitFile = Path.Combine(ExitDirectory, row.Id);
        if (ConmonMonitor.ReadExitCode(ExitDirectory, row.Id) is { } code)
        {
            var finished = new DateTimeOffset(File.GetLastWriteTimeUtc(exitFile), TimeSpan.Zero);
            bool oom = File.Exists(Path.Combine(PersistDirectory(row.Id), "oom"));
            return row.State with { Status = ContainerStatus.Exited, ExitCode = code, FinishedAt = finished, Pid = 0, OomKilled = oom };
        }
        if (row.State.MonitorPid > 0 && !NativeProcess.Exists(row.State.MonitorPid) && !NativeProcess.Exists(row.State.Pid))
            return row.State with { Status = ContainerStatus.Exited, ExitCode = 255, FinishedAt = DateTimeOffset.UtcNow, Pid = 0, Error = "the container's monitor exited without recording an exit code" };
        return null;
    }

    static ContainerRecord ToRecord(ContainerRow row, ContainerSettings settings) =>
        new(row.Id, row.Name, row.ImageId, row.Created, row.State, settings);

    ActiveSnapshot Snapshot(ContainerRecord container)
    {
        var chains = _store.Metadata.ImageLayers(container.ImageId).Select(l => l.ChainId).ToList();
        return _store.Snapshots.FindActive(container.Id, chains) ?? _store.Snapshots.PrepareActive(container.Id, chains);
    }

    /// <summary>The container's read/write layer (overlay upper dir), for diff and commit.</summary>
    public string UpperDirectory(ContainerRecord container) => Snapshot(container).UpperDirectory;

    /// <summary>
    /// The container's root file system, mounted if it is not (a stopped container's is not); dispose the lease to unmount
    /// it again unless the container has started meanwhile. For cp, export, diff of stopped containers.
    /// </summary>
    public RootfsLease MountRootfs(string nameOrId)
    {
        var container = Get(nameOrId);
        string target = RootfsPath(container.Id);
        bool mountedHere = false;
        using (Lock(container.Id))
        {
            if (!RootfsMount.IsMounted(target))
            {
                RootfsMount.Mount(Snapshot(container), target, Path.Combine(ContainerDirectory(container.Id), "empty"), disposable: container.Settings.HostConfig.AutoRemove);
                mountedHere = true;
            }
        }
        return new RootfsLease(target, () =>
        {
            if (!mountedHere) return;
            using (var held = Lock(container.Id))
                if (GetLocked(held, container.Id) is not { IsRunning: true }) RootfsMount.Unmount(target);
        });
    }

    /// <summary>Host pid of the container's init process while it runs, else null.</summary>
    public int? InitPid(ContainerRecord container) => container.IsRunning && container.State.Pid > 0 ? container.State.Pid : null;

    /// <summary>The container's cgroup as a cgroupfs path (/berth/ID); see <see cref="CgroupLayout.ControllerPath"/>.</summary>
    public static string CgroupPath(ContainerRecord container) => CgroupParent + "/" + container.Id;

    /// <summary>/proc/PID/ns/net of a running container with its own network namespace; null when stopped or on the host network.</summary>
    public string? NetworkNamespacePath(ContainerRecord container) =>
        container.Settings.HostConfig.NetworkMode == "host" || InitPid(container) is not { } pid ? null : $"/proc/{pid}/ns/net";

    /// <summary>The ports published with -p.</summary>
    public static IReadOnlyList<Berth.Engine.Containers.Ports.PortBinding> PublishedPorts(ContainerRecord container) => container.Settings.Ports;
}
