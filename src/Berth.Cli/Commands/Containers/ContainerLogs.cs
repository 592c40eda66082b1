using System.CommandLine;
using System.Globalization;
using Berth.Engine;
using Berth.Engine.Runtime;
using Berth.Engine.Services.Containers;

namespace Berth.Cli.Commands.Containers;

/// <summary>`logs`: stdout lines to stdout, stderr lines to stderr, as Docker keeps them apart.</summary>
public static class ContainerLogs
{
    public static Command Create()
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow log output" };
        var tail = new Option<string>("--tail", "-n") { Description = "Number of lines to show from the end of the logs", DefaultValueFactory = _ => "all" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Show timestamps" };
        var details = new Option<bool>("--details") { Description = "Show extra details provided to logs (--log-opt attributes: Berth has none, so an empty list and a space, as Docker prints then)" };
        var since = new Option<string?>("--since") { Description = "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)" };
        var until = new Option<string?>("--until") { Description = "Show logs before a timestamp or relative" };
        var container = new Argument<string>("CONTAINER");
        var command = new Command("logs", "Fetch the logs of a container") { follow, tail, timestamps, details, since, until, container };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            string tailText = parse.GetValue(tail) ?? "all";
            int? tailCount = tailText == "all" ? null
                : int.TryParse(tailText, CultureInfo.InvariantCulture, out int n) ? (n < 0 ? null : n)
                : throw new InvalidInputException($"invalid value for \"tail\": \"{tailText}\"");
            var options = new LogReadOptions
            {
                Follow = parse.GetValue(follow),
                Tail = tailCount,
                Since = parse.GetValue(since) is { } s ? ParseTime(s) : null,
                Until = parse.GetValue(until) is { } u ? ParseTime(u) : null,
            };
            bool stamps = parse.GetValue(timestamps), withDetails = parse.GetValue(details);
            await foreach (var entry in context.Engine.Containers.LogsAsync(parse.GetValue(container)!, options, ct))
            {
                var writer = entry.Stream == "stderr" ? context.Error : context.Out;
                if (stamps) writer.Write(NanoTime(entry.Time) + " ");
                // Docker: the message's attributes ("k=v,k=v" from --log-opt labels/env), then a space, then the line.
                if (withDetails) writer.Write(' ');
                writer.Write(entry.Text);
                writer.Flush();
            }
            return 0;
        });
        return command;
    }

    /// <summary>Docker's --timestamps format: RFC 3339 with nine fraction digits.</summary>
    static string NanoTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture) + "00Z";

    /// <summary>A timestamp (RFC 3339, date, or Unix seconds) or a duration before now ("42m", "1h30m", "10s").</summary>
    internal static DateTimeOffset ParseTime(string value)
    {
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return t;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double unix))
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(unix * 1000));
        var total = TimeSpan.Zero;
        var m = System.Text.RegularExpressions.Regex.Matches(value, @"(\d+(?:\.\d+)?)(ms|h|m|s)");
        if (m.Count == 0 || string.Concat(m.Select(x => x.Value)) != value)
            throw new InvalidInputException($"invalid value for \"since\": failed to parse value as time or duration: \"{value}\"");
        foreach (System.Text.RegularExpressions.Match x in m)
        {
            double v = double.Parse(x.Groups[1].Value, CultureInfo.InvariantCulture);
            total += x.Groups[2].Value switch { "h" => TimeSpan.FromHours(v), "m" => TimeSpan.FromMinutes(v), "s" => TimeSpan.FromSeconds(v), _ => TimeSpan.FromMilliseconds(v) };
        }
        return DateTimeOffset.UtcNow - total;
    }
}
