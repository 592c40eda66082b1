using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Engine.Services.Volumes;

namespace Berth.Engine.Services.Maintenance;

/// <summary>`prune --filter` conditions Docker accepts: <c>until=</c> (timestamp or duration), <c>label=</c>, <c>label!=</c>, <c>dangling=</c>.</summary>
public sealed partial record PruneFilter(DateTimeOffset? Until, IReadOnlyList<LabelFilter> Labels, bool? Dangling)
{
    public static readonly PruneFilter None = new(null, [], null);

    public static PruneFilter Parse(IEnumerable<string> filters, DateTimeOffset now)
    {
        var result = None;
        foreach (var filter in filters)
        {
            int neq = filter.IndexOf("!=", StringComparison.Ordinal), eq = filter.IndexOf('=');
            if (neq > 0 && neq < eq)
            {
                if (filter[..neq] != "label") throw new InvalidInputException($"invalid filter '{filter[..neq]}!'");
                result = result with { Labels = [.. result.Labels, LabelFilter.Parse(filter[(neq + 2)..], negated: true)] };
                continue;
            }
            if (eq <= 0) throw new InvalidInputException($"bad format of filter (expected name=value): {filter}");
            string key = filter[..eq], value = filter[(eq + 1)..];
            result = key switch
            {
                "until" => result with { Until = ParseTime(value, now) },
                "label" => result with { Labels = [.. result.Labels, LabelFilter.Parse(value)] },
                "dangling" => result with
                {
                    Dangling = value.ToLowerInvariant() switch
                    {
                        "true" or "1" => true,
                        "false" or "0" => false,
                        _ => throw new InvalidInputException($"invalid filter 'dangling={value}'"),
                    },
                },
                _ => throw new InvalidInputException($"invalid filter '{key}'"),
            };
        }
        return result;
    }

    [GeneratedRegex(@"^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex GoDurationPart();

    /// <summary>docker's GetTimestamp: a Go duration before <paramref name="now"/>, an RFC 3339 time or date, or Unix seconds.</summary>
    public static DateTimeOffset ParseTime(string value, DateTimeOffset now)
    {
        if (GoDuration().IsMatch(value))
        {
            double seconds = 0;
            foreach (Match m in GoDurationPart().Matches(value))
            {
                double n = double.Parse(m.Groups[1].Value.Length == 0 ? "0" : m.Groups[1].Value, CultureInfo.InvariantCulture);
                seconds += n * m.Groups[2].Value switch { "ns" => 1e-9, "us" or "µs" => 1e-6, "ms" => 1e-3, "s" => 1, "m" => 60, _ => 3600 };
            }
            return now - TimeSpan.FromSeconds(seconds);
        }
        if (Regex.IsMatch(value, @"^[0-9]+(\.[0-9]{1,9})?$"))
        {
            var parts = value.Split('.');
            var t = DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[0], CultureInfo.InvariantCulture));
            return parts.Length > 1 ? t.AddTicks(long.Parse(parts[1].PadRight(9, '0'), CultureInfo.InvariantCulture) / 100) : t;
        }
        string[] formats = ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFFF", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"];
        if (DateTimeOffset.TryParseExact(value, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var parsed)) return parsed;
        throw new InvalidInputException($"failed to parse value as time or duration: \"{value}\"");
    }
}
