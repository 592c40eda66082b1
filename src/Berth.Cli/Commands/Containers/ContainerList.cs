using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Cli.Formatting;
using Berth.Cli.Output;
using Berth.Engine;
using Berth.Engine.Content;
using Berth.Engine.Metadata;
using Berth.Engine.Services.Containers;

namespace Berth.Cli.Commands.Containers;

/// <summary>`ps` / `container ls`: Docker's columns, filters and formats.</summary>
public static class ContainerList
{
    static readonly Dictionary<string, string> Headers = new()
    {
        ["ID"] = "CONTAINER ID", ["Image"] = "IMAGE", ["Command"] = "COMMAND", ["CreatedAt"] = "CREATED AT", ["RunningFor"] = "CREATED",
        ["Ports"] = "PORTS", ["State"] = "STATE", ["Status"] = "STATUS", ["Size"] = "SIZE", ["Names"] = "NAMES", ["Labels"] = "LABELS",
        ["Mounts"] = "MOUNTS", ["Networks"] = "NETWORKS", ["LocalVolumes"] = "LOCAL VOLUMES",
    };

    public static Command Create(string name)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display container IDs" };
        var last = new Option<int?>("--last", "-n") { Description = "Show n last created containers (includes all states)" };
        var latest = new Option<bool>("--latest", "-l") { Description = "Show the latest created container (includes all states)" };
        var size = new Option<bool>("--size", "-s") { Description = "Display total file sizes" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var filters = new Option<string[]>("--filter", "-f") { Description = "Filter output based on conditions provided (id, name, label, exited, status, ancestor, before, since, volume, network, publish, expose, health, isolation, is-task)" };
        var format = new Option<string?>("--format") { Description = "Pretty-print containers using a Go template" };
        var command = new Command(name, "List containers") { all, quiet, last, latest, size, noTrunc, filters, format };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            var service = context.Engine.Containers;
            int? limit = parse.GetValue(latest) ? 1 : parse.GetValue(last) is > 0 and var n ? n : null;
            var filter = ContainerListFilter.Parse(parse.GetValue(filters) ?? []);
            var rows = service.List(filter, parse.GetValue(all), limit);

            bool trunc = !parse.GetValue(noTrunc);
            if (parse.GetValue(quiet))
            {
                foreach (var r in rows) context.Out.WriteLine(trunc ? r.ShortId : r.Id);
                return 0;
            }
            var now = DateTimeOffset.UtcNow;
            bool withSize = parse.GetValue(size);
            // One lookup per distinct image name, not one query per container.
            var images = rows.Select(r => r.Settings.ImageName).Distinct().ToDictionary(n => n, n => context.Images.TryResolve(n));
            var objects = rows.Select(r => Row(context, r, images, trunc, withSize, now)).ToList();
            string table = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}" + (withSize ? "\t{{.Size}}" : "");
            string? fmt = parse.GetValue(format);
            if (fmt is not null && fmt.Contains(".Size", StringComparison.Ordinal) && !withSize)
                objects = rows.Select(r => Row(context, r, images, trunc, true, now)).ToList();
            new ListFormatter(string.IsNullOrEmpty(fmt) ? table : fmt, Headers, table).Write(context.Out, objects);
            return 0;
        });
        return command;
    }

    static JsonObject Row(CommandContext context, ContainerRecord r, Dictionary<string, Digest?> images, bool trunc, bool withSize, DateTimeOffset now)
    {
        var s = r.Settings;
        string command = string.Join(' ', new[] { s.Path }.Concat(s.Args));
        if (trunc) command = ImageCommands.Ellipsis(command, 20);
        string image = s.ImageName;
        // A name that no longer points at the container's image shows the image ID, as Docker does.
        if (images[image] is not { } resolved || resolved != r.ImageId) image = r.ImageId.Short;
        var status = new ContainerStatusInfo(r.IsRunning, r.State.StartedAt, r.State.FinishedAt, r.State.ExitCode,
            Paused: r.State.Status == ContainerStatus.Paused, Dead: r.State.Status == ContainerStatus.Dead,
            RemovalInProgress: r.State.Status == ContainerStatus.Removing, Health: r.Health?.Status);
        string sizeText = "";
        if (withSize)
        {
            long rw = context.Engine.Containers.SizeRw(r);
            sizeText = $"{HumanUnits.HumanSize(rw)} (virtual {HumanUnits.HumanSize(rw + context.Engine.Containers.ImageSize(r))})";
        }
        return new JsonObject
        {
            ["Command"] = "\"" + command.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
            ["CreatedAt"] = GoTime.Format(r.Created),
            ["ID"] = trunc ? r.ShortId : r.Id,
            ["Image"] = image,
            ["Labels"] = string.Join(',', (s.Config.Labels ?? new SortedDictionary<string, string>()).Select(kv => kv.Key + "=" + kv.Value)),
            ["LocalVolumes"] = s.Mounts.Count(m => m.Type == "volume").ToString(CultureInfo.InvariantCulture),
            ["Mounts"] = string.Join(',', s.Mounts.Select(m => m.Type == "volume" ? m.Name ?? "" : m.Source)),
            ["Names"] = r.Name,
            ["Networks"] = s.HostConfig.NetworkMode == "default" ? "bridge" : s.HostConfig.NetworkMode,
            ["Ports"] = r.IsRunning ? string.Join(", ", s.Ports.Select(p => $"{p.HostIp}:{p.HostPort}->{p.ContainerPort}/{p.Protocol}")) : "",
            ["RunningFor"] = HumanUnits.TimeAgo(r.Created, now),
            ["Size"] = sizeText,
            ["State"] = r.State.StatusText,
            ["Status"] = HumanUnits.ContainerStatus(status, now),
        };
    }
}
