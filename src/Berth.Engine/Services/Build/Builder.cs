using Berth.Engine.Build;
using Berth.Engine.Content;
using Berth.Engine.Diagnostics;
using Berth.Engine.Dockerfile.Ignore;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Layers;
using Berth.Engine.Services.Images;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Build;

/// <summary>What `builder prune` removed (or would): the cache entries' IDs as `system df -v` shows them, and the bytes freed.</summary>
public sealed record BuildCachePruneResult(IReadOnlyList<string> Deleted, long ReclaimedBytes)
{
    public long EntriesRemoved => Deleted.Count;
}

/// <summary>`berth build` and `builder prune`: turns a Dockerfile and a context into an image, with a layer cache kept in the store.</summary>
public sealed class Builder(BerthStore store, ImageService images)
{
    /// <summary>Called for a FROM / COPY --from image that is not in the store; returns its ID once pulled, or null. Set by the registry feature.</summary>
    public Func<string, CancellationToken, Task<Digest?>>? PullMissingBase { get; set; }

    public async Task<BuildResult> BuildAsync(BuildOptions options, IBuildProgress? progress = null, CancellationToken cancellationToken = default)
    {
        progress ??= NullBuildProgress.Instance;
        var tags = options.Tags.Select(t =>
        {
            var name = ImageNameParser.Parse(t);
            if (name.Digest is not null) throw new InvalidInputException($"invalid reference format: a tag cannot carry a digest: {t}");
            return name;
        }).ToList();

        StepWorkspace.RemoveAbandoned(store);
        PhaseTimer.Mark("build: abandoned workspaces checked");
        string? extracted = null;
        try
        {
            string? contextDir = options.ContextDirectory;
            if (options.ContextTar is { } tar)
            {
                extracted = store.Snapshots.PrepareTemporary();
                contextDir = SnapshotsFs(extracted);
                var (stream, _) = await LayerStreams.OpenDecompressedAsync(tar, cancellationToken).ConfigureAwait(false);
                await using (stream)
                    await LayerApplier.ApplyAsync(stream, contextDir, LayerApplyOptions.Flat with { AllowDeviceNodes = false }, cancellationToken).ConfigureAwait(false);
            }
            else if (contextDir is not null && !Directory.Exists(contextDir))
                throw new InvalidInputException($"unable to prepare context: path \"{contextDir}\" not found");

            var (text, fileName, dockerfilePath) = await ReadDockerfileAsync(options, contextDir, cancellationToken).ConfigureAwait(false);
            PhaseTimer.Mark("build: Dockerfile read");
            var model = DockerfileModel.Parse(text, fileName);
            PhaseTimer.Mark("build: Dockerfile parsed");
            // `build --check` is answered by Dockerfile/Checks/DockerfileLinter without a build (the CLI calls it directly).
            if (options.Check) throw new InvalidInputException("build --check runs the Dockerfile checks, not a build: use DockerfileLinter.LintBuildAsync");
            if (model.Stages.Count == 0) throw new BuildException($"{fileName}: file with no instructions");

            var context = ContextFiles.None;
            if (contextDir is not null)
            {
                string? relativeDockerfile = dockerfilePath is null ? null : Path.GetRelativePath(contextDir, dockerfilePath);
                var ignore = await DockerignoreLocator.LoadAsync(contextDir, relativeDockerfile, cancellationToken).ConfigureAwait(false);
                PhaseTimer.Mark("build: .dockerignore read");
                // Hashes of an unpacked tar context are not worth remembering: its paths are gone after the build.
                context = ContextFiles.Open(contextDir, ignore.Patterns, extracted is null ? store.Metadata : null, cancellationToken);
                PhaseTimer.Mark($"build: context walked ({context.Count} entries)");
            }

            using var session = new BuildSession(store, images, options, model, fileName, context, progress, PullMissingBase);
            var target = options.Target is { } t
                ? session.FindStage(t, int.MaxValue) ?? throw new BuildException($"failed to reach build target {t} in Dockerfile")
                : model.Stages[^1];
            var needed = session.NeededStages(target);
            session.TotalSteps = model.GlobalArgs.Count + needed.Sum(s => 1 + s.Instructions.Count) + (options.Labels.Count > 0 ? 1 : 0);

            foreach (var arg in model.GlobalArgs)
            {
                var step = new BuildStep(session.NextStepNumber(), session.TotalSteps, arg.Original, "global");
                progress.StepStarted(step);
                foreach (var definition in arg.Args) session.Scope.DeclareGlobal(definition.Name, definition.DefaultValue);
                progress.StepFinished(step, StepOutcome.Done, null, TimeSpan.Zero, null);
            }

            BuildState? final = null;
            try
            {
                foreach (var stage in needed)
                    final = await session.BuildStageAsync(stage, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                context.SaveLearnedHashes();
                session.Cache.SaveUsage();
            }
            PhaseTimer.Mark("build: stages built");

            var unused = session.Scope.UnconsumedBuildArgs();
            if (unused.Count > 0) session.Warnings.Add($"One or more build-args [{string.Join(' ', unused)}] were not consumed");
            foreach (var warning in session.Warnings) progress.Warning(warning);

            var result = final!;
            byte[] config = result.ConfigJson();
            var id = SmallSha256.Of(config);
            // A rebuild that changed nothing made the image that is already there under these tags: nothing to write.
            if (!(store.Content.Exists(id) && store.Metadata.IsImageTaggedAs(id, tags.Select(t => t.TagKey).ToList())))
                id = await images.CreateImageAsync(config, result.Layers, result.BaseImage, tags, cancellationToken).ConfigureAwait(false);
            PhaseTimer.Mark("build: image recorded");
            return new BuildResult(id, tags.Select(n => n.Familiar).ToList(), session.Warnings);
        }
        finally
        {
            if (extracted is not null) store.Snapshots.Discard(extracted);
        }
    }

    static string SnapshotsFs(string temporary) => Snapshots.SnapshotStore.FsOf(temporary);

    static async Task<(string Text, string FileName, string? Path)> ReadDockerfileAsync(BuildOptions options, string? contextDir, CancellationToken cancellationToken)
    {
        if (options.DockerfileText is { } text) return (text, "Dockerfile", null);
        if (contextDir is null) throw new InvalidInputException("no Dockerfile: give one with -f or in the context");
        string given = options.DockerfilePath ?? "Dockerfile";
        string path = Path.IsPathRooted(given) ? given : Path.Combine(contextDir, given);
        if (!File.Exists(path)) throw new InvalidInputException($"Cannot locate specified Dockerfile: {given}");
        return (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), Path.GetFileName(path), path);
    }

    /// <summary>
    /// `builder prune`: removes cache entries (all with <paramref name="all"/>, else those no image uses) and the layers only
    /// they kept; with <paramref name="dryRun"/> reports exactly that and removes nothing.
    /// </summary>
    public BuildCachePruneResult Prune(bool all, bool dryRun = false)
    {
        using var collector = store.CollectorLock();
        var plan = store.Metadata.PruneBuildCache(all, dryRun);
        if (!dryRun) new LayerStore(store).DeleteFiles(plan.FreedLayers);
        long reclaimed = plan.FreedLayers.Sum(l => l.Size);
        string mounts = StageBuilder.CacheMountsDirectory(store);
        if (all && !dryRun) store.Metadata.ClearFileHashes();
        if (all && Directory.Exists(mounts))
        {
            reclaimed += Snapshots.SnapshotStore.MeasureSize(mounts);
            if (!dryRun) Directory.Delete(mounts, recursive: true);
        }
        return new BuildCachePruneResult(plan.Keys.Select(BuildCacheUsage.IdOf).ToList(), reclaimed);
    }
}
