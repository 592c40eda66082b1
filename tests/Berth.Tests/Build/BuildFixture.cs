using System.Formats.Tar;
using Berth.Engine.Build;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Services.Images;
using Berth.Tests.Support;

namespace Berth.Tests.Build;

/// <summary>A temp store with busybox imported as <c>busybox:latest</c>, a context directory, and build helpers.</summary>
internal sealed class BuildFixture : IDisposable
{
    public TempStore Store { get; } = new();
    readonly TempDirectory _context = new();
    public string Context => _context.Path;
    public Digest Busybox { get; private set; }

    BuildFixture() { }

    public static async Task<BuildFixture> CreateAsync()
    {
        Runtime.TestContainer.RequireTools();
        var fixture = new BuildFixture();
        await using var tar = File.OpenRead(BusyboxRootfs.TarPath);
        fixture.Busybox = await fixture.Store.Engine.Images.ImportAsync(tar, new ImportOptions("busybox.tar", [], null, null, "busybox:latest"));
        return fixture;
    }

    public string Write(string relative, string content, UnixFileMode? mode = null)
    {
        string path = Path.Combine(Context, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        if (mode is { } m) File.SetUnixFileMode(path, m);
        return path;
    }

    public void Dockerfile(string text) => Write("Dockerfile", text);

    /// <summary>Builds the context with the Dockerfile in it; returns the result and the recorded progress.</summary>
    public async Task<(BuildResult Result, RecordingProgress Progress)> BuildAsync(BuildOptions? options = null)
    {
        var progress = new RecordingProgress();
        options ??= new BuildOptions();
        if (options.ContextDirectory is null && options.ContextTar is null && options.DockerfileText is null) options = options with { ContextDirectory = Context };
        var result = await Store.Engine.Builder.BuildAsync(options, progress);
        return (result, progress);
    }

    public Task<ImageConfig> ConfigAsync(Digest id) => Store.Engine.Images.ReadConfigAsync(id);

    /// <summary>The entries of the image's layer <paramref name="index"/> (from the end when negative): name → header.</summary>
    public Dictionary<string, TarEntry> LayerEntries(Digest image, int index)
    {
        var layers = Store.Engine.Store.Metadata.ImageLayers(image);
        var layer = layers[index < 0 ? layers.Count + index : index];
        var entries = new Dictionary<string, TarEntry>();
        using var stream = Store.Engine.Store.Content.OpenRead(layer.DiffId);
        using var reader = new TarReader(stream);
        while (reader.GetNextEntry(copyData: true) is { } entry) entries[entry.Name] = entry;
        return entries;
    }

    public static string ReadEntry(TarEntry entry) => new StreamReader(entry.DataStream!).ReadToEnd();

    /// <summary>Runs a command in the built image's file system (read through a RUN step of a throw-away build).</summary>
    public async Task<string> RunInAsync(string image, string command)
    {
        var progress = new RecordingProgress();
        await Store.Engine.Builder.BuildAsync(new BuildOptions { DockerfileText = $"FROM {image}\nRUN {command}\n", NoCache = true }, progress);
        return string.Join('\n', progress.OutputLines);
    }

    /// <summary>Snapshots directories and temp files that a failed build must not leave behind.</summary>
    public IReadOnlyList<string> Leftovers() =>
        Directory.EnumerateDirectories(Path.Combine(Store.Root, "snapshots")).Where(d => Path.GetFileName(d).StartsWith("active-", StringComparison.Ordinal))
            .Concat(Directory.EnumerateFileSystemEntries(Path.Combine(Store.Root, "tmp")))
            .Concat(Directory.Exists(Path.Combine(Store.Root, "ingest")) ? Directory.EnumerateFileSystemEntries(Path.Combine(Store.Root, "ingest")) : [])
            .ToList();

    public void Dispose()
    {
        Store.Dispose();
        _context.Dispose();
    }
}

/// <summary>Records build events for assertions.</summary>
internal sealed class RecordingProgress : IBuildProgress
{
    readonly object _gate = new();
    public List<(BuildStep Step, StepOutcome Outcome)> Finished { get; } = [];
    public List<string> OutputLines { get; } = [];
    public List<(BuildStep Step, CacheExplanation Explanation)> Explanations { get; } = [];
    public List<string> Warnings { get; } = [];

    public void StepStarted(BuildStep step) { }
    public void RunStarted(BuildStep step, string containerId) { }
    public void Output(BuildStep step, string line) { lock (_gate) OutputLines.Add(line); }
    public void StepFinished(BuildStep step, StepOutcome outcome, string? stateId, TimeSpan elapsed, string? containerId) { lock (_gate) Finished.Add((step, outcome)); }
    public void CacheExplained(BuildStep step, CacheExplanation explanation) { lock (_gate) Explanations.Add((step, explanation)); }
    public void Warning(string message) { lock (_gate) Warnings.Add(message); }

    /// <summary>Outcome of the step whose text starts with <paramref name="prefix"/>.</summary>
    public StepOutcome OutcomeOf(string prefix) => Finished.Single(f => f.Step.Text.StartsWith(prefix, StringComparison.Ordinal)).Outcome;

    public string ExplanationOf(string prefix) => Explanations.Single(e => e.Step.Text.StartsWith(prefix, StringComparison.Ordinal)).Explanation.Reason;
}
