using Berth.Engine.Build;

namespace Berth.Cli.Output;

/// <summary>Docker's legacy builder output: <c>Step 1/5 : FROM busybox</c>, <c> ---&gt; Using cache</c>, <c> ---&gt; ID</c>.</summary>
public sealed class PlainBuildProgress(TextWriter output) : IBuildProgress
{
    readonly object _gate = new();

    void Write(string line)
    {
        lock (_gate) output.WriteLine(line);
    }

    public void StepStarted(BuildStep step) => Write($"Step {step.Number}/{step.Total} : {FirstLine(step.Text)}");

    public void RunStarted(BuildStep step, string containerId) => Write($" ---> Running in {containerId}");

    public void Output(BuildStep step, string line) => Write(line);

    public void StepFinished(BuildStep step, StepOutcome outcome, string? stateId, TimeSpan elapsed, string? containerId)
    {
        if (outcome == StepOutcome.Failed) return;
        if (outcome == StepOutcome.Cached) Write(" ---> Using cache");
        if (containerId is not null) Write($"Removing intermediate container {containerId}");
        if (stateId is not null) Write($" ---> {Short(stateId)}");
    }

    public void CacheExplained(BuildStep step, CacheExplanation explanation) =>
        Write(explanation.Hit ? " ---> Cache hit" : $" ---> Cache miss: {explanation.Reason}");

    public void Warning(string message) => Write($"[Warning] {message}");

    static string Short(string id)
    {
        int colon = id.IndexOf(':');
        string hex = colon < 0 ? id : id[(colon + 1)..];
        return hex.Length > 12 ? hex[..12] : hex;
    }

    internal static string FirstLine(string text)
    {
        int newline = text.IndexOf('\n');
        return newline < 0 ? text : text[..newline];
    }
}
