using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Cli.Formatting;
using Berth.Engine;
using Berth.Engine.Containers.Stats;
using Berth.Engine.Services.Containers;

namespace Berth.Cli.Commands.Containers;

/// <summary>`top` and `stats`: a running container's processes and resource use.</summary>
public static class ContainerMonitorCommands
{
    public static IEnumerable<CommandFactory> Create() => [new("top", Top), new("stats", Stats)];

    static Command Top()
    {
        var container = new Argument<string>("CONTAINER");
        var psArgs = new Argument<string[]>("ps OPTIONS") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("top", "Display the running processes of a container") { container, psArgs };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            var result = await context.Engine.Containers.TopAsync(parse.GetValue(container)!, string.Join(' ', parse.GetValue(psArgs) ?? []), ct);
            var text = new StringBuilder();
            text.Append(string.Join('\t', result.Titles)).Append('\n');
            foreach (var row in result.Processes) text.Append(string.Join('\t', row)).Append('\n');
            // docker/cli: tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)
            context.Out.Write(TableWriter.Format(text.ToString(), 20, 3));
            return 0;
        });
        return command;
    }

    static readonly Dictionary<string, string> StatsHeaders = new()
    {
        ["Container"] = "CONTAINER", ["ID"] = "CONTAINER ID", ["Name"] = "NAME", ["CPUPerc"] = "CPU %", ["MemUsage"] = "MEM USAGE / LIMIT",
        ["MemPerc"] = "MEM %", ["NetIO"] = "NET I/O", ["BlockIO"] = "BLOCK I/O", ["PIDs"] = "PIDS",
    };

    const string StatsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

    /// <summary>docker stats clears the screen and homes the cursor before each refresh.</summary>
    const string ClearScreen = "\u001b[2J\u001b[H";

    static Command Stats()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template" };
        var noStream = new Option<bool>("--no-stream") { Description = "Disable streaming stats and only pull the first result" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate output" };
        var containers = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("stats", "Display a live stream of container(s) resource usage statistics") { all, format, noStream, noTrunc, containers };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            var service = context.Engine.Containers;
            var named = parse.GetValue(containers) ?? [];
            bool trunc = !parse.GetValue(noTrunc);
            string? fmt = parse.GetValue(format);
            var formatter = new ListFormatter(string.IsNullOrEmpty(fmt) ? StatsTable : fmt, StatsHeaders, StatsTable);
            foreach (var n in named) service.Get(n);

            IReadOnlyList<ContainerRecord> Targets() => named.Length > 0
                ? named.Select(service.Get).ToList()
                : service.List().Where(c => parse.GetValue(all) || c.IsRunning).OrderBy(c => c.Created).ToList();

            var previous = new Dictionary<string, ContainerStatsSample>();
            foreach (var c in Targets()) previous[c.Id] = service.ReadStats(c);
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                var rows = new List<JsonObject>();
                var current = new Dictionary<string, ContainerStatsSample>();
                foreach (var c in Targets())
                {
                    var sample = service.ReadStats(c);
                    current[c.Id] = sample;
                    rows.Add(Row(c, previous.GetValueOrDefault(c.Id), sample, trunc));
                }
                previous = current;
                var text = formatter.Render(rows);
                if (parse.GetValue(noStream))
                {
                    context.Out.Write(text);
                    return 0;
                }
                context.Out.Write(ClearScreen + text);
                context.Out.Flush();
            }
        });
        return command;
    }

    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>docker/cli's stats formatter fields for one container.</summary>
    internal static JsonObject Row(ContainerRecord container, ContainerStatsSample? previous, ContainerStatsSample sample, bool trunc)
    {
        double cpu = previous is null ? 0 : StatsCalculator.CpuPercent(previous, sample);
        string id = trunc ? container.ShortId : container.Id;
        return new JsonObject
        {
            ["BlockIO"] = HumanUnits.HumanSizeWithPrecision(sample.BlockReadBytes, 3) + " / " + HumanUnits.HumanSizeWithPrecision(sample.BlockWriteBytes, 3),
            ["CPUPerc"] = StatsCalculator.FormatPercent(cpu),
            ["Container"] = id,
            ["ID"] = id,
            ["MemPerc"] = StatsCalculator.FormatPercent(sample.MemoryPercent),
            ["MemUsage"] = HumanUnits.BytesSize(sample.MemoryUsed) + " / " + HumanUnits.BytesSize(sample.MemoryLimit),
            ["Name"] = container.Name.TrimStart('/'),
            ["NetIO"] = HumanUnits.HumanSizeWithPrecision(sample.NetworkRxBytes, 3) + " / " + HumanUnits.HumanSizeWithPrecision(sample.NetworkTxBytes, 3),
            ["PIDs"] = Invariant($"{sample.PidsCurrent}"),
        };
    }
}
