using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    /// <summary>`create`: records a container over an image, with Docker's rules for command, environment and mounts.</summary>
    public async Task<ContainerRecord> CreateAsync(ContainerCreateRequest request, CancellationToken cancellationToken = default)
    {
        // An attached run's monitor is launched before anything here reads the database (the command's first use of it
        // opens it), under the ID the container gets.
        string? launchedFor = request.StartsAttached ? LaunchMonitorFirst(request) : null;
        Diagnostics.PhaseTimer.Mark("create: monitor launching");
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                var imageId = _images.Resolve(request.Image);
                try
                {
                    return await CreateFromAsync(request, imageId, launchedFor, cancellationToken).ConfigureAwait(false);
                }
                // The name was resolved before any lock: a build may have moved the tag since and a prune deleted the image it
                // named then. Docker's daemon resolves and creates under one lock; here the name is resolved again.
                catch (Exception) when (attempt < 3 && !cancellationToken.IsCancellationRequested
                    && _store.Metadata.GetImage(imageId) is null && _images.TryResolve(request.Image) is { } now && now != imageId)
                {
                    // The next attempt starts afresh (the failed one may have failed before it took the monitor over).
                    if (launchedFor is not null) DiscardLaunchFirst(launchedFor);
                    launchedFor = null;
                }
            }
        }
        catch when (launchedFor is not null)
        {
            DiscardLaunchFirst(launchedFor);
            throw;
        }
    }

    /// <summary>Kills the monitor <see cref="LaunchMonitorFirst"/> launched for <paramref name="id"/> and removes its directory.</summary>
    void DiscardLaunchFirst(string id)
    {
        DiscardLaunchedMonitor(id);
        TryDeleteDirectory(ContainerDirectory(id));
        TryDeleteDirectory(PersistDirectory(id)); // made for conmon by the launch
    }

    /// <param name="launchedFor">The ID whose monitor <see cref="LaunchMonitorFirst"/> launched, which the container takes.</param>
    async Task<ContainerRecord> CreateFromAsync(ContainerCreateRequest request, Digest imageId, string? launchedFor, CancellationToken cancellationToken)
    {
        byte[] imageConfig = await _store.Content.ReadAllBytesAsync(imageId, cancellationToken).ConfigureAwait(false);
        var image = ImageJson.ReadContainerConfig(imageConfig, $"config of image {imageId.Short}") ?? new ContainerConfig();
        Diagnostics.PhaseTimer.Mark("create: image config read");
        string id = launchedFor ?? ContainerNames.NewId();
        ContainerRecord? networkOwner = JoinedId(request.Network) is { } ownerName ? JoinedContainer(ownerName) : null;
        string network = networkOwner is not null ? JoinedPrefix + networkOwner.Id : request.Network switch
        {
            "default" or "bridge" or "" => "default",
            "none" => "none",
            "host" => "host",
            var other => throw new NotFoundException($"network {other} not found"),
        };
        if (networkOwner is not null) CheckJoinedNetworkFlags(request);
        if (request.Runtime is not ("runc" or "crun"))
            throw new InvalidInputException($"unknown or invalid runtime name: {request.Runtime}");
        if (request.Init && InitBinary() is null)
            throw new InvalidInputException("--init: no init binary found: install tini (docker-init or tini on PATH)");

        // ENTRYPOINT/CMD: --entrypoint replaces the image's and drops its CMD; arguments replace CMD.
        IReadOnlyList<string>? entrypoint = request.Entrypoint is null ? image.Entrypoint
            : request.Entrypoint.Length == 0 ? null : [request.Entrypoint];
        IReadOnlyList<string>? cmd = request.Command.Count > 0 ? request.Command : request.Entrypoint is not null ? null : image.Cmd;
        var argv = (entrypoint ?? []).Concat(cmd ?? []).ToList();
        if (argv.Count == 0) throw new InvalidInputException("No command specified");

        var env = new List<string>();
        foreach (var file in request.EnvFiles) env.AddRange(RunFlagParsers.EnvFile(file));
        foreach (var e in request.Env) env.AddRange(RunFlagParsers.Env(e));
        // A later value of the same variable (-e after --env-file) wins, in the place of the first.
        env = env.GroupBy(e => e.Split('=', 2)[0]).Select(g => g.Last()).ToList();
        var keys = env.Select(e => e.Split('=', 2)[0]).ToHashSet();
        var mergedEnv = env.Concat((image.Env ?? []).Where(e => !keys.Contains(e.Split('=', 2)[0]))).ToList();

        var labels = new SortedDictionary<string, string>(image.Labels ?? new SortedDictionary<string, string>(), StringComparer.Ordinal);
        foreach (var label in request.Labels)
        {
            int eq = label.IndexOf('=');
            labels[eq < 0 ? label : label[..eq]] = eq < 0 ? "" : label[(eq + 1)..];
        }

        var mappings = Berth.Engine.Containers.Ports.PortMapping.ParseAll(request.Publish).ToList();
        var exposed = new SortedDictionary<string, EmptyObject>(image.ExposedPorts ?? new SortedDictionary<string, EmptyObject>(), StringComparer.Ordinal);
        foreach (var e in request.Expose) foreach (var p in ExposedPorts(e)) exposed[p.ContainerPortKey] = new EmptyObject();
        foreach (var p in mappings) exposed[p.ContainerPortKey] = new EmptyObject();
        // -P: every exposed port not published with -p, on a port the host chooses (on Berth's loopback default).
        if (request.PublishAll)
            foreach (var key in exposed.Keys.Where(k => !mappings.Any(m => m.ContainerPortKey == k)).ToList())
                mappings.AddRange(Berth.Engine.Containers.Ports.PortMapping.Parse(key));
        var ports = Berth.Engine.Containers.Ports.PortAllocator.Allocate(mappings);

        var mounts = new List<ContainerMount>();
        foreach (var v in request.Volumes) mounts.Add(ResolveVolume(v));
        var tmpfs = new Dictionary<string, string>();
        foreach (var t in request.Tmpfs)
        {
            var (dest, options) = RunFlagParsers.Tmpfs(t);
            tmpfs[dest] = options;
        }
        foreach (var value in request.Mounts)
        {
            var mount = MountFlagParser.Parse(value);
            switch (mount.Type)
            {
                case "bind": mounts.Add(new ContainerMount("bind", mount.Source, mount.Target, !mount.ReadOnly, Options: mount.Options)); break;
                case "volume" when mount.Source.Length == 0: mounts.Add(AnonymousVolume(mount.Target) with { ReadWrite = !mount.ReadOnly, Options = mount.Options }); break;
                case "volume": mounts.Add(NamedVolume(mount.Source, mount.Target, !mount.ReadOnly, mount.Options)); break;
                default: tmpfs[mount.Target] = mount.Options; break;
            }
        }
        foreach (var dest in (image.Volumes?.Keys ?? Enumerable.Empty<string>()))
            if (!mounts.Any(m => m.Destination.TrimEnd('/') == dest.TrimEnd('/')) && !tmpfs.ContainsKey(dest))
                mounts.Add(AnonymousVolume(dest));
        var duplicate = mounts.GroupBy(m => m.Destination.TrimEnd('/')).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidInputException($"Duplicate mount point: {duplicate.Key}");

        var devices = request.Devices.Select(HostFlagParsers.Device).ToList();
        foreach (var rule in request.DeviceCgroupRules) HostFlagParsers.DeviceCgroupRule(rule);
        foreach (var device in devices) HostDeviceNodes.Expand(device.PathOnHost, device.PathInContainer);
        var restart = RestartPolicies.Parse(request.Restart);
        if (request.AutoRemove && restart.Name != "no") throw new InvalidInputException("Conflicting options: --restart and --rm");
        var namespaces = (Pid: HostFlagParsers.PidMode(request.Pid), Ipc: HostFlagParsers.IpcMode(request.Ipc), Uts: HostFlagParsers.UtsMode(request.Uts));
        if (JoinedId(namespaces.Pid) is { } pidOwner) namespaces.Pid = JoinedPrefix + JoinedContainer(pidOwner).Id;
        if (JoinedId(namespaces.Ipc) is { } ipcOwnerName)
        {
            var ipcOwner = JoinedContainer(ipcOwnerName);
            // Docker finds this out only at the start; a donor's IPC mode never changes, so the create is refused here.
            if (!SharesIpc(ipcOwner.Settings.HostConfig)) throw NonShareableIpc(ipcOwner.Id);
            namespaces.Ipc = JoinedPrefix + ipcOwner.Id;
        }
        if (namespaces.Uts == "host" && request.Hostname is not null)
            throw new InvalidInputException("conflicting options: hostname and the UTS mode");
        var extraHosts = request.ExtraHosts.Select(HostFlagParsers.ExtraHost).ToList();
        if (extraHosts.Any(h => h.EndsWith(":" + HostFlagParsers.HostGateway, StringComparison.Ordinal))) HostFlagParsers.HostGatewayAddress(network);
        var sysctls = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in request.Sysctls)
        {
            var (key, setting) = HostFlagParsers.Sysctl(value, network, namespaces.Ipc);
            sysctls[key] = setting;
        }
        // A later --ulimit of the same resource replaces an earlier one.
        var ulimits = request.Ulimits.Select(HostFlagParsers.Ulimit).GroupBy(u => u.Name).Select(g => g.Last()).ToList();
        long memory = request.Memory is { } m ? RunFlagParsers.MemoryBytes(m) : 0;
        var (memorySwap, memoryReservation) = RunFlagParsers.MemorySwapAndReservation(memory, request.MemorySwap, request.MemoryReservation);
        long cpus = request.Cpus is { } c ? RunFlagParsers.NanoCpus(c) : 0;
        foreach (var cap in request.CapAdd.Concat(request.CapDrop))
            if (!cap.Equals("ALL", StringComparison.OrdinalIgnoreCase)) Capabilities.Normalize(cap);

        bool attached = !request.Detach;
        var config = image with
        {
            Hostname = networkOwner?.Settings.Config.Hostname
                ?? request.Hostname ?? (network == "host" || namespaces.Uts == "host" ? Environment.MachineName : id[..12]),
            Domainname = "",
            User = request.User ?? image.User,
            AttachStdin = attached && request.Interactive,
            AttachStdout = attached,
            AttachStderr = attached,
            ExposedPorts = exposed.Count > 0 ? exposed : null,
            Tty = request.Tty,
            OpenStdin = request.Interactive,
            StdinOnce = attached && request.Interactive,
            Env = mergedEnv,
            Cmd = cmd,
            Image = request.Image,
            WorkingDir = request.WorkingDir ?? image.WorkingDir,
            Entrypoint = entrypoint,
            OnBuild = null,
            Labels = labels,
            StopSignal = request.StopSignal ?? image.StopSignal,
            StopTimeout = request.StopTimeout ?? image.StopTimeout,
            Healthcheck = request.Healthcheck.Resolve(image.Healthcheck),
        };
        if (config.WorkingDir.Length > 0 && !config.WorkingDir.StartsWith('/'))
            throw new InvalidInputException($"the working directory '{config.WorkingDir}' is invalid, it needs to be an absolute path");

        var settings = new ContainerSettings
        {
            ImageName = request.Image,
            Path = argv[0],
            Args = argv.Skip(1).ToList(),
            Config = config,
            HostConfig = new HostSettings
            {
                Binds = request.Volumes.Where(v => RunFlagParsers.Volume(v).Source is not null).ToList(),
                NetworkMode = network,
                AutoRemove = request.AutoRemove,
                Privileged = request.Privileged,
                ReadonlyRootfs = request.ReadOnly,
                CapAdd = request.CapAdd,
                CapDrop = request.CapDrop,
                SecurityOpt = request.SecurityOpt,
                Memory = memory,
                NanoCpus = cpus,
                PidsLimit = request.PidsLimit,
                Tmpfs = tmpfs,
                Init = request.Init,
                Runtime = request.Runtime,
                ExtraHosts = extraHosts,
                Dns = request.Dns.Select(HostFlagParsers.DnsServer).ToList(),
                DnsSearch = request.DnsSearch.Select(HostFlagParsers.DnsSearch).ToList(),
                DnsOptions = request.DnsOptions,
                Ulimits = ulimits,
                Sysctls = sysctls,
                ShmSize = request.ShmSize is { } shm ? HostFlagParsers.ShmSize(shm) : HostSettings.DefaultShmSize,
                CpuShares = request.CpuShares ?? 0,
                CpusetCpus = request.CpusetCpus is { Length: > 0 } cpuset ? HostFlagParsers.CpusetCpus(cpuset) : "",
                CpusetMems = request.CpusetMems is { Length: > 0 } mems ? HostFlagParsers.CpusetMems(mems) : "",
                PidMode = namespaces.Pid,
                IpcMode = namespaces.Ipc,
                UTSMode = namespaces.Uts,
                PublishAllPorts = request.PublishAll,
                MemorySwap = memorySwap,
                MemoryReservation = memoryReservation,
                RestartPolicy = restart,
                Devices = devices,
                DeviceCgroupRules = request.DeviceCgroupRules,
                // Docker discards it where the kernel cannot do it: cgroup v2 has no OOM-killer switch.
                OomKillDisable = request.OomKillDisable && CgroupLayout.Mode != CgroupMode.Unified,
            },
            Mounts = mounts,
            Ports = ports,
        };
        if (HasBlockIoFlags(request)) settings = settings with { HostConfig = BlockIoLimits.Apply(settings.HostConfig, request, BlockIoSupport.Host) };

        Diagnostics.PhaseTimer.Mark("create: settings built");
        var chains = _store.Metadata.ImageLayers(imageId).Select(l => l.ChainId).ToList();
        Directory.CreateDirectory(ContainerDirectory(id));
        try
        {
            string firstName = request.Name is { } given ? ContainerNames.Validate(given) : ContainerNames.Random(0);
            // The volumes lock covers creating volumes and the row that uses them, so a concurrent volume rm sees the user.
            using (_volumes.Lock())
            using (_store.ReferenceLock())
            {
                // Resolved before the lock: a prune or rmi may have deleted it since (they cannot while the lock is held).
                if (_store.Metadata.GetImage(imageId) is null) throw new NotFoundException($"No such image: {request.Image}");
                foreach (var chain in chains)
                    if (!_store.Snapshots.HasLayer(chain)) throw new InvalidInputException($"layer {chain} of image {imageId.Short} is not in the store");
                _store.Snapshots.PrepareActive(id, chains);
                Diagnostics.PhaseTimer.Mark("create: snapshot prepared");
                settings = settings with { Mounts = CreateVolumes(settings.Mounts) };
                var volumeNames = settings.Mounts.Where(v => v.Type == "volume").Select(v => v.Name!).ToList();
                for (int attempt = 0; ; attempt++)
                {
                    // Only a random name is drawn again (the catch below retries only those).
                    string name = attempt == 0 ? firstName : ContainerNames.Random(attempt);
                    var row = new ContainerRow(id, name, imageId, DateTimeOffset.UtcNow, new ContainerState(ContainerStatus.Created), ContainerSettingsJson.WriteUtf8(settings));
                    try
                    {
                        _store.Metadata.Write((conn, t) => _store.Metadata.AddContainer(row, chains, volumeNames, conn, t));
                        break;
                    }
                    catch (ConflictException) when (request.Name is null && attempt < 10) { }
                }
            }
            Diagnostics.PhaseTimer.Mark("create: recorded");
            await SeedVolumesAsync(id, settings, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            var created = _store.Metadata.GetContainer(id);
            _store.Metadata.DeleteContainer(id);
            if (created is not null) RemoveAnonymousVolumes(ToRecord(created, settings));
            _store.Snapshots.RemoveActive(id);
            TryDeleteDirectory(ContainerDirectory(id));
            throw;
        }
        return Get(id);
    }

    /// <summary>A `-v` value as a mount: an absolute source is a host directory (created when missing, as Docker does), another a volume name.</summary>
    ContainerMount ResolveVolume(string value)
    {
        var (source, dest, rw, options) = RunFlagParsers.Volume(value);
        if (source is null) return AnonymousVolume(dest) with { ReadWrite = rw, Options = options };
        if (source.StartsWith('/'))
        {
            if (!Path.Exists(source)) Directory.CreateDirectory(source);
            return new ContainerMount("bind", source, dest, rw, Options: options);
        }
        if (source.StartsWith('.') || source.StartsWith('~'))
            throw new InvalidInputException($"invalid volume specification: '{value}': {source} includes invalid characters for a local volume name; if you intended to pass a host directory, use absolute path");
        return NamedVolume(source, dest, rw, options);
    }

    /// <summary>An --expose value (port[/proto] or a range) as the container ports it names.</summary>
    static IReadOnlyList<Berth.Engine.Containers.Ports.PortMapping> ExposedPorts(string value)
    {
        if (value.Contains(':')) throw new InvalidInputException($"invalid argument \"{value}\" for \"--expose\" flag: a port to expose has no host side (use -p to publish)");
        return Berth.Engine.Containers.Ports.PortMapping.Parse(value);
    }

    static string? InitBinary() =>
        OciRuntime.FindBinary("docker-init") ?? OciRuntime.FindBinary("tini-static") ?? OciRuntime.FindBinary("tini");

    /// <summary>"container:" of --network container:NAME and --pid container:NAME: another container's namespace.</summary>
    internal const string JoinedPrefix = "container:";

    /// <summary>NAME (or ID) of a "container:NAME" mode; null for any other mode.</summary>
    internal static string? JoinedId(string mode) => mode.StartsWith(JoinedPrefix, StringComparison.Ordinal) ? mode[JoinedPrefix.Length..] : null;

    /// <summary>The container a "container:NAME" mode names (<paramref name="name"/>, see <see cref="JoinedId"/>), which must exist.</summary>
    ContainerRecord JoinedContainer(string name)
    {
        if (name.Length == 0) throw new InvalidInputException($"Invalid network mode: invalid container format container:<name|id>");
        return Find(name) ?? throw new NotFoundException($"No such container: {name}");
    }

    /// <summary>
    /// Whether others may join the IPC namespace of a container with <paramref name="host"/>: made `--ipc shareable`, in the
    /// host's (whose /dev/shm it has), or itself in such a container's, as Docker tells by the container's ShmPath.
    /// </summary>
    static bool SharesIpc(HostSettings host) => host.IpcMode is "shareable" or "host" || JoinedId(host.IpcMode) is not null;

    static InvalidInputException NonShareableIpc(string id) =>
        new($"container {id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)");

    /// <summary>Docker's refusals for a container joining another's network: what that network already decides.</summary>
    static void CheckJoinedNetworkFlags(ContainerCreateRequest request)
    {
        if (request.Hostname is not null) throw new InvalidInputException("conflicting options: hostname and the network mode");
        // Only --dns: Docker takes --dns-search and --dns-option there and they change nothing (the files are the other's).
        if (request.Dns.Count > 0) throw new InvalidInputException("conflicting options: dns and the network mode");
        if (request.ExtraHosts.Count > 0) throw new InvalidInputException("conflicting options: custom host-to-IP mapping and the network mode");
        if (request.Publish.Count > 0 || request.PublishAll)
            throw new InvalidInputException("conflicting options: port publishing and the container type network mode");
        if (request.Expose.Count > 0) throw new InvalidInputException("conflicting options: port exposing and the container type network mode");
    }

    static void TryDeleteDirectory(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    static bool HasBlockIoFlags(ContainerCreateRequest request) =>
        request.BlkioWeight > 0 || request.BlkioWeightDevices.Count > 0 || request.DeviceReadBps.Count > 0
        || request.DeviceWriteBps.Count > 0 || request.DeviceReadIops.Count > 0 || request.DeviceWriteIops.Count > 0;

    /// <summary>
    /// What Docker's daemon warns of when it creates a container from <paramref name="request"/> (its create's Warnings,
    /// which the docker CLI prints): settings this machine's cgroups cannot apply, which the create leaves out.
    /// </summary>
    public static IEnumerable<string> CreateWarnings(ContainerCreateRequest request)
    {
        if (request.OomKillDisable && CgroupLayout.Mode == CgroupMode.Unified)
            yield return "Your kernel does not support OomKillDisable. OomKillDisable discarded.";
        if (HasBlockIoFlags(request))
            foreach (var warning in BlockIoLimits.Warnings(request, BlockIoSupport.Host)) yield return warning;
    }
}
