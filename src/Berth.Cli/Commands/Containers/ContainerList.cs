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
            string table = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}" + (withSize ? "\t{{.Size}}" : "");
            string? fmt = parse.GetValue(format);
            var formatter = new ListFormatter(string.IsNullOrEmpty(fmt) ? table : fmt, Headers, table);
            // Only what the format shows is worked out (the default table shows 7 of the 14 fields; json shows all).
            var fields = formatter.Fields;
            bool sizes = withSize || (fmt is not null && fmt.Contains(".Size", StringComparison.Ordinal));
            formatter.Write(context.Out, rows.Select(r => Row(context, r, images, trunc, sizes, now, fields)).ToList());
            return 0;
        });
        return command;
    }

    static JsonObject Row(CommandContext context, ContainerRecord r, Dictionary<string, Digest?> images, bool trunc, bool withSize, DateTimeOffset now,
        IReadOnlySet<string>? fields)
    {
        bool Wants(string field) => fields is null || fields.Contains(field);
        var s = r.Settings;
        var row = new JsonObject();
        if (Wants("Command"))
        {
            string command = string.Join(' ', new[] { s.Path }.Concat(s.Args));
            if (trunc) command = ImageCommands.Ellipsis(command, 20);
            row["Command"] = "\"" + command.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        }
        if (Wants("CreatedAt")) row["CreatedAt"] = GoTime.Format(r.Created);
        if (Wants("ID")) row["ID"] = trunc ? r.ShortId : r.Id;
        if (Wants("Image"))
        {
            string image = s.ImageName;
            // A name that no longer points at the container's image shows the image ID, as Docker does.
            if (images[image] is not { } resolved || resolved != r.ImageId) image = r.ImageId.Short;
            row["Image"] = image;
        }
        if (Wants("Labels")) row["Labels"] = s.Config.Labels is { } labels ? string.Join(',', labels.Select(kv => kv.Key + "=" + kv.Value)) : "";
        if (Wants("LocalVolumes")) row["LocalVolumes"] = s.Mounts.Count(m => m.Type == "volume").ToString(CultureInfo.InvariantCulture);
        if (Wants("Mounts")) row["Mounts"] = string.Join(',', s.Mounts.Select(m => m.Type == "volume" ? m.Name ?? "" : m.Source));
        if (Wants("Names")) row["Names"] = r.Name;
        if (Wants("Networks")) row["Networks"] = ContainerListFilter.NetworkName(r);
        if (Wants("Ports")) row["Ports"] = r.IsRunning ? string.Join(", ", s.Ports.Select(p => $"{p.HostIp}:{p.HostPort}->{p.ContainerPort}/{p.Protocol}")) : "";
        if (Wants("RunningFor")) row["RunningFor"] = HumanUnits.TimeAgo(r.Created, now);
        if (Wants("Size"))
        {
            string sizeText = "";
            if (withSize)
            {
                long rw = context.Engine.Containers.SizeRw(r);
                sizeText = $"{HumanUnits.HumanSize(rw)} (virtual {HumanUnits.HumanSize(rw + context.Engine.Containers.ImageSize(r))})";
            }
            row["Size"] = sizeText;
        }
        if (Wants("State")) row["State"] = r.State.StatusText;
        if (Wants("Status"))
        {
            var status = new ContainerStatusInfo(r.IsRunning, r.State.StartedAt, r.State.FinishedAt, r.State.ExitCode,
                Paused: r.State.Status == ContainerStatus.Paused, Dead: r.State.Status == ContainerStatus.Dead,
                RemovalInProgress: r.State.Status == ContainerStatus.Removing, Health: r.Health?.Status);
            row["Status"] = HumanUnits.ContainerStatus(status, now);
        }
        return row;
    }
}
