using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Cli.Formatting;
using Berth.Cli.Output;
using Berth.Engine;
using Berth.Engine.Services.Volumes;

namespace Berth.Cli.Commands;

/// <summary>volume create, ls, inspect, rm, prune.</summary>
public static class VolumeCommands
{
    public static Command Create()
    {
        var volume = new Command("volume", "Manage volumes");
        volume.Add(CreateVolume());
        var ls = List(); ls.Aliases.Add("list");
        volume.Add(ls);
        volume.Add(Inspect());
        var rm = Remove(); rm.Aliases.Add("remove");
        volume.Add(rm);
        volume.Add(Prune());
        return volume;
    }

    static Dictionary<string, string> ParseKeyValues(IEnumerable<string> items)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            int eq = item.IndexOf('=');
            if (eq < 0) map[item] = ""; else map[item[..eq]] = item[(eq + 1)..];
        }
        return map;
    }

    static Command CreateVolume()
    {
        var driver = new Option<string>("--driver", "-d") { Description = "Specify volume driver name", DefaultValueFactory = _ => VolumeService.LocalDriver };
        var labels = new Option<string[]>("--label") { Description = "Set metadata for a volume" };
        var options = new Option<string[]>("--opt", "-o") { Description = "Set driver specific options" };
        var nameOption = new Option<string?>("--name") { Description = "Specify volume name", Hidden = true };
        var name = new Argument<string?>("VOLUME") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("create", "Create a volume") { driver, labels, options, nameOption, name };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            string? given = parse.GetValue(name);
            string? flagged = parse.GetValue(nameOption);
            if (given is not null && flagged is not null && given != flagged)
                throw new InvalidInputException($"conflicting options: either specify --name or provide positional arg, not both");
            var volume = context.Engine.Volumes.Create(given ?? flagged, ParseKeyValues(parse.GetValue(labels) ?? []),
                ParseKeyValues(parse.GetValue(options) ?? []), driver: parse.GetValue(driver) ?? VolumeService.LocalDriver);
            context.Out.WriteLine(volume.Name);
            return 0;
        });
        return command;
    }

    static readonly Dictionary<string, string> Headers = new()
    {
        ["Name"] = "VOLUME NAME", ["Driver"] = "DRIVER", ["Scope"] = "SCOPE", ["Mountpoint"] = "MOUNTPOINT",
        ["Labels"] = "LABELS", ["Links"] = "LINKS", ["Size"] = "SIZE", ["Group"] = "GROUP", ["Availability"] = "AVAILABILITY", ["Status"] = "STATUS",
    };

    const string DefaultTable = "table {{.Driver}}\t{{.Name}}";

    /// <summary>One volume as `volume ls --format` sees it (docker/cli's volumeContext).</summary>
    internal static JsonObject ListObject(VolumeRecord v, string links = "N/A", string size = "N/A") => new()
    {
        ["Availability"] = "N/A",
        ["Driver"] = v.Driver,
        ["Group"] = "N/A",
        ["Labels"] = string.Join(",", v.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")),
        ["Links"] = links,
        ["Mountpoint"] = v.Mountpoint,
        ["Name"] = v.Name,
        ["Scope"] = "local",
        ["Size"] = size,
        ["Status"] = "N/A",
    };

    static Command List()
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display volume names" };
        var filters = new Option<string[]>("--filter", "-f") { Description = "Provide filter values (e.g. \"dangling=true\")" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template" };
        var command = new Command("ls", "List volumes") { quiet, filters, format };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            var filter = VolumeListFilter.Parse(parse.GetValue(filters) ?? []);
            var service = context.Engine.Volumes;
            var volumes = service.List().Where(v => filter.Matches(v, service.VolumeUsers(v.Name).Count > 0)).OrderBy(v => v.Name, NaturalOrder.Instance).ToList();
            if (parse.GetValue(quiet))
            {
                foreach (var v in volumes) context.Out.WriteLine(v.Name);
                return 0;
            }
            string? f = parse.GetValue(format);
            new ListFormatter(string.IsNullOrEmpty(f) ? DefaultTable : f, Headers, DefaultTable).Write(context.Out, volumes.Select(v => ListObject(v)).ToList());
            return 0;
        });
        return command;
    }

    /// <summary>`volume inspect` JSON (Docker's volume.Volume: CreatedAt as RFC 3339 in local time, Scope local).</summary>
    internal static JsonObject InspectObject(VolumeRecord v) => new()
    {
        ["CreatedAt"] = Rfc3339(v.CreatedAt),
        ["Driver"] = v.Driver,
        ["Labels"] = Map(v.Labels),
        ["Mountpoint"] = v.Mountpoint,
        ["Name"] = v.Name,
        ["Options"] = Map(v.Options),
        ["Scope"] = "local",
    };

    static JsonObject Map(IReadOnlyDictionary<string, string> map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map.OrderBy(p => p.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }

    static string Rfc3339(DateTimeOffset time)
    {
        var local = time.ToLocalTime();
        string text = local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return local.Offset == TimeSpan.Zero ? text + "Z" : text + local.ToString("zzz", CultureInfo.InvariantCulture);
    }

    static Command Inspect()
    {
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template" };
        var names = new Argument<string[]>("VOLUME") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("inspect", "Display detailed information on one or more volumes") { format, names };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            var found = new List<JsonNode>();
            int status = 0;
            foreach (var name in parse.GetValue(names)!)
            {
                if (context.Engine.Volumes.TryInspect(name) is { } v) found.Add(InspectObject(v));
                else
                {
                    context.Error.WriteLine($"Error: No such volume: {name}");
                    status = 1;
                }
            }
            if (found.Count > 0 || string.IsNullOrEmpty(parse.GetValue(format))) JsonOutput.WriteInspect(context.Out, found, parse.GetValue(format));
            return status;
        });
        return command;
    }

    static Command Remove()
    {
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of one or more volumes" };
        var names = new Argument<string[]>("VOLUME") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Remove one or more volumes") { force, names };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            var errors = new List<string>();
            foreach (var name in parse.GetValue(names)!)
            {
                try
                {
                    context.Engine.Volumes.Remove(name, parse.GetValue(force));
                    context.Out.WriteLine(name);
                }
                catch (BerthException e) { errors.Add(e.Message); }
            }
            if (errors.Count == 0) return 0;
            context.Error.WriteLine("Error: " + string.Join("\n", errors));
            return 1;
        });
        return command;
    }

    static Command Prune()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused volumes, not just anonymous ones" };
        var filters = new Option<string[]>("--filter") { Description = "Provide filter values (e.g. \"label=<label>\")" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be removed, remove nothing" };
        var command = new Command("prune", "Remove unused local volumes") { all, filters, force, dryRun };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            var (labelFilters, allFromFilter) = VolumeListFilter.ParsePrune(parse.GetValue(filters) ?? []);
            bool everything = parse.GetValue(all) || allFromFilter;
            bool dry = parse.GetValue(dryRun);
            string warning = everything
                ? "WARNING! This will remove all local volumes not used by at least one container."
                : "WARNING! This will remove anonymous local volumes not used by at least one container.";
            if (!dry && !parse.GetValue(force) && !Confirmation.Ask(context, warning)) return 0;
            var result = context.Engine.Volumes.Prune(everything, labelFilters, dry);
            PruneOutput.Write(context.Out, dry ? "Would delete volumes:" : "Deleted Volumes:", result.Deleted, result.SpaceReclaimed, dry);
            return 0;
        });
        return command;
    }
}

/// <summary>`volume ls --filter` conditions: dangling, name (substring), label, driver.</summary>
sealed record VolumeListFilter(bool? Dangling, IReadOnlyList<string> Names, IReadOnlyList<LabelFilter> Labels, IReadOnlyList<string> Drivers)
{
    public static VolumeListFilter Parse(IEnumerable<string> filters)
    {
        bool? dangling = null;
        var names = new List<string>(); var labels = new List<LabelFilter>(); var drivers = new List<string>();
        foreach (var f in filters)
        {
            int eq = f.IndexOf('=');
            if (eq < 0) throw new InvalidInputException($"bad format of filter (expected name=value)");
            string key = f[..eq].Trim().ToLowerInvariant(), value = f[(eq + 1)..];
            switch (key)
            {
                case "dangling":
                    dangling = value.ToLowerInvariant() switch
                    {
                        "true" or "1" => true,
                        "false" or "0" => false,
                        _ => throw new InvalidInputException($"invalid filter 'dangling={value}'"),
                    };
                    break;
                case "name": names.Add(value); break;
                case "label": labels.Add(LabelFilter.Parse(value)); break;
                case "driver": drivers.Add(value); break;
                default: throw new InvalidInputException($"invalid filter '{key}'");
            }
        }
        return new(dangling, names, labels, drivers);
    }

    /// <summary>`volume prune --filter`: label=, label!=, all= (the API's way of saying --all).</summary>
    public static (IReadOnlyList<LabelFilter> Labels, bool All) ParsePrune(IEnumerable<string> filters)
    {
        var labels = new List<LabelFilter>();
        bool all = false;
        foreach (var f in filters)
        {
            int neq = f.IndexOf("!=", StringComparison.Ordinal), eq = f.IndexOf('=');
            if (neq >= 0 && neq < eq && f[..neq] == "label") { labels.Add(LabelFilter.Parse(f[(neq + 2)..], negated: true)); continue; }
            if (eq < 0) throw new InvalidInputException("bad format of filter (expected name=value)");
            string key = f[..eq], value = f[(eq + 1)..];
            if (key == "label") labels.Add(LabelFilter.Parse(value));
            else if (key == "all") all = value is "1" or "true" or "True" ? true : value is "0" or "false" or "False" ? false
                : throw new InvalidInputException($"invalid filter 'all={value}'");
            else throw new InvalidInputException($"invalid filter '{key}'");
        }
        return (labels, all);
    }

    public bool Matches(VolumeRecord v, bool inUse)
        => (Dangling is not { } d || d == !inUse)
        && (Names.Count == 0 || Names.Any(n => v.Name.Contains(n, StringComparison.Ordinal)))
        && Labels.All(l => l.Matches(v.Labels))
        && (Drivers.Count == 0 || Drivers.Any(x => v.Driver.Contains(x, StringComparison.Ordinal)));
}

/// <summary>What every prune verb prints: the deleted items under a heading, a blank line, then "Total reclaimed space".</summary>
public static class PruneOutput
{
    public static void Write(TextWriter output, string heading, IReadOnlyList<string> lines, long reclaimed, bool dryRun = false)
    {
        if (lines.Count > 0)
        {
            output.WriteLine(heading);
            foreach (var line in lines) output.WriteLine(line);
            output.WriteLine();
        }
        output.WriteLine((dryRun ? "Total reclaimable space: " : "Total reclaimed space: ") + HumanUnits.HumanSize4(reclaimed));
    }
}
