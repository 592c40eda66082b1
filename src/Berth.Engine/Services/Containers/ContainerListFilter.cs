using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Engine.Content;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// `ps --filter` as Docker's daemon applies it (daemon/list.go): values of one key are alternatives, different keys must
/// all match; keys and values are checked up front with Docker's messages.
/// </summary>
public sealed class ContainerListFilter
{
    static readonly HashSet<string> Keys =
        ["ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task", "label", "name", "network", "publish", "since", "status", "volume"];
    static readonly HashSet<string> States = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];
    static readonly HashSet<string> HealthStates = ["starting", "healthy", "unhealthy", "none"];

    readonly Dictionary<string, List<string>> _values = [];
    readonly List<int> _exitCodes = [];
    readonly HashSet<string> _publish = [], _expose = [];
    bool? _isTask;

    ContainerListFilter() { }

    /// <summary>No filter at all.</summary>
    public static ContainerListFilter None { get; } = new();

    /// <summary>A status filter shows stopped containers without -a (Docker sets All for it; no other key does).</summary>
    public bool ShowsAll => _values.ContainsKey("status");

    /// <summary>Parses "key=value" filters; throws Docker's error for an unknown key or a bad value.</summary>
    public static ContainerListFilter Parse(IEnumerable<string> filters)
    {
        var filter = new ContainerListFilter();
        foreach (var f in filters)
        {
            int eq = f.IndexOf('=');
            if (eq <= 0) throw new InvalidInputException($"bad format of filter (expected name=value): {f}");
            string key = f[..eq].Trim().ToLowerInvariant(), value = f[(eq + 1)..];
            if (!Keys.Contains(key)) throw new InvalidInputException($"invalid filter '{key}'");
            if (!filter._values.TryGetValue(key, out var list)) filter._values[key] = list = [];
            list.Add(value);
            switch (key)
            {
                case "exited":
                    if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int code))
                        throw new InvalidInputException($"invalid filter 'exited={value}': strconv.Atoi: parsing \"{value}\": invalid syntax");
                    filter._exitCodes.Add(code);
                    break;
                case "status" when !States.Contains(value):
                    throw new InvalidInputException($"invalid filter 'status={value}'");
                case "health" when !HealthStates.Contains(value):
                    throw new InvalidInputException($"Unrecognised filter value for health: {value}");
                case "publish": AddPorts(filter._publish, key, value); break;
                case "expose": AddPorts(filter._expose, key, value); break;
            }
        }
        if (filter._values.TryGetValue("is-task", out var task))
        {
            // Docker's ExactMatch: any value "true" wins, then any "false"; Berth runs no swarm tasks.
            filter._isTask = task.Contains("true") ? true : task.Contains("false") ? false
                : throw new InvalidInputException($"invalid filter 'is-task={string.Join(',', task)}'");
        }
        return filter;
    }

    /// <summary>
    /// Applies the filter to <paramref name="newestFirst"/> (every container, newest first). <paramref name="all"/> is -a;
    /// <paramref name="limit"/> (-n/-l) also shows stopped containers. <paramref name="findContainer"/> resolves before/since
    /// (name, ID or prefix); <paramref name="imageAndDescendants"/> gives an image reference's ID and its children's (ancestor).
    /// </summary>
    public IReadOnlyList<ContainerRecord> Apply(IReadOnlyList<ContainerRecord> newestFirst, bool all, int? limit,
        Func<string, ContainerRecord?> findContainer, Func<string, IEnumerable<Digest>> imageAndDescendants)
    {
        string? before = Reference("before", findContainer), since = Reference("since", findContainer);
        HashSet<string>? ids = _values.TryGetValue("id", out var idValues) ? IdMatches(newestFirst, idValues) : null;
        HashSet<Digest>? images = _values.TryGetValue("ancestor", out var ancestors) ? [.. ancestors.SelectMany(imageAndDescendants)] : null;
        bool showStopped = all || ShowsAll || limit is > 0;

        var result = new List<ContainerRecord>();
        bool skipping = before is not null;
        foreach (var c in newestFirst)
        {
            if (skipping)
            {
                // Docker lists containers older than "before": everything up to it (newest first) is left out.
                if (c.Id == before) skipping = false;
                continue;
            }
            if (c.Id == since) break;
            if (!c.IsRunning && !showStopped) continue;
            if (ids is not null && !ids.Contains(c.Id)) continue;
            if (images is not null && !images.Contains(c.ImageId)) continue;
            if (!Matches(c)) continue;
            result.Add(c);
            if (limit is > 0 && result.Count == limit) break;
        }
        return result;
    }

    bool Matches(ContainerRecord c)
    {
        foreach (var (key, values) in _values)
        {
            bool ok = key switch
            {
                "name" => values.Any(v => Match(v, c.Name) || Match(v, "/" + c.Name)),
                // All label filters must hold (Docker's MatchKVList), unlike the other keys.
                "label" => values.All(v => HasLabel(c, v)),
                "exited" => !c.IsRunning && c.State.StartedAt is not null && _exitCodes.Contains(c.State.ExitCode),
                "status" => values.Contains(c.State.StatusText),
                "health" => values.Contains(Health(c)),
                "volume" => values.Any(v => c.Settings.Mounts.Any(m => m.Destination == v || (m.Name ?? m.Source) == v)),
                "network" => values.Contains(NetworkName(c)),
                // One check for both (Docker ORs them): a published host port or an exposed container port.
                "publish" or "expose" => PortsMatch(c),
                "is-task" => _isTask == false,
                _ => true, // id, ancestor, before, since: applied by Apply; isolation: Linux has only the default.
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>Docker matches a container's ports (only a running one has any): publish on the host port, expose on the container port.</summary>
    bool PortsMatch(ContainerRecord c)
    {
        if (!c.IsRunning) return false;
        if (c.Settings.Ports.Any(p => _publish.Contains($"{p.HostPort}/{p.Protocol}") || _expose.Contains($"{p.ContainerPort}/{p.Protocol}")))
            return true;
        return (c.Settings.Config.ExposedPorts?.Keys ?? Enumerable.Empty<string>()).Any(p => _expose.Contains(p.Contains('/') ? p : p + "/tcp"));
    }

    /// <summary>The container's health status (starting, healthy, unhealthy); "none" when it never ran with a healthcheck (or has HEALTHCHECK NONE).</summary>
    static string Health(ContainerRecord c) => c.Health?.Status ?? Berth.Engine.Containers.Health.HealthState.None;

    /// <summary>
    /// The network Docker would list, which ps shows and filters by: the default mode is Docker's "bridge"; in another
    /// container's network it has none of its own (as inspect's Networks).
    /// </summary>
    public static string NetworkName(ContainerRecord c) => c.Settings.HostConfig.NetworkMode switch
    {
        "default" => "bridge",
        var joined when ContainerService.JoinedId(joined) is not null => "",
        var other => other,
    };

    /// <summary>Docker's filters.Args.Match: equal, or an unanchored regular expression that matches (a bad one never does).</summary>
    static bool Match(string pattern, string source)
    {
        if (pattern == source) return true;
        try { return Regex.IsMatch(source, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)); }
        catch (ArgumentException) { return false; }
        catch (RegexMatchTimeoutException) { return false; }
    }

    static bool HasLabel(ContainerRecord c, string filter)
    {
        var labels = c.Settings.Config.Labels;
        if (labels is null) return false;
        int eq = filter.IndexOf('=');
        return eq < 0 ? labels.ContainsKey(filter) : labels.TryGetValue(filter[..eq], out var v) && v == filter[(eq + 1)..];
    }

    /// <summary>Docker resolves each id value as a unique ID prefix; an ambiguous or unknown one matches nothing.</summary>
    static HashSet<string> IdMatches(IReadOnlyList<ContainerRecord> containers, List<string> values)
    {
        var ids = new HashSet<string>();
        foreach (var v in values)
        {
            var found = containers.Where(c => c.Id.StartsWith(v, StringComparison.Ordinal)).Take(2).ToList();
            if (found.Count == 1 && v.Length > 0) ids.Add(found[0].Id);
        }
        return ids;
    }

    string? Reference(string key, Func<string, ContainerRecord?> findContainer)
    {
        if (!_values.TryGetValue(key, out var values)) return null;
        // Docker keeps the last value given.
        string value = values[^1];
        return (findContainer(value) ?? throw new NotFoundException($"No such container: {value}")).Id;
    }

    /// <summary>Docker's portOp: PORT[/PROTO] or START-END[/PROTO], no host part; tcp by default.</summary>
    static void AddPorts(HashSet<string> set, string key, string value)
    {
        if (value.Contains(':')) throw new InvalidInputException($"filter for '{key}' should not contain ':': {value}");
        int slash = value.IndexOf('/');
        string port = slash < 0 ? value : value[..slash], proto = slash < 0 ? "tcp" : value[(slash + 1)..].ToLowerInvariant();
        int dash = port.IndexOf('-');
        string startText = dash < 0 ? port : port[..dash], endText = dash < 0 ? port : port[(dash + 1)..];
        if (!ushort.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out ushort start))
            throw new InvalidInputException($"error while looking up for {key} {value}: strconv.ParseUint: parsing \"{startText}\": invalid syntax");
        if (!ushort.TryParse(endText, NumberStyles.None, CultureInfo.InvariantCulture, out ushort end))
            throw new InvalidInputException($"error while looking up for {key} {value}: strconv.ParseUint: parsing \"{endText}\": invalid syntax");
        if (end < start) throw new InvalidInputException($"error while looking up for {key} {value}: invalid range specified for port: {port}");
        for (int p = start; p <= end; p++) set.Add($"{p}/{proto}");
    }
}
