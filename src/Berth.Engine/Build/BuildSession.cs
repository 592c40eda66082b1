using Berth.Engine.Content;
using Berth.Engine.Dockerfile.Expansion;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Images;
using Berth.Engine.Layers;
using Berth.Engine.Services.Images;
using Berth.Engine.Store;

namespace Berth.Engine.Build;

/// <summary>
/// One run of the builder: the parsed Dockerfile, the context, build args, the cache, and the stages built so far
/// (each built once, only when the target needs it).
/// </summary>
public sealed class BuildSession : IDisposable
{
    readonly Dictionary<int, Task<BuildState>> _stages = [];
    readonly object _gate = new();
    int _stepNumber;

    public BuildSession(BerthStore store, ImageService images, BuildOptions options, DockerfileModel model, string fileName,
        ContextFiles context, IBuildProgress progress, Func<string, CancellationToken, Task<Digest?>>? pullMissingBase)
    {
        Store = store;
        Images = images;
        Options = options;
        Model = model;
        FileName = fileName;
        Context = context;
        Progress = progress;
        PullMissingBase = pullMissingBase;
        Expander = new ShellWordExpander(model.EscapeToken);
        Platform = options.Platform ?? Platform.Host;
        Scope = new BuildArgScope(options.BuildArgs, new BuildPlatformArgs(Platform.ToString(), Platform.Host.ToString()), Expander);
        Lease = new BuildLease(store);
        Cache = new StepCache(store, Lease);
        Created = ImageJson.FormatTime(options.SourceDateEpoch is { } epoch ? DateTimeOffset.FromUnixTimeSeconds(epoch) : DateTimeOffset.UtcNow);
        TarOptions = new TarWriteOptions { SourceDateEpoch = options.SourceDateEpoch };
    }

    public BerthStore Store { get; }
    public ImageService Images { get; }
    public BuildOptions Options { get; }
    public DockerfileModel Model { get; }
    public string FileName { get; }
    public ContextFiles Context { get; }
    public IBuildProgress Progress { get; }
    public Func<string, CancellationToken, Task<Digest?>>? PullMissingBase { get; }
    public ShellWordExpander Expander { get; }
    public Platform Platform { get; }
    public BuildArgScope Scope { get; }
    public StepCache Cache { get; }
    /// <summary>The layers this build stands on, pinned until the session is disposed (after the image is recorded).</summary>
    public BuildLease Lease { get; }
    /// <summary>The created time of every new history entry and state (SOURCE_DATE_EPOCH when given).</summary>
    public string Created { get; }
    public TarWriteOptions TarOptions { get; }
    public int TotalSteps { get; set; }
    public List<string> Warnings { get; } = [];

    public int NextStepNumber() => Interlocked.Increment(ref _stepNumber);

    /// <summary>The stage a name refers to (<c>AS name</c> or an index), if it is one defined before <paramref name="beforeIndex"/>.</summary>
    public Stage? FindStage(string reference, int beforeIndex)
    {
        string lower = reference.ToLowerInvariant();
        var byName = Model.Stages.FirstOrDefault(s => s.Index < beforeIndex && s.Name == lower);
        if (byName is not null) return byName;
        if (int.TryParse(reference, out int index) && index >= 0 && index < beforeIndex) return Model.Stages[index];
        return null;
    }

    /// <summary>Builds a stage once; later callers share the same result.</summary>
    public Task<BuildState> BuildStageAsync(Stage stage, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_stages.TryGetValue(stage.Index, out var task))
                _stages[stage.Index] = task = new StageBuilder(this, stage).BuildAsync(cancellationToken);
            return task;
        }
    }

    /// <summary>The stages the target needs (FROM a stage, COPY --from), in file order, the target last.</summary>
    public IReadOnlyList<Stage> NeededStages(Stage target)
    {
        var needed = new SortedSet<int>();
        var pending = new Stack<Stage>([target]);
        while (pending.Count > 0)
        {
            var stage = pending.Pop();
            if (!needed.Add(stage.Index)) continue;
            var baseName = Expander.ProcessWord(stage.BaseName, Scope.GlobalEnvironment);
            if (FindStage(baseName, stage.Index) is { } from) pending.Push(from);
            foreach (var copy in stage.Instructions.OfType<CopyInstruction>())
                if (copy.From is { } reference && FindStage(reference, stage.Index) is { } source) pending.Push(source);
            foreach (var run in stage.Instructions.OfType<RunInstruction>())
                foreach (var mount in run.Mounts)
                    if (mount.From is { } reference && FindStage(reference, stage.Index) is { } source) pending.Push(source);
        }
        return needed.Select(i => Model.Stages[i]).ToList();
    }

    public void Dispose() => Lease.Dispose();
}
