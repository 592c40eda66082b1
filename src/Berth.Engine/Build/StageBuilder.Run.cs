using Berth.Engine.Containers;
using Berth.Engine.Dockerfile.Expansion;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Runtime;

namespace Berth.Engine.Build;

public sealed partial class StageBuilder
{
    async Task<StepPlan> PlanRunAsync(RunInstruction run, CancellationToken cancellationToken)
    {
        var used = _env.UsedBuildArgs();
        // Proxy args change without busting the cache unless declared (Docker's rule for the |N prefix).
        var keyed = used.Where(p => !BuildArgScope.PredefinedArgNames.Contains(p.Key) || _env.IsDeclared(p.Key)).ToList();
        string prefix = _env.HistoryPrefix();
        IReadOnlyList<string> argv;
        (string Name, string Content)? scriptFile = null;
        if (run.Command.IsExecForm) argv = run.Command.Arguments;
        else
        {
            // Heredocs as BuildKit runs them (dockerfile2llb dispatchRun): `RUN <<EOF` alone runs the body as the shell's
            // script, or, when the body starts with #!, as an executable file /dev/pipes/NAME; a heredoc fed to a command
            // (`RUN cat <<EOF > /f`) is given back to the shell with its body and terminator, and the shell reads it.
            string script = string.Join(' ', run.Command.Arguments);
            if (run.Heredocs.Count > 0)
            {
                var heredoc = run.Heredocs[0];
                string bare = script.Trim();
                if (run.Heredocs.Count == 1 && (bare == "<<" + heredoc.Name || bare == "<<-" + heredoc.Name || bare.StartsWith("<<", StringComparison.Ordinal) && bare.Trim('<', '-', '"', '\'') == heredoc.Name))
                {
                    script = heredoc.EffectiveContent;
                    if (script.StartsWith("#!", StringComparison.Ordinal))
                    {
                        scriptFile = (heredoc.Name, script);
                        script = "/dev/pipes/" + heredoc.Name;
                    }
                }
                else script += string.Concat(run.Heredocs.Select(h => "\n" + h.Content + h.Name));
            }
            argv = [.. Shell, script];
        }
        string commandText = string.Join(' ', argv);
        string createdBy = prefix.Length == 0 ? commandText : prefix + " " + commandText;
        // Mount options are part of the step; a bind of the context also makes the bound files an input, as COPY's are.
        var sourceLines = new List<string>();
        foreach (var mount in run.Mounts.Where(m => m.Type == Dockerfile.Instructions.MountType.Bind && m.From is null && session.Context.Root is not null))
        {
            string relative = RootfsPath.Clean("/" + (mount.Source is { } src ? Expand(src) : "")).TrimStart('/');
            if (session.Context.Get(relative) is { } entry) AddSourceLines(sourceLines, session.Context, entry, "", CancellationToken.None);
        }
        // A bind or cache mount `from=` a stage or image: that state's identity is an input of the step, as for COPY --from.
        var mountSources = new BuildState?[run.Mounts.Count];
        for (int i = 0; i < run.Mounts.Count; i++)
        {
            if (run.Mounts[i] is not { From: { } from, Type: Dockerfile.Instructions.MountType.Bind or Dockerfile.Instructions.MountType.Cache }) continue;
            var (source, identity) = await ResolveSourceStateAsync(Expand(from), cancellationToken).ConfigureAwait(false);
            mountSources[i] = source;
            sourceLines.Add($"--mount {i}\t{identity}");
        }
        string mountText = string.Concat(run.Mounts.Select(m => "--mount=" + m.Raw + " "));
        var inputs = new StepInputs("RUN " + mountText + commandText, string.Join('\n', keyed.Select(p => p.Key + "=" + p.Value)), sourceLines);
        var network = run.Network switch
        {
            Dockerfile.Instructions.NetworkMode.None => Runtime.NetworkMode.None,
            Dockerfile.Instructions.NetworkMode.Host => Runtime.NetworkMode.Host,
            _ => session.Options.Network,
        };
        if (scriptFile is { } file) inputs = inputs with { Instruction = inputs.Instruction + "\n" + file.Content };
        return new StepPlan(inputs, (step, ct) => ExecuteRunAsync(step, run, mountSources, argv, scriptFile, commandText, createdBy, used, network, ct));
    }

    async Task<(BuildState, long, string?)> ExecuteRunAsync(BuildStep step, RunInstruction run, IReadOnlyList<BuildState?> mountSources,
        IReadOnlyList<string> argv, (string Name, string Content)? scriptFile,
        string commandText, string createdBy, IReadOnlyList<KeyValuePair<string, string>> buildArgs, Runtime.NetworkMode network, CancellationToken cancellationToken)
    {
        var config = _state.Run;
        using var mounts = RunMounts(run, mountSources);
        var binds = mounts.Binds;
        using var workspace = StepWorkspace.Open(session.Store, _state.Layers, withInitLayer: true, mounts.DirectoryTargets, mounts.FileTargets);
        var user = ImageUsers.Load(workspace.Rootfs).ResolveUser(config.User);
        var env = (config.Env ?? []).ToList();
        foreach (var (k, v) in buildArgs) env.Add(k + "=" + v);
        env.AddRange(mounts.Env);
        string id = Identifiers.KernelRandom.Hex(32);
        string scratch = workspace.ScratchDirectory;
        string hosts = Path.Combine(scratch, "hosts"), resolv = Path.Combine(scratch, "resolv.conf"), hostname = Path.Combine(scratch, "hostname");
        string name = network == Runtime.NetworkMode.Host ? Environment.MachineName : id[..12];
        await File.WriteAllTextAsync(hosts, network == Runtime.NetworkMode.Host && File.Exists("/etc/hosts")
            ? await File.ReadAllTextAsync("/etc/hosts", cancellationToken).ConfigureAwait(false)
            : $"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\t{name}\n", cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(resolv, File.Exists("/etc/resolv.conf") ? await File.ReadAllTextAsync("/etc/resolv.conf", cancellationToken).ConfigureAwait(false) : "",
            cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(hostname, name + "\n", cancellationToken).ConfigureAwait(false);
        if (scriptFile is { } file)
        {
            // Bound read-only over /dev (the runtime's tmpfs), so it never lands in the step's layer.
            string path = Path.Combine(scratch, "pipes", file.Name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, file.Content, cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
            binds.Add(new BindMount(path, "/dev/pipes/" + file.Name, ReadOnly: true));
        }

        var spec = new OciSpecBuilder().Build(new ContainerRunSpec
        {
            RootfsPath = workspace.Rootfs,
            Args = argv,
            Env = env,
            WorkingDir = config.WorkingDir.Length == 0 ? "/" : config.WorkingDir,
            Uid = user.Uid,
            Gid = user.Gid,
            AdditionalGids = user.AdditionalGids,
            Hostname = name,
            Network = network,
            HostsFile = hosts,
            ResolvConfFile = resolv,
            HostnameFile = hostname,
            ContainerId = id,
            Binds = binds,
            Tmpfs = mounts.Tmpfs,
        });
        string bundle = Path.Combine(scratch, "bundle");
        Directory.CreateDirectory(bundle);
        OciBundle.Write(bundle, spec);
        var runtime = OciRuntime.Create(session.Options.Runtime, Path.Combine(session.Store.RunDirectory, session.Options.Runtime));
        session.Progress.RunStarted(step, id[..12]);
        var output = new StepOutput(line => session.Progress.Output(step, line));
        int code;
        try
        {
            code = await runtime.RunAsync(id, bundle, output.Stdout, output.Stderr, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            output.Flush();
            try { await runtime.DeleteAsync(id, force: true, CancellationToken.None).ConfigureAwait(false); }
            catch (RuntimeException) { }
        }
        if (code != 0)
            throw new BuildStepFailedException(
                $"{session.FileName}:{run.StartLine}: {Display(run)}: The command '{commandText}' returned a non-zero code: {code}", code, output.LastLines);
        var layer = await workspace.CommitAsync(_state.Layers.LastOrDefault(), session.TarOptions, session.Lease, cancellationToken).ConfigureAwait(false);
        return (_state.Append(config, createdBy, session.Created, layer), layer?.Size ?? 0, id[..12]);
    }

    /// <summary>Where <c>RUN --mount=type=cache</c> directories live (cleared by <c>builder prune -a</c>).</summary>
    public static string CacheMountsDirectory(Store.BerthStore store) => Path.Combine(store.Root, "build-cache-mounts");
}
