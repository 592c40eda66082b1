using System.Globalization;

namespace Berth.Cli.Formatting;

/// <summary>Human-readable sizes and durations exactly as docker/go-units prints them (SIZE, CREATED and STATUS columns).</summary>
public static class HumanUnits
{
    private static readonly string[] DecimalUnits = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    private static readonly string[] BinaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

    /// <summary>Docker's SIZE column: go-units <c>HumanSizeWithPrecision(size, 3)</c>, decimal units (1980000 → "1.98MB").</summary>
    public static string HumanSize(long bytes) => HumanSizeWithPrecision(bytes, 3);

    /// <summary>go-units <c>HumanSizeWithPrecision</c>: <c>%.{precision}g</c> of the size in 1000-based units.</summary>
    public static string HumanSizeWithPrecision(double size, int precision)
    {
        var (value, unit) = ScaleToUnit(size, 1000.0, DecimalUnits);
        return GoNumberFormat.FormatFloat(value, 'g', precision) + unit;
    }

    /// <summary>go-units <c>HumanSize</c> (4 significant digits, decimal units): 2746000 → "2.746MB".</summary>
    public static string HumanSize4(double size) => HumanSizeWithPrecision(size, 4);

    /// <summary>go-units <c>BytesSize</c>: <c>%.4g</c> in 1024-based units, as <c>docker stats</c> prints memory (1572864 → "1.5MiB").</summary>
    public static string BytesSize(double size)
    {
        var (value, unit) = ScaleToUnit(size, 1024.0, BinaryUnits);
        return GoNumberFormat.FormatFloat(value, 'g', 4) + unit;
    }

    private static (double Value, string Unit) ScaleToUnit(double size, double unitBase, string[] units)
    {
        int i = 0;
        while (size >= unitBase && i < units.Length - 1)
        {
            size /= unitBase;
            i++;
        }
        return (size, units[i]);
    }

    /// <summary>go-units <c>HumanDuration</c>: "Less than a second", "About a minute", "3 hours", "2 weeks", "2 years", with its exact thresholds.</summary>
    public static string HumanDuration(TimeSpan d)
    {
        // Go truncates toward zero when converting float seconds/minutes to int; hours are rounded half up.
        long seconds = (long)d.TotalSeconds;
        if (seconds < 1) return "Less than a second";
        if (seconds == 1) return "1 second";
        if (seconds < 60) return Invariant($"{seconds} seconds");
        long minutes = (long)d.TotalMinutes;
        if (minutes == 1) return "About a minute";
        if (minutes < 60) return Invariant($"{minutes} minutes");
        long hours = (long)(d.TotalHours + 0.5);
        if (hours == 1) return "About an hour";
        if (hours < 48) return Invariant($"{hours} hours");
        if (hours < 24 * 7 * 2) return Invariant($"{hours / 24} days");
        if (hours < 24 * 30 * 2) return Invariant($"{hours / 24 / 7} weeks");
        if (hours < 24 * 365 * 2) return Invariant($"{hours / 24 / 30} months");
        return Invariant($"{(long)d.TotalHours / 24 / 365} years");
    }

    /// <summary>Docker's CREATED column: <c>HumanDuration(now - then) + " ago"</c> ("2 minutes ago", "About an hour ago").</summary>
    public static string TimeAgo(DateTimeOffset then, DateTimeOffset now) => HumanDuration(now - then) + " ago";

    /// <summary><see cref="TimeAgo(DateTimeOffset, DateTimeOffset)"/> against the current clock.</summary>
    public static string TimeAgo(DateTimeOffset then) => TimeAgo(then, DateTimeOffset.UtcNow);

    /// <summary>
    /// Docker's container STATUS text (the daemon's <c>State.String()</c>): "Up 3 seconds", "Up 2 hours (healthy)",
    /// "Up 5 minutes (Paused)", "Restarting (1) 4 seconds ago", "Exited (0) 2 minutes ago", "Created", "Dead", "Removal In Progress".
    /// </summary>
    public static string ContainerStatus(ContainerStatusInfo state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Running)
        {
            string up = HumanDuration(now - (state.StartedAt ?? now));
            if (state.Paused) return $"Up {up} (Paused)";
            if (state.Restarting)
                return Invariant($"Restarting ({state.ExitCode}) {HumanDuration(now - (state.FinishedAt ?? now))} ago");
            if (!string.IsNullOrEmpty(state.Health))
                return $"Up {up} ({(state.Health == "starting" ? "health: starting" : state.Health)})";
            return $"Up {up}";
        }
        if (state.RemovalInProgress) return "Removal In Progress";
        if (state.Dead) return "Dead";
        if (state.StartedAt is null) return "Created";
        if (state.FinishedAt is null) return "";
        return Invariant($"Exited ({state.ExitCode}) {HumanDuration(now - state.FinishedAt.Value)} ago");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The container state fields Docker's STATUS text is computed from; null times mean "never" (Go's zero time).</summary>
public sealed record ContainerStatusInfo(
    bool Running,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int ExitCode = 0,
    bool Paused = false,
    bool Restarting = false,
    bool Dead = false,
    bool RemovalInProgress = false,
    string? Health = null);
