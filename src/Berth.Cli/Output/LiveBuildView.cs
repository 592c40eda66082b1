using System.Diagnostics;
using Berth.Engine.Build;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Berth.Cli.Output;

/// <summary>A compact live view on a terminal, BuildKit-like: one line per step with its timer, CACHED marks, and the last lines of the running step's output.</summary>
public sealed class LiveBuildView : IBuildProgress
{
    const int TailLines = 6;

    sealed class StepLine(BuildStep step)
    {
        public BuildStep Step { get; } = step;
        public Stopwatch Watch { get; } = Stopwatch.StartNew();
        public StepOutcome? Outcome { get; set; }
        public string? Explanation { get; set; }
        public Queue<string> Tail { get; } = new();
    }

    readonly object _gate = new();
    readonly List<StepLine> _steps = [];
    readonly List<string> _warnings = [];
    readonly Stopwatch _total = Stopwatch.StartNew();
    readonly bool _explain;

    LiveBuildView(bool explain) => _explain = explain;

    /// <summary>Runs <paramref name="build"/> while drawing the view; the final view stays on screen.</summary>
    public static async Task<T> RunAsync<T>(Func<IBuildProgress, Task<T>> build, bool explain)
    {
        var view = new LiveBuildView(explain);
        T result = default!;
        await AnsiConsole.Live(view.Render()).AutoClear(false).StartAsync(async live =>
        {
            var work = build(view);
            while (!work.IsCompleted)
            {
                live.UpdateTarget(view.Render());
                await Task.WhenAny(work, Task.Delay(100));
            }
            live.UpdateTarget(view.Render(final: true));
            result = await work;
        });
        return result;
    }

    IRenderable Render(bool final = false)
    {
        lock (_gate)
        {
            var rows = new List<IRenderable>();
            int done = _steps.Count(s => s.Outcome is not null);
            rows.Add(new Markup($"[bold][[+]] Building {_total.Elapsed.TotalSeconds:0.0}s ({done}/{(_steps.Count == 0 ? 0 : _steps[^1].Step.Total)})[/]"));
            foreach (var s in _steps)
            {
                string text = Markup.Escape(PlainBuildProgress.FirstLine(s.Step.Text));
                if (text.Length > 80) text = text[..77] + "...";
                string time = $"{s.Watch.Elapsed.TotalSeconds:0.0}s";
                string line = s.Outcome switch
                {
                    StepOutcome.Cached => $"[blue] => CACHED [[{Markup.Escape(s.Step.Stage)} {s.Step.Number}/{s.Step.Total}]] {text}[/]",
                    StepOutcome.Failed => $"[red] => ERROR [[{Markup.Escape(s.Step.Stage)} {s.Step.Number}/{s.Step.Total}]] {text}  {time}[/]",
                    StepOutcome.Done => $" => [[{Markup.Escape(s.Step.Stage)} {s.Step.Number}/{s.Step.Total}]] {text}  [grey]{time}[/]",
                    _ => $"[yellow] => [[{Markup.Escape(s.Step.Stage)} {s.Step.Number}/{s.Step.Total}]] {text}  {time}[/]",
                };
                rows.Add(new Markup(line));
                if (_explain && s.Explanation is { } why) rows.Add(new Markup($"[grey]    {Markup.Escape(why)}[/]"));
                if (s.Outcome is null or StepOutcome.Failed || final && s.Outcome == StepOutcome.Failed)
                    foreach (var tail in s.Tail) rows.Add(new Markup($"[grey] => {Markup.Escape(tail)}[/]"));
            }
            foreach (var w in _warnings) rows.Add(new Markup($"[yellow]WARNING: {Markup.Escape(w)}[/]"));
            return new Rows(rows);
        }
    }

    StepLine? Find(BuildStep step) => _steps.LastOrDefault(s => ReferenceEquals(s.Step, step));

    public void StepStarted(BuildStep step) { lock (_gate) _steps.Add(new StepLine(step)); }

    public void RunStarted(BuildStep step, string containerId) { }

    public void Output(BuildStep step, string line)
    {
        lock (_gate)
        {
            if (Find(step) is not { } s) return;
            s.Tail.Enqueue(line);
            while (s.Tail.Count > TailLines) s.Tail.Dequeue();
        }
    }

    public void StepFinished(BuildStep step, StepOutcome outcome, string? stateId, TimeSpan elapsed, string? containerId)
    {
        lock (_gate)
        {
            if (Find(step) is not { } s) return;
            s.Outcome = outcome;
            s.Watch.Stop();
        }
    }

    public void CacheExplained(BuildStep step, CacheExplanation explanation)
    {
        lock (_gate) if (Find(step) is { } s) s.Explanation = explanation.Hit ? "cache hit" : "cache miss: " + explanation.Reason;
    }

    public void Warning(string message) { lock (_gate) _warnings.Add(message); }
}
