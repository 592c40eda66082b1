using System.CommandLine;
using System.Text;
using Berth.Engine.Services.Maintenance;

namespace Berth.Cli.Commands;

/// <summary>`system prune [-a] [--volumes] [-f] [--filter] [--dry-run]`, with docker/cli's warning and sections.</summary>
public static class SystemPruneCommand
{
    /// <summary>`system prune`, for the `system` command (made by <see cref="MaintenanceCommands"/>).</summary>
    public static Command Create()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images not just dangling ones" };
        var filters = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"label=<key>=<value>\")" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var volumes = new Option<bool>("--volumes") { Description = "Prune anonymous volumes" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be removed, remove nothing" };
        var command = new Command("prune", "Remove unused data") { all, filters, force, volumes, dryRun };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            var filterTexts = parse.GetValue(filters) ?? [];
            var filter = PruneFilter.Parse(filterTexts, DateTimeOffset.UtcNow);
            var options = new SystemPruneOptions(parse.GetValue(all), parse.GetValue(volumes), filter, parse.GetValue(dryRun));
            if (!options.DryRun && !parse.GetValue(force) && !Confirmation.Ask(context, Warning(options, filterTexts))) return 0;
            var result = await context.Engine.Maintenance.SystemPruner.PruneAsync(options, cancellationToken);
            Write(context.Out, result, options.DryRun);
            return 0;
        });
        return command;
    }

    /// <summary>docker/cli's confirmation text (without networks, which Berth does not have).</summary>
    internal static string Warning(SystemPruneOptions options, IReadOnlyList<string> filters)
    {
        var text = new StringBuilder("WARNING! This will remove:\n  - all stopped containers");
        if (options.Volumes) text.Append("\n  - all anonymous volumes not used by at least one container");
        text.Append(options.All ? "\n  - all images without at least one container associated to them" : "\n  - all dangling images");
        text.Append(options.All ? "\n  - all build cache" : "\n  - unused build cache");
        text.Append('\n');
        if (filters.Count > 0)
        {
            text.Append("\n  Items to be pruned will be filtered with:");
            foreach (var f in filters) text.Append("\n  - ").Append(f);
            text.Append('\n');
        }
        return text.ToString();
    }

    static void Write(TextWriter output, SystemPruneResult result, bool dryRun)
    {
        static void Section(TextWriter output, string heading, IEnumerable<string> lines)
        {
            var list = lines.ToList();
            if (list.Count == 0) return;
            output.WriteLine(heading);
            foreach (var line in list) output.WriteLine(line);
            output.WriteLine();
        }
        string verb = dryRun ? "Would delete" : "Deleted";
        Section(output, verb + " Containers:", result.Containers.Deleted);
        if (result.Volumes is { } v) Section(output, verb + " Volumes:", v.Deleted);
        Section(output, verb + " Images:", result.Images.Entries.Select(e => (e.Kind == "Untagged" ? "untagged: " : "deleted: ") + e.Value));
        Section(output, dryRun ? "Would delete build cache objects:" : "Deleted build cache objects:", result.BuildCache.Deleted);
        output.WriteLine((dryRun ? "Total reclaimable space: " : "Total reclaimed space: ") + Formatting.HumanUnits.HumanSize4(result.SpaceReclaimed));
    }
}
