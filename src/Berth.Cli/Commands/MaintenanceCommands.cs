using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Cli.Formatting;
using Berth.Engine;
using Berth.Engine.Services.Maintenance;

namespace Berth.Cli.Commands;

/// <summary>`image prune`, `system df`, `system check`.</summary>
public static class MaintenanceCommands
{
    /// <summary>`system df|check|prune`.</summary>
    public static Command System()
    {
        var system = new Command("system", "Manage Berth");
        system.Add(DiskUsage());
        system.Add(Check());
        system.Add(SystemPruneCommand.Create());
        return system;
    }

    static string Invariant(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>`image prune`.</summary>
    public static Command ImagePrune()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images, not just dangling ones" };
        var filters = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"until=<timestamp>\")" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be removed, remove nothing" };
        var command = new Command("prune", "Remove unused images") { all, filters, force, dryRun };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            var filter = PruneFilter.Parse(parse.GetValue(filters) ?? [], DateTimeOffset.UtcNow);
            bool everything = parse.GetValue(all) || filter.Dangling == false;
            bool dry = parse.GetValue(dryRun);
            string warning = everything
                ? "WARNING! This will remove all images without at least one container associated to them."
                : "WARNING! This will remove all dangling images.";
            if (!dry && !parse.GetValue(force) && !Confirmation.Ask(context, warning)) return 0;
            var result = await context.Engine.Maintenance.ImagePruner.PruneAsync(everything, filter, dry, cancellationToken);
            var lines = result.Entries.Select(e => (e.Kind == "Untagged" ? "untagged: " : "deleted: ") + e.Value).ToList();
            PruneOutput.Write(context.Out, dry ? "Would delete images:" : "Deleted Images:", lines, result.SpaceReclaimed, dry);
            return 0;
        });
        return command;
    }

    static readonly Dictionary<string, string> SummaryHeaders = new()
    {
        ["Type"] = "TYPE", ["TotalCount"] = "TOTAL", ["Active"] = "ACTIVE", ["Size"] = "SIZE", ["Reclaimable"] = "RECLAIMABLE",
    };
    const string SummaryTable = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";

    static Command DiskUsage()
    {
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show detailed information on space usage" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template" };
        var command = new Command("df", "Show Berth disk usage") { verbose, format };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            var report = context.Engine.Maintenance.DiskUsage.Measure();
            if (parse.GetValue(verbose)) { DiskUsageVerbose.Write(context.Out, report, DateTimeOffset.UtcNow); return 0; }
            string? f = parse.GetValue(format);
            new ListFormatter(string.IsNullOrEmpty(f) ? SummaryTable : f, SummaryHeaders, SummaryTable).Write(context.Out, Summary(report));
            return 0;
        });
        return command;
    }

    /// <summary>docker/cli's diskUsage*Context rows (their arithmetic, including what counts as reclaimable).</summary>
    internal static List<JsonObject> Summary(DiskUsageReport r)
    {
        static JsonObject Row(string type, int total, int active, long size, string reclaimable) => new()
        {
            ["Active"] = active.ToString(CultureInfo.InvariantCulture), ["Reclaimable"] = reclaimable,
            ["Size"] = HumanUnits.HumanSize4(size), ["TotalCount"] = total.ToString(CultureInfo.InvariantCulture), ["Type"] = type,
        };
        static string WithPercent(long reclaimable, long total)
            => total > 0 ? $"{HumanUnits.HumanSize4(reclaimable)} ({Invariant(reclaimable * 100 / total)}%)" : HumanUnits.HumanSize4(reclaimable);

        long usedByContainers = r.Images.Where(i => i.Containers > 0).Sum(i => i.Size - i.SharedSize);
        long containersSize = r.Containers.Sum(c => c.SizeRw);
        long volumesSize = r.Volumes.Sum(v => v.Size);
        long builderInUse = r.BuildCache.Where(b => b.InUse && !b.Shared).Sum(b => b.Size);
        return
        [
            Row("Images", r.Images.Count, r.Images.Count(i => i.Containers > 0), r.LayersSize, WithPercent(r.LayersSize - usedByContainers, r.LayersSize)),
            Row("Containers", r.Containers.Count, r.Containers.Count(c => c.Running), containersSize,
                WithPercent(r.Containers.Where(c => !c.Running).Sum(c => c.SizeRw), containersSize)),
            Row("Local Volumes", r.Volumes.Count, r.Volumes.Count(v => v.RefCount > 0), volumesSize,
                WithPercent(r.Volumes.Where(v => v.RefCount == 0).Sum(v => v.Size), volumesSize)),
            Row("Build Cache", r.BuildCache.Count, r.BuildCache.Count(b => b.InUse), r.BuilderSize, HumanUnits.HumanSize4(r.BuilderSize - builderInUse)),
        ];
    }

    static Command Check()
    {
        var repair = new Option<bool>("--repair") { Description = "Remove orphans and fix recorded sizes; report what cannot be repaired" };
        var minAge = new Option<string>("--min-age") { Description = "Unreferenced blobs and leftovers younger than this are work in progress (default 10m)", DefaultValueFactory = _ => "10m" };
        var command = new Command("check", "Verify the store: blobs, snapshots, layers, tags, volumes; find orphans") { repair, minAge };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            var now = DateTimeOffset.UtcNow;
            var age = now - PruneFilter.ParseTime(parse.GetValue(minAge)!, now);
            bool fix = parse.GetValue(repair);
            var report = await context.Engine.Maintenance.Checker.CheckAsync(fix, age, cancellationToken);
            context.Out.WriteLine($"Checked {Count(report.Images, "image")}, {Count(report.Layers, "layer")}, {Count(report.Blobs, "blob")}, {Count(report.References, "tag or digest", "tags and digests")}, {Count(report.Volumes, "volume")}.");
            foreach (var f in report.Findings)
                context.Out.WriteLine($"{f.Kind} {f.Subject}: {f.Problem}{(f.Repaired ? " (repaired)" : f.Repairable ? " (repairable)" : "")}");
            foreach (var p in report.InProgress) context.Out.WriteLine($"in progress, left alone: {p}");
            int left = report.Findings.Count(f => !f.Repaired), repairable = report.Findings.Count(f => f.Repairable && !f.Repaired);
            int repaired = report.Findings.Count(f => f.Repaired);
            if (left == 0)
            {
                context.Out.WriteLine(repaired > 0 ? $"Repaired {Count(repaired, "problem")}; the store is consistent." : "The store is consistent.");
                return 0;
            }
            context.Out.WriteLine($"{Count(left, "problem")} left: {Invariant(repairable)} can be repaired with --repair, {Invariant(left - repairable)} cannot.");
            return 1;
        });
        return command;
    }

    static string Count(int n, string one, string? many = null) => n == 1 ? $"1 {one}" : $"{n.ToString(CultureInfo.InvariantCulture)} {many ?? one + "s"}";
}

/// <summary>`system df -v`: Docker's four sections (images with SHARED SIZE and UNIQUE SIZE, containers, volumes, build cache).</summary>
static class DiskUsageVerbose
{
    public static void Write(TextWriter output, DiskUsageReport report, DateTimeOffset now)
    {
        output.Write("Images space usage:\n\n");
        var images = report.Images.OrderByDescending(i => i.Created).Select(i =>
        {
            string repo = "<none>", tag = "<none>";
            if (i.Tags.Count > 0 && ImageNameParserFamiliar(i.Tags[0]) is var (r, t)) { repo = r; tag = t; }
            return new JsonObject
            {
                ["Containers"] = i.Containers.ToString(CultureInfo.InvariantCulture),
                ["CreatedSince"] = i.Created is { } c ? HumanUnits.TimeAgo(c, now) : "N/A",
                ["ID"] = i.Id.Short,
                ["Repository"] = repo,
                ["SharedSize"] = HumanUnits.HumanSize(i.SharedSize),
                ["Size"] = HumanUnits.HumanSize(i.Size),
                ["Tag"] = tag,
                ["UniqueSize"] = HumanUnits.HumanSize(i.UniqueSize),
            };
        }).ToList();
        Table(output, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", images, new()
        {
            ["Repository"] = "REPOSITORY", ["Tag"] = "TAG", ["ID"] = "IMAGE ID", ["CreatedSince"] = "CREATED", ["Size"] = "SIZE",
            ["SharedSize"] = "SHARED SIZE", ["UniqueSize"] = "UNIQUE SIZE", ["Containers"] = "CONTAINERS",
        });

        output.Write("\nContainers space usage:\n\n");
        var containers = report.Containers.Select(c => new JsonObject
        {
            ["Command"] = "\"" + ImageCommands.Ellipsis(c.Command, 20) + "\"",
            ["ID"] = c.Id.Length > 12 ? c.Id[..12] : c.Id,
            ["Image"] = c.Image,
            ["LocalVolumes"] = c.LocalVolumes.ToString(CultureInfo.InvariantCulture),
            ["Names"] = string.Join(",", c.Names.Select(n => n.TrimStart('/'))),
            ["RunningFor"] = HumanUnits.TimeAgo(c.Created, now),
            ["Size"] = HumanUnits.HumanSize(c.SizeRw),
            ["Status"] = HumanUnits.ContainerStatus(new ContainerStatusInfo(c.Running, c.StartedAt, c.FinishedAt, c.ExitCode), now),
        }).ToList();
        Table(output, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", containers, new()
        {
            ["ID"] = "CONTAINER ID", ["Image"] = "IMAGE", ["Command"] = "COMMAND", ["LocalVolumes"] = "LOCAL VOLUMES", ["Size"] = "SIZE",
            ["RunningFor"] = "CREATED", ["Status"] = "STATUS", ["Names"] = "NAMES",
        });

        output.Write("\nLocal Volumes space usage:\n\n");
        var volumes = report.Volumes.OrderBy(v => v.Volume.Name, NaturalOrder.Instance).Select(v => new JsonObject
        {
            ["Links"] = v.RefCount.ToString(CultureInfo.InvariantCulture),
            ["Name"] = v.Volume.Name,
            ["Size"] = HumanUnits.HumanSize4(v.Size),
        }).ToList();
        Table(output, "table {{.Name}}\t{{.Links}}\t{{.Size}}", volumes, new() { ["Name"] = "VOLUME NAME", ["Links"] = "LINKS", ["Size"] = "SIZE" });

        output.Write($"\nBuild cache usage: {HumanUnits.HumanSize4(report.BuilderSize)}\n\n");
        var cache = report.BuildCache.Select(b => new JsonObject
        {
            ["CacheType"] = b.CacheType,
            ["CreatedSince"] = HumanUnits.TimeAgo(b.Created, now),
            ["ID"] = (b.Id.Length > 12 ? b.Id[..12] : b.Id) + (b.InUse ? "*" : ""),
            ["LastUsedSince"] = b.LastUsed is { } u ? HumanUnits.TimeAgo(u, now) : "",
            ["Shared"] = b.Shared ? "true" : "false",
            ["Size"] = HumanUnits.HumanSize(b.Size),
            ["UsageCount"] = b.UsageCount.ToString(CultureInfo.InvariantCulture),
        }).ToList();
        Table(output, "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}", cache, new()
        {
            ["ID"] = "CACHE ID", ["CacheType"] = "CACHE TYPE", ["Size"] = "SIZE", ["CreatedSince"] = "CREATED", ["LastUsedSince"] = "LAST USED",
            ["UsageCount"] = "USAGE", ["Shared"] = "SHARED",
        });
    }

    static (string Repository, string Tag)? ImageNameParserFamiliar(string tagKey)
    {
        var name = Berth.Engine.Services.Images.ImageNameParser.Parse(tagKey);
        return name.Tag is { } tag ? (name.FamiliarRepository, tag) : null;
    }

    static void Table(TextWriter output, string format, List<JsonObject> rows, Dictionary<string, string> headers)
        => new ListFormatter(format, headers, format).Write(output, rows);
}
