namespace Berth.Engine.Build;

/// <summary>How a step ended, for the progress display.</summary>
public enum StepOutcome
{
    /// <summary>Built (a RUN ran, files were copied, or a config changed).</summary>
    Done,
    /// <summary>Taken from the build cache.</summary>
    Cached,
    Failed,
}

/// <summary>One step as the progress display shows it.</summary>
/// <param name="Number">1-based over the whole build.</param>
/// <param name="Total">Steps in the stages being built.</param>
/// <param name="Text">The instruction as written (<c>RUN npm install</c>).</param>
/// <param name="Stage">Stage name or index, for the compact view.</param>
public sealed record BuildStep(int Number, int Total, string Text, string Stage);

/// <summary>Why a step missed the cache (for <c>--explain-cache</c>), or that it hit.</summary>
public sealed record CacheExplanation(bool Hit, string Reason);

/// <summary>Receives build events; the CLI prints them Docker's way (plain lines) or as a live view on a terminal.</summary>
public interface IBuildProgress
{
    void StepStarted(BuildStep step);
    /// <summary>A RUN step's container started (Docker's <c>---&gt; Running in ID</c>).</summary>
    void RunStarted(BuildStep step, string containerId);
    /// <summary>One line the RUN command printed.</summary>
    void Output(BuildStep step, string line);
    /// <summary>The step finished; <paramref name="stateId"/> is the state's config digest (Docker's intermediate image ID).</summary>
    void StepFinished(BuildStep step, StepOutcome outcome, string? stateId, TimeSpan elapsed, string? containerId);
    void CacheExplained(BuildStep step, CacheExplanation explanation);
    void Warning(string message);
}

/// <summary>Discards every event.</summary>
public sealed class NullBuildProgress : IBuildProgress
{
    public static NullBuildProgress Instance { get; } = new();
    public void StepStarted(BuildStep step) { }
    public void RunStarted(BuildStep step, string containerId) { }
    public void Output(BuildStep step, string line) { }
    public void StepFinished(BuildStep step, StepOutcome outcome, string? stateId, TimeSpan elapsed, string? containerId) { }
    public void CacheExplained(BuildStep step, CacheExplanation explanation) { }
    public void Warning(string message) { }
}
