using Berth.Cli.Formatting;
using Berth.Engine.Services.Registry;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Berth.Cli.Output;

/// <summary>Shows pull/push progress as Docker does: one redrawn line per layer with a bar on a terminal, one line per status change otherwise.</summary>
public abstract class TransferDisplay : IProgress<TransferProgress>
{
    /// <summary>The live view when <paramref name="output"/> is the process's terminal, the plain line form otherwise (pipes, files, tests).</summary>
    public static TransferDisplay For(TextWriter output)
        => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive
            ? new Live()
            : new Plain(output);

    public abstract void Report(TransferProgress value);

    /// <summary>Runs the transfer while the display shows its events; returns what the transfer returned.</summary>
    public virtual Task<T> RunAsync<T>(Func<IProgress<TransferProgress>, Task<T>> transfer) => transfer(this);

    /// <summary>Docker's line text for an event: <c>latest: Pulling from library/busybox</c>, <c>Digest: …</c>, <c>a58ecd4f0c86: Downloading [==>   ]  1.2MB/2.2MB</c>.</summary>
    public static string LineOf(TransferProgress e, int width = 120) => e.Phase switch
    {
        TransferPhase.Digest => e.Status,
        _ when e.HasBytes => $"{e.Id}: {e.Status} {Bar(e.Current, e.Total, width)}",
        _ => $"{e.Id}: {e.Status}",
    };

    /// <summary>Docker's jsonmessage progress: a 50-column bar (only on terminals wider than 110 columns) and <c>current/total</c> in go-units sizes.</summary>
    public static string Bar(long current, long total, int width = 120)
    {
        if (total <= 0) return HumanUnits.HumanSize4(current).PadLeft(8);
        double percentage = Math.Min(100, current * 100.0 / total);
        int bars = (int)(percentage / 2);
        string box = width <= 110 ? "" : bars >= 50 ? "[" + new string('=', 50) + ">] " : "[" + new string('=', bars) + ">" + new string(' ', 50 - bars) + "] ";
        return box + HumanUnits.HumanSize4(current).PadLeft(8) + "/" + HumanUnits.HumanSize4(total);
    }

    /// <summary>One line per status change; byte counts are left out, as Docker does when not on a terminal.</summary>
    sealed class Plain(TextWriter output) : TransferDisplay
    {
        readonly Lock _lock = new();

        public override void Report(TransferProgress value)
        {
            if (value.HasBytes) return;
            lock (_lock) output.WriteLine(LineOf(value));
        }
    }

    /// <summary>A Spectre.Console live region: header lines stay, each layer's line is redrawn in place.</summary>
    sealed class Live : TransferDisplay
    {
        readonly Lock _lock = new();
        readonly List<string> _keys = [];
        readonly Dictionary<string, string> _lines = [];

        public override void Report(TransferProgress value)
        {
            lock (_lock)
            {
                // Tag lines (Pulling from, Digest) are their own rows; a layer's events replace its row.
                string key = value.Phase is TransferPhase.PullingFrom or TransferPhase.Digest or TransferPhase.TagPushed ? "#" + _keys.Count : value.Id;
                if (!_lines.ContainsKey(key)) _keys.Add(key);
                int width = AnsiConsole.Profile.Width;
                string line = LineOf(value, width);
                _lines[key] = line.Length >= width ? line[..Math.Max(0, width - 1)] : line;
            }
        }

        IRenderable Render()
        {
            lock (_lock) return new Text(string.Join('\n', _keys.Select(k => _lines[k])));
        }

        public override async Task<T> RunAsync<T>(Func<IProgress<TransferProgress>, Task<T>> transfer)
        {
            var task = transfer(this);
            await AnsiConsole.Live(new Text("")).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).StartAsync(async context =>
            {
                while (!task.IsCompleted)
                {
                    context.UpdateTarget(Render());
                    await Task.WhenAny(task, Task.Delay(100));
                }
                context.UpdateTarget(Render());
            });
            return await task;
        }
    }
}
