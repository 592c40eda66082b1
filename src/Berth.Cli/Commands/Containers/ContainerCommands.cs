using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Cli.Output;
using Berth.Engine;
using Berth.Engine.Containers.Attach;
using Berth.Engine.Services.Containers;

namespace Berth.Cli.Commands.Containers;

/// <summary>Container verbs (run, create, start, stop, kill, restart, rm, ps, logs, exec, wait, attach, pause, unpause, rename, port, update, prune) and their `container X` forms.</summary>
public static class ContainerCommands
{
    public static IEnumerable<CommandFactory> Create() =>
        [new("container", Group), new("ps", () => ContainerList.Create("ps")), .. Verbs(), new("inspect", () => Inspect("inspect", containersOnly: false))];

    /// <summary>`container ls|prune|cleanup|inspect` and every verb.</summary>
    static Command Group()
    {
        var container = new Command("container", "Manage containers");
        var ls = ContainerList.Create("ls"); ls.Aliases.Add("list"); ls.Aliases.Add("ps");
        container.Add(ls);
        foreach (var c in Verbs()) container.Add(c.Make());
        container.Add(Prune());
        container.Add(Cleanup());
        container.Add(Inspect("inspect", containersOnly: true));
        return container;
    }

    static IEnumerable<CommandFactory> Verbs() =>
    [
        new("run", () => Run("run")), new("create", () => CreateCommand("create")), new("start", Start), new("stop", Stop), new("kill", Kill),
        new("restart", Restart), new("rm", Remove), new("wait", Wait), new("attach", Attach), new("logs", ContainerLogs.Create),
        new("exec", ContainerExec.Create),
        new("pause", () => Simple("pause", "Pause all processes within one or more containers", (s, n, ct) => s.PauseAsync(n, ct))),
        new("unpause", () => Simple("unpause", "Unpause all processes within one or more containers", (s, n, ct) => s.UnpauseAsync(n, ct))),
        new("rename", Rename), new("port", Port), new("update", Update), .. ContainerFileCommands.Create(), .. ContainerMonitorCommands.Create(),
    ];

    /// <summary>Docker exits 125 when the container could not be created or started for a reason of its own.</summary>
    internal static int Fail(CommandContext context, BerthException e)
    {
        context.Error.WriteLine("Error: " + e.Message);
        return e is ContainerStartException s ? s.ExitCode : 125;
    }

    static Command CreateCommand(string name)
    {
        var options = new RunOptions();
        var command = new Command(name, "Create a new container");
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            try
            {
                foreach (var warning in options.Warnings(parse)) context.Error.WriteLine(warning);
                var request = options.Request(parse, detach: true);
                var container = await context.Engine.Containers.CreateAsync(request, ct);
                PrintCreateWarnings(context, request);
                context.Out.WriteLine(container.Id);
                return 0;
            }
            catch (BerthException e) { return Fail(context, e); }
        });
        return command;
    }

    /// <summary>The warnings Docker's daemon returns with a created container, as the docker CLI prints them.</summary>
    static void PrintCreateWarnings(CommandContext context, ContainerCreateRequest request)
    {
        foreach (var warning in ContainerService.CreateWarnings(request)) context.Error.WriteLine("WARNING: " + warning);
    }

    static Command Run(string name)
    {
        var options = new RunOptions();
        var detach = new Option<bool>("--detach", "-d") { Description = "Run container in background and print container ID" };
        var detachKeys = DetachKeysOption();
        var sigProxy = SigProxyOption();
        var command = new Command(name,
            "Create and run a new container from an image. Networking: --network none (loopback only), host (the host's network), " +
            "or default: the container's own network namespace with loopback up and ports published with -p through a local proxy; " +
            "outbound networking in the default mode is not available yet.") { detach, detachKeys, sigProxy };
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            var service = context.Engine.Containers;
            bool background = parse.GetValue(detach);
            foreach (var warning in options.Warnings(parse)) context.Error.WriteLine(warning);
            var request = options.Request(parse, background) with { StartsAttached = !background };
            ContainerRecord container;
            DetachKeys keys;
            try { keys = DetachKeys.Parse(parse.GetValue(detachKeys)); }
            catch (BerthException e) { return Fail(context, e); }
            try { container = await service.CreateAsync(request, ct); Engine.Diagnostics.PhaseTimer.Mark("created"); }
            catch (BerthException e) { return Fail(context, e); }
            PrintCreateWarnings(context, request);
            try
            {
                if (background)
                {
                    await service.StartAsync(container.Id, ct);
                    context.Out.WriteLine(container.Id);
                    return 0;
                }
                return await RunAttachedAsync(context, container, request.Interactive, request.Tty, keys, ct, parse.GetValue(sigProxy));
            }
            catch (BerthException e)
            {
                if (request.AutoRemove) await RemoveQuietly(service, container.Id);
                return Fail(context, e);
            }
        });
        return command;
    }

    static async Task RemoveQuietly(ContainerService service, string id)
    {
        try { await service.RemoveAsync(id, force: true, volumes: true); }
        catch (NotFoundException) { }
    }

    /// <summary>`--sig-proxy` of run and attach: without a terminal, SIGINT and SIGTERM go to the container (default true).</summary>
    static Option<bool> SigProxyOption() => new("--sig-proxy") { Description = "Proxy received signals to the process", DefaultValueFactory = _ => true };

    /// <summary>`--detach-keys` of run, start and attach.</summary>
    static Option<string?> DetachKeysOption() => new("--detach-keys") { Description = "Override the key sequence for detaching a container" };

    /// <summary>
    /// Starts a created container attached to the terminal or the captured writers, returns its exit code (the engine removes
    /// an --rm container), or 0 when the detach keys were typed (the container keeps running, as with Docker).
    /// </summary>
    internal static async Task<int> RunAttachedAsync(CommandContext context, ContainerRecord container, bool stdin, bool tty, DetachKeys keys, CancellationToken ct, bool sigProxy = true)
    {
        var service = context.Engine.Containers;
        var console = new ConsoleStreams(context);
        var streams = console.Attach(stdin, tty, keys);
        // With the signals proxied, Ctrl-C ends the container (and so this wait), not the wait itself.
        using var cancel = console.CancelOnDetach(console.ProxiesSignals(tty, sigProxy) ? CancellationToken.None : ct);
        try
        {
            using (console.RawTerminal(tty))
            using (console.ForwardResize(size => service.ResizeAsync(container.Id, size)))
            using (console.ForwardSignals(tty, signal => service.KillAsync(container.Id, signal), sigProxy))
                return await service.StartAttachedAsync(container.Id, streams, console.Size(), cancellationToken: cancel.Token);
        }
        catch (OperationCanceledException) when (console.Detacher?.HasDetached == true)
        {
            return 0;
        }
    }

    static Command Start()
    {
        var attach = new Option<bool>("--attach", "-a") { Description = "Attach STDOUT/STDERR and forward signals" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Attach container's STDIN" };
        var detachKeys = DetachKeysOption();
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("start", "Start one or more stopped containers") { attach, interactive, detachKeys, containers };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            var service = context.Engine.Containers;
            var names = parse.GetValue(containers)!;
            if (parse.GetValue(attach) || parse.GetValue(interactive))
            {
                if (names.Length > 1) throw new InvalidInputException("you cannot start and attach multiple containers at once");
                try
                {
                    var keys = DetachKeys.Parse(parse.GetValue(detachKeys));
                    var container = service.Get(names[0]);
                    return await RunAttachedAsync(context, container, parse.GetValue(interactive), container.Settings.Config.Tty, keys, ct);
                }
                catch (BerthException e) { return Fail(context, e); }
            }
            return await ForEach(context, names, async n => { await service.StartAsync(n, ct); context.Out.WriteLine(n); });
        });
        return command;
    }

    /// <summary>Runs an action per argument; errors are printed per item and make the exit code 1, as Docker.</summary>
    internal static async Task<int> ForEach(CommandContext context, IEnumerable<string> names, Func<string, Task> action)
    {
        int status = 0;
        foreach (var n in names)
        {
            try { await action(n); }
            catch (BerthException e)
            {
                context.Error.WriteLine("Error: " + e.Message);
                status = 1;
            }
        }
        return status;
    }

    static Command Simple(string name, string description, Func<ContainerService, string, CancellationToken, Task> action)
    {
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var command = new Command(name, description) { containers };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            return await ForEach(context, parse.GetValue(containers)!, async n => { await action(context.Engine.Containers, n, ct); context.Out.WriteLine(n); });
        });
        return command;
    }

    static Command Stop()
    {
        // Docker 23+ names it --timeout; --time is its deprecated spelling, still accepted.
        var time = new Option<int?>("--timeout", "-t", "--time") { Description = "Seconds to wait before killing the container" };
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container" };
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("stop", "Stop one or more running containers") { signal, time, containers };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            return await ForEach(context, parse.GetValue(containers)!, async n => { await context.Engine.Containers.StopAsync(n, parse.GetValue(time), parse.GetValue(signal), ct); context.Out.WriteLine(n); });
        });
        return command;
    }

    static Command Restart()
    {
        var time = new Option<int?>("--timeout", "-t", "--time") { Description = "Seconds to wait before killing the container" };
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container" };
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("restart", "Restart one or more containers") { signal, time, containers };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            return await ForEach(context, parse.GetValue(containers)!, async n => { await context.Engine.Containers.RestartAsync(n, parse.GetValue(time), parse.GetValue(signal), ct); context.Out.WriteLine(n); });
        });
        return command;
    }

    static Command Kill()
    {
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container", DefaultValueFactory = _ => "KILL" };
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("kill", "Kill one or more running containers") { signal, containers };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            return await ForEach(context, parse.GetValue(containers)!, async n => { await context.Engine.Containers.KillAsync(n, parse.GetValue(signal), ct); context.Out.WriteLine(n); });
        });
        return command;
    }

    static Command Remove()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of a running container (uses SIGKILL)" };
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove anonymous volumes associated with the container" };
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Remove one or more containers") { force, volumes, containers };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            return await ForEach(context, parse.GetValue(containers)!, async n =>
            {
                await context.Engine.Containers.RemoveAsync(n, parse.GetValue(force), parse.GetValue(volumes), ct);
                context.Out.WriteLine(n);
            });
        });
        return command;
    }

    static Command Wait()
    {
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("wait", "Block until one or more containers stop, then print their exit codes") { containers };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            return await ForEach(context, parse.GetValue(containers)!, async n => context.Out.WriteLine(await context.Engine.Containers.WaitAsync(n, ct)));
        });
        return command;
    }

    static Command Attach()
    {
        var noStdin = new Option<bool>("--no-stdin") { Description = "Do not attach STDIN" };
        var detachKeys = DetachKeysOption();
        var sigProxy = SigProxyOption();
        var container = new Argument<string>("CONTAINER");
        var command = new Command("attach", "Attach local standard input, output, and error streams to a running container") { detachKeys, noStdin, sigProxy, container };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            var service = context.Engine.Containers;
            var keys = DetachKeys.Parse(parse.GetValue(detachKeys));
            var record = service.Get(parse.GetValue(container)!);
            var console = new ConsoleStreams(context);
            bool tty = record.Settings.Config.Tty;
            bool stdin = !parse.GetValue(noStdin) && record.Settings.Config.OpenStdin;
            var streams = console.Attach(stdin, tty, keys);
            bool proxy = parse.GetValue(sigProxy);
            using var cancel = console.CancelOnDetach(console.ProxiesSignals(tty, proxy) ? CancellationToken.None : ct);
            int? code;
            try
            {
                using (console.RawTerminal(tty && stdin))
                using (console.ForwardResize(size => service.ResizeAsync(record.Id, size)))
                using (console.ForwardSignals(tty, signal => service.KillAsync(record.Id, signal), proxy))
                    code = await service.AttachAsync(record.Id, streams, cancel.Token);
            }
            catch (OperationCanceledException) when (console.Detacher?.HasDetached == true)
            {
                // Docker's attach reports the detach as its error (its EscapeError), exit status 1.
                context.Error.WriteLine("read escape sequence");
                return 1;
            }
            return code ?? 0;
        });
        return command;
    }

    static Command Rename()
    {
        var container = new Argument<string>("CONTAINER");
        var newName = new Argument<string>("NEW_NAME");
        var command = new Command("rename", "Rename a container") { container, newName };
        command.SetAction(parse =>
        {
            new CommandContext(parse).Engine.Containers.Rename(parse.GetValue(container)!, parse.GetValue(newName)!);
            return 0;
        });
        return command;
    }

    static Command Update()
    {
        var memory = new Option<string?>("--memory", "-m") { Description = "Memory limit" };
        var memorySwap = new Option<string?>("--memory-swap") { Description = "Swap limit equal to memory plus swap: -1 to enable unlimited swap" };
        var memoryReservation = new Option<string?>("--memory-reservation") { Description = "Memory soft limit" };
        var cpus = new Option<string?>("--cpus") { Description = "Number of CPUs" };
        var cpuShares = new Option<long?>("--cpu-shares", "-c") { Description = "CPU shares (relative weight)" };
        var cpusetCpus = new Option<string?>("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)" };
        var cpusetMems = new Option<string?>("--cpuset-mems") { Description = "MEMs in which to allow execution (0-3, 0,1)" };
        var pidsLimit = new Option<long?>("--pids-limit") { Description = "Tune container pids limit (set -1 for unlimited)" };
        var blkioWeight = new Option<ushort?>("--blkio-weight") { Description = "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)" };
        var restart = new Option<string?>("--restart") { Description = "Restart policy to apply when a container exits" };
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("update", "Update configuration of one or more containers")
            { memory, memorySwap, memoryReservation, cpus, cpuShares, cpusetCpus, cpusetMems, pidsLimit, blkioWeight, restart, containers };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            var request = new ContainerUpdateRequest
            {
                Memory = parse.GetValue(memory), MemorySwap = parse.GetValue(memorySwap), MemoryReservation = parse.GetValue(memoryReservation),
                Cpus = parse.GetValue(cpus), CpuShares = parse.GetValue(cpuShares), CpusetCpus = parse.GetValue(cpusetCpus),
                CpusetMems = parse.GetValue(cpusetMems), PidsLimit = parse.GetValue(pidsLimit), BlkioWeight = parse.GetValue(blkioWeight),
                Restart = parse.GetValue(restart),
            };
            if (request.IsEmpty)
            {
                context.Error.WriteLine("Error: you must provide one or more flags when using this command");
                return 1;
            }
            var warnings = new List<string>();
            int status = await ForEach(context, parse.GetValue(containers)!, async n =>
            {
                warnings.AddRange(await context.Engine.Containers.UpdateAsync(n, request, ct));
                context.Out.WriteLine(n);
            });
            // As the docker CLI: the daemon's warnings after the names, on standard output.
            if (warnings.Count > 0) context.Out.WriteLine(string.Join('\n', warnings));
            return status;
        });
        return command;
    }

    static Command Port()
    {
        var container = new Argument<string>("CONTAINER");
        var privatePort = new Argument<string?>("PRIVATE_PORT[/PROTO]") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("port", "List port mappings or a specific mapping for the container") { container, privatePort };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            var record = context.Engine.Containers.Get(parse.GetValue(container)!);
            var ports = ContainerService.PublishedPorts(record);
            if (parse.GetValue(privatePort) is { } wanted)
            {
                string key = wanted.Contains('/') ? wanted : wanted + "/tcp";
                var matches = ports.Where(p => $"{p.ContainerPort}/{p.Protocol}" == key).ToList();
                if (matches.Count == 0) throw new NotFoundException($"No public port '{key}' published for {parse.GetValue(container)}");
                foreach (var p in matches) context.Out.WriteLine($"{p.HostIp}:{p.HostPort}");
                return 0;
            }
            foreach (var p in ports.OrderBy(p => p.ContainerPort)) context.Out.WriteLine(p.DockerPortLine());
            return 0;
        });
        return command;
    }

    static Command Prune()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be removed, remove nothing" };
        var filters = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"until=<timestamp>\")" };
        var command = new Command("prune", "Remove all stopped containers") { filters, force, dryRun };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            bool dry = parse.GetValue(dryRun);
            // until= and label=/label!= as system prune takes them; a bad filter fails before the prompt, as Docker's.
            var filter = Berth.Engine.Services.Maintenance.PruneFilter.Parse(parse.GetValue(filters) ?? [], DateTimeOffset.UtcNow);
            if (filter.Dangling is not null) throw new InvalidInputException("invalid filter 'dangling'");
            if (!dry && !parse.GetValue(force))
            {
                context.Out.Write("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
                context.Out.Flush();
                string? answer = Console.IsInputRedirected || !ReferenceEquals(context.Out, Console.Out) ? Console.In.ReadLine() : Console.ReadLine();
                if (answer?.Trim().ToLowerInvariant() is not ("y" or "yes")) return 0;
            }
            var result = await context.Engine.Containers.PruneContainersAsync(filter, dry, ct);
            PruneOutput.Write(context.Out, dry ? "Would delete containers:" : "Deleted Containers:", result.Deleted, result.SpaceReclaimed, dry);
            return 0;
        });
        return command;
    }

    /// <summary>Hidden: conmon's exit command (records the exit, unmounts, removes --rm containers).</summary>
    static Command Cleanup()
    {
        var id = new Argument<string>("ID");
        var command = new Command("cleanup", "Clean up after a container exits (run by the container's monitor)") { id };
        command.Hidden = true;
        command.SetAction(async (parse, ct) =>
        {
            // A container whose store is gone (a deleted test or benchmark root) leaves nothing to clean up, and its exit
            // command must not make an empty store where there is none.
            if (!Berth.Engine.Store.BerthStore.Exists(parse.GetValue(BerthCli.RootOption))) return 0;
            var containers = new CommandContext(parse).Engine.Containers;
            try
            {
                await containers.CleanupAsync(parse.GetValue(id)!, ct);
                return 0;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Nobody reads conmon's exit command's stderr: the failure goes where `inspect`'s reader can find it.
                containers.RecordCleanupFailure(parse.GetValue(id)!, e);
                return 1;
            }
        });
        return command;
    }

    /// <summary>`inspect` (containers, then images, as Docker looks them up) and `container inspect`.</summary>
    static Command Inspect(string name, bool containersOnly)
    {
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template" };
        var type = new Option<string?>("--type") { Description = "Return JSON for specified type (container or image)" };
        var size = new Option<bool>("--size", "-s") { Description = "Display total file sizes" };
        var objects = new Argument<string[]>("NAME|ID") { Arity = ArgumentArity.OneOrMore };
        var command = new Command(name, containersOnly ? "Display detailed information on one or more containers" : "Return low-level information on Docker objects") { format, size, objects };
        if (!containersOnly) command.Add(type);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            string? kind = containersOnly ? "container" : parse.GetValue(type);
            if (kind is not (null or "container" or "image"))
                throw new InvalidInputException($"\"{kind}\" is not a valid value for --type");
            var found = new List<JsonNode>();
            int status = 0;
            foreach (var target in parse.GetValue(objects)!)
            {
                JsonNode? node = null;
                if (kind is null or "container" && context.Engine.Containers.TryGet(target) is { } c)
                {
                    var json = context.Engine.Containers.Inspect(c.Id);
                    if (parse.GetValue(size))
                    {
                        long rw = context.Engine.Containers.SizeRw(c);
                        json["SizeRw"] = rw;
                        json["SizeRootFs"] = rw + context.Engine.Containers.ImageSize(c);
                    }
                    node = json;
                }
                else if (kind is null or "image" && context.Images.TryResolve(target) is not null)
                    node = await context.Images.InspectAsync(target, ct);
                if (node is null)
                {
                    context.Error.WriteLine($"Error: No such {kind ?? "object"}: {target}");
                    status = 1;
                    continue;
                }
                found.Add(node);
            }
            if (found.Count > 0 || string.IsNullOrEmpty(parse.GetValue(format))) JsonOutput.WriteInspect(context.Out, found, parse.GetValue(format));
            return status;
        });
        return command;
    }
}
