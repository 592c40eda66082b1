using Berth.Engine.Containers;
using System.Diagnostics;
using Berth.Engine.Content;
using Berth.Engine.Dockerfile.Expansion;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;
using Berth.Engine.Images;
using Berth.Engine.Metadata;

namespace Berth.Engine.Build;

/// <summary>Builds one stage: FROM, the base's ONBUILD triggers, then each instruction as a cached step.</summary>
public sealed partial class StageBuilder(BuildSession session, Stage stage)
{
    BuildState _state = null!;
    StageEnvironment _env = null!;
    bool _cmdSetInStage;
    bool _previousRebuilt;
    string StageLabel => stage.Name ?? stage.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    IReadOnlyList<string> Shell => _state.Run.Shell is { Count: > 0 } s ? s : ImageConfigEditor.DefaultShell;

    public async Task<BuildState> BuildAsync(CancellationToken cancellationToken)
    {
        await FromAsync(cancellationToken).ConfigureAwait(false);
        var instructions = stage.Instructions.ToList();
        if (session.Options.Labels.Count > 0 && IsTarget)
            instructions.Add(new LabelInstruction
            {
                Keyword = "LABEL",
                Labels = session.Options.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new KeyValue(l.Key, l.Value, false)).ToList(),
                Original = "LABEL " + string.Join(' ', session.Options.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)),
                StartLine = stage.Instructions.Count > 0 ? stage.Instructions[^1].EndLine : stage.From.StartLine,
            });
        foreach (var instruction in instructions)
        {
            var step = new BuildStep(session.NextStepNumber(), session.TotalSteps, Display(instruction), StageLabel);
            await StepAsync(step, instruction, cancellationToken).ConfigureAwait(false);
        }
        return _state;
    }

    bool IsTarget => session.Model.Stages.Count > 0 && stage.Index == TargetIndex;
    int TargetIndex => session.Options.Target is { } t ? session.FindStage(t, int.MaxValue)?.Index ?? -1 : session.Model.Stages.Count - 1;

    static string Display(Instruction instruction) => instruction.Original.Length > 0 ? instruction.Original : instruction.Keyword.ToUpperInvariant();

    async Task FromAsync(CancellationToken cancellationToken)
    {
        var step = new BuildStep(session.NextStepNumber(), session.TotalSteps, Display(stage.From), StageLabel);
        session.Progress.StepStarted(step);
        var watch = Stopwatch.StartNew();
        string baseName = session.Expander.ProcessWord(stage.BaseName, session.Scope.GlobalEnvironment);
        _env = session.Scope.BeginStage();
        try
        {
            if (baseName.Length == 0) throw new BuildException("base name (" + stage.BaseName + ") should not be blank");
            if (session.FindStage(baseName, stage.Index) is { } parent)
                _state = await session.BuildStageAsync(parent, cancellationToken).ConfigureAwait(false);
            else if (baseName.Equals("scratch", StringComparison.OrdinalIgnoreCase))
                _state = new BuildState(new ImageConfig { Architecture = session.Platform.Architecture, Os = session.Platform.Os, Variant = session.Platform.Variant, RootFs = new RootFs() },
                    [], SmallSha256.Of("scratch " + session.Platform).ToString(), null);
            else
            {
                _state = await ImageStateAsync(baseName, cancellationToken).ConfigureAwait(false);
                var config = _state.Config;
                if (session.Options.Platform is { } wanted && (wanted.Os != config.Os || wanted.Architecture != config.Architecture))
                    session.Warnings.Add($"The requested image's platform ({config.Platform}) does not match the requested platform ({wanted})");
            }
        }
        catch (BerthException e) when (e is not DockerfileSyntaxException and not BuildStepFailedException)
        {
            session.Progress.StepFinished(step, StepOutcome.Failed, null, watch.Elapsed, null);
            throw new BuildException($"{session.FileName}:{stage.From.StartLine}: FROM {baseName}: {e.Message}", e);
        }
        // A base without PATH (scratch) gets Docker's default PATH.
        var run = _state.Run;
        if (!(run.Env ?? []).Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
            _state = _state with { Config = _state.Config with { Config = run with { Env = [.. run.Env ?? [], "PATH=" + ImageConfigEditor.DefaultPath] } } };
        _env.AddImageEnv(_state.Run.Env ?? []);
        session.Progress.StepFinished(step, StepOutcome.Done, _state.BaseImage?.ToString() ?? (_state.Layers.Count == 0 ? null : _state.Id.ToString()), watch.Elapsed, null);
        Diagnostics.PhaseTimer.Mark("build: FROM resolved");

        var triggers = _state.Run.OnBuild ?? [];
        if (triggers.Count > 0)
        {
            _state = _state with { Config = _state.Config with { Config = _state.Run with { OnBuild = null } } };
            foreach (var trigger in triggers)
            {
                var ast = DockerfileParser.Parse(trigger, "ONBUILD");
                foreach (var node in ast.Instructions)
                {
                    var instruction = DockerfileInstructions.ParseInstruction(node, "ONBUILD");
                    if (instruction is FromInstruction or OnBuildInstruction || instruction is MaintainerInstruction)
                        throw new BuildException($"{session.FileName}:{stage.From.StartLine}: {instruction.Keyword.ToUpperInvariant()} isn't allowed as an ONBUILD trigger");
                    var triggerStep = new BuildStep(step.Number, step.Total, "ONBUILD " + Display(instruction), StageLabel);
                    await StepAsync(triggerStep, instruction with { StartLine = stage.From.StartLine, EndLine = stage.From.EndLine }, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// The state a <c>--from</c> names: an earlier stage (built first if needed) or an image (pinned in the build's lease),
    /// with the identity that goes into the cache key (the stage's key or the image ID).
    /// </summary>
    async Task<(BuildState State, string Identity)> ResolveSourceStateAsync(string from, CancellationToken cancellationToken)
    {
        if (session.FindStage(from, stage.Index) is { } fromStage)
        {
            var built = await session.BuildStageAsync(fromStage, cancellationToken).ConfigureAwait(false);
            return (built, "stage " + built.Key);
        }
        var image = await ImageStateAsync(from, cancellationToken).ConfigureAwait(false);
        return (image, image.Key);
    }

    /// <summary>The state of image <paramref name="name"/> (pulled when missing; key "image ID"), its layers pinned in the build's lease.</summary>
    async Task<BuildState> ImageStateAsync(string name, CancellationToken cancellationToken)
    {
        var id = await ResolveImageAsync(name, cancellationToken).ConfigureAwait(false);
        var (config, layers) = await session.Lease.PinImageAsync(id, name, cancellationToken).ConfigureAwait(false);
        return new BuildState(config, layers, "image " + id, id);
    }

    async Task<Digest> ResolveImageAsync(string name, CancellationToken cancellationToken)
    {
        if (session.Images.TryResolve(name) is { } id) return id;
        if (session.PullMissingBase is { } pull && await pull(name, cancellationToken).ConfigureAwait(false) is { } pulled) return pulled;
        throw new NotFoundException($"No such image: {name} (the image is not in the local store; pull it first)");
    }

    /// <summary>One instruction: compute its inputs, take it from the cache or execute it, record it.</summary>
    async Task StepAsync(BuildStep step, Instruction instruction, CancellationToken cancellationToken)
    {
        session.Progress.StepStarted(step);
        var watch = Stopwatch.StartNew();
        StepPlan plan;
        try
        {
            plan = await PlanAsync(instruction, cancellationToken).ConfigureAwait(false);
            Diagnostics.PhaseTimer.Mark("step: planned");
        }
        catch (BerthException e) when (e is not BuildStepFailedException)
        {
            session.Progress.StepFinished(step, StepOutcome.Failed, null, watch.Elapsed, null);
            throw Wrap(instruction, e);
        }
        try
        {
            string parentKey = _state.Key;
            string key = plan.Inputs.KeyOn(parentKey, session.Platform.ToString());
            Diagnostics.PhaseTimer.Mark("step: key computed");
            if (!session.Options.NoCache && session.Cache.Find(key, _state.BaseImage) is { } cached)
            {
                Diagnostics.PhaseTimer.Mark("step: cache hit");
                if (session.Options.ExplainCache) session.Progress.CacheExplained(step, new CacheExplanation(true, "cache hit"));
                _state = cached;
                plan.AfterCacheHit?.Invoke();
                _previousRebuilt = false;
                session.Progress.StepFinished(step, StepOutcome.Cached, _state.Id.ToString(), watch.Elapsed, null);
                return;
            }
            if (session.Options.ExplainCache)
                session.Progress.CacheExplained(step, new CacheExplanation(false,
                    session.Options.NoCache ? "cache disabled (--no-cache)" : session.Cache.ExplainMiss(parentKey, plan.Inputs, _previousRebuilt)));
            Diagnostics.PhaseTimer.Mark("step: cache miss");
            var (next, layerSize, containerId) = await plan.Execute(step, cancellationToken).ConfigureAwait(false);
            Diagnostics.PhaseTimer.Mark("step: executed");
            next = next with { Key = key };
            using (session.Store.ReferenceLock())
                session.Cache.Record(parentKey, plan.Inputs, next, layerSize);
            Diagnostics.PhaseTimer.Mark("step: recorded");
            _state = next;
            _previousRebuilt = true;
            session.Progress.StepFinished(step, StepOutcome.Done, _state.Id.ToString(), watch.Elapsed, containerId);
        }
        catch (BuildStepFailedException)
        {
            session.Progress.StepFinished(step, StepOutcome.Failed, null, watch.Elapsed, null);
            throw;
        }
        catch (BerthException e)
        {
            session.Progress.StepFinished(step, StepOutcome.Failed, null, watch.Elapsed, null);
            throw Wrap(instruction, e);
        }
        finally
        {
            plan.Cleanup?.Invoke();
        }
    }

    BuildException Wrap(Instruction instruction, BerthException e)
    {
        string keyword = instruction.Keyword.ToUpperInvariant();
        string message = e.Message.StartsWith(keyword + " failed", StringComparison.Ordinal) || e is DockerfileSyntaxException ? e.Message : $"{keyword} failed: {e.Message}";
        return new BuildException($"{session.FileName}:{instruction.StartLine}: {message}", e);
    }

    /// <summary>A step ready to run: its cache inputs, how to execute it, what to redo on a cache hit, what to clean up.</summary>
    sealed record StepPlan(StepInputs Inputs, Func<BuildStep, CancellationToken, Task<(BuildState State, long LayerSize, string? ContainerId)>> Execute)
    {
        public Action? AfterCacheHit { get; init; }
        public Action? Cleanup { get; init; }
    }

    string Expand(string word) => session.Expander.ProcessWord(word, _env);

    Task<StepPlan> PlanAsync(Instruction instruction, CancellationToken cancellationToken) => instruction switch
    {
        RunInstruction run => PlanRunAsync(run, cancellationToken),
        FileTransferInstruction copy => PlanCopyAsync(copy, cancellationToken),
        WorkdirInstruction workdir => Task.FromResult(PlanWorkdir(workdir)),
        ArgInstruction arg => Task.FromResult(PlanArg(arg)),
        MaintainerInstruction maintainer => Task.FromResult(PlanMaintainer(maintainer)),
        FromInstruction => throw new BuildException("FROM inside a stage"),
        _ => Task.FromResult(PlanConfig(instruction)),
    };

    /// <summary>A config-only step: an empty-layer history entry with Docker's <c>#(nop)</c> text.</summary>
    StepPlan NopPlan(string text, ContainerConfig run, Action? apply = null, Func<ImageConfig, ImageConfig>? topLevel = null, IReadOnlyList<string>? shell = null)
    {
        string createdBy = HistoryText.Nop(shell ?? Shell, text);
        return new StepPlan(new StepInputs(createdBy), (_, _) =>
        {
            var next = _state.Append(run, createdBy, session.Created, null);
            if (topLevel is not null) next = next with { Config = topLevel(next.Config) };
            apply?.Invoke();
            return Task.FromResult((next, 0L, (string?)null));
        }) { AfterCacheHit = apply };
    }

    StepPlan PlanArg(ArgInstruction arg)
    {
        var parts = new List<string>();
        foreach (var definition in arg.Args)
        {
            string? value = definition.DefaultValue is null ? null : Expand(definition.DefaultValue);
            parts.Add(value is null ? definition.Name : definition.Name + "=" + value);
        }
        // ARG takes effect for expansion whether the step is cached or not.
        foreach (var definition in arg.Args) _env.DeclareArg(definition.Name, definition.DefaultValue);
        return NopPlan("ARG " + string.Join(' ', parts), _state.Run);
    }

    StepPlan PlanMaintainer(MaintainerInstruction maintainer)
    {
        string author = Expand(maintainer.Maintainer);
        return NopPlan("MAINTAINER " + author, _state.Run, topLevel: c => c with { Author = author });
    }

    StepPlan PlanConfig(Instruction instruction)
    {
        var run = _state.Run;
        switch (instruction)
        {
            case EnvInstruction env:
            {
                var pairs = env.Variables.Select(kv => (Key: Expand(kv.Key), Value: Expand(kv.Value))).ToList();
                var list = (run.Env ?? []).ToList();
                foreach (var (k, v) in pairs) list = ImageConfigEditor.SetVariable(list, k, v);
                foreach (var (k, v) in pairs) _env.SetEnv(k, v);
                return NopPlan("ENV " + string.Join(' ', pairs.Select(p => p.Key + "=" + p.Value)), run with { Env = list });
            }
            case LabelInstruction label:
            {
                var pairs = label.Labels.Select(kv => (Key: Expand(kv.Key), Value: Expand(kv.Value))).ToList();
                var next = ImageConfigEditor.Apply(run, label, session.Expander, _env);
                return NopPlan("LABEL " + string.Join(' ', pairs.Select(p => p.Key + "=" + p.Value)), next);
            }
            case CmdInstruction cmd:
            {
                var next = ImageConfigEditor.Apply(run, cmd, session.Expander, _env);
                _cmdSetInStage = true;
                return NopPlan("CMD " + HistoryText.QuoteList(next.Cmd ?? []), next);
            }
            case EntrypointInstruction entrypoint:
            {
                var next = ImageConfigEditor.Apply(run, entrypoint, session.Expander, _env);
                if (!_cmdSetInStage) next = next with { Cmd = null };
                return NopPlan("ENTRYPOINT " + HistoryText.QuoteList(next.Entrypoint ?? []), next);
            }
            case ExposeInstruction expose:
            {
                var next = ImageConfigEditor.Apply(run, expose, session.Expander, _env);
                var words = expose.Ports.Order(StringComparer.Ordinal).Select(Expand);
                return NopPlan("EXPOSE " + string.Join(' ', words), next);
            }
            case UserInstruction user:
            {
                var next = ImageConfigEditor.Apply(run, user, session.Expander, _env);
                return NopPlan("USER " + next.User, next);
            }
            case VolumeInstruction volume:
            {
                var next = ImageConfigEditor.Apply(run, volume, session.Expander, _env);
                return NopPlan("VOLUME " + HistoryText.ValueList(volume.Paths.Select(Expand)), next);
            }
            case StopSignalInstruction signal:
            {
                var next = ImageConfigEditor.Apply(run, signal, session.Expander, _env);
                return NopPlan("STOPSIGNAL " + next.StopSignal, next);
            }
            case ShellInstruction shell:
            {
                var next = ImageConfigEditor.Apply(run, shell, session.Expander, _env);
                // Docker commits SHELL with the new shell already in the run config, so its own entry uses it.
                return NopPlan("SHELL " + HistoryText.ValueList(next.Shell ?? []), next, shell: next.Shell);
            }
            case HealthcheckInstruction health:
            {
                var next = ImageConfigEditor.Apply(run, health, session.Expander, _env);
                return NopPlan("HEALTHCHECK " + HistoryText.Healthcheck(next.Healthcheck!), next);
            }
            case OnBuildInstruction onbuild:
            {
                var next = ImageConfigEditor.Apply(run, onbuild, session.Expander, _env);
                return NopPlan("ONBUILD " + onbuild.Expression, next);
            }
            default:
                throw new BuildException($"unknown instruction: {instruction.Keyword.ToUpperInvariant()}");
        }
    }

    StepPlan PlanWorkdir(WorkdirInstruction workdir)
    {
        var run = ImageConfigEditor.Apply(_state.Run, workdir, session.Expander, _env);
        string createdBy = HistoryText.NopOneSpace(Shell, "WORKDIR " + run.WorkingDir);
        return new StepPlan(new StepInputs(createdBy), async (_, ct) =>
        {
            using var workspace = StepWorkspace.Open(session.Store, _state.Layers, withInitLayer: false);
            if (!RootfsPath.IsDirectory(workspace.Rootfs, run.WorkingDir))
            {
                // BuildKit: a WORKDIR after USER is created as that user.
                var owner = run.User.Length == 0 ? new ResolvedUser(0, 0, []) : ImageUsers.Load(workspace.Rootfs).ResolveUser(run.User);
                var copier = new FileCopier(workspace.Rootfs, new CopyOptions(owner.Uid, owner.Gid, null, false, Chowned: true));
                copier.CreateDirectory(run.WorkingDir);
            }
            var layer = await workspace.CommitAsync(_state.Layers.LastOrDefault(), session.TarOptions, session.Lease, ct).ConfigureAwait(false);
            return (_state.Append(run, createdBy, session.Created, layer), layer?.Size ?? 0, (string?)null);
        });
    }
}
