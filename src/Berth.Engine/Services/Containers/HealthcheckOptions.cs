using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Images;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// The `run`/`create` healthcheck flags (--health-cmd, --health-interval, --health-timeout, --health-start-period,
/// --health-start-interval, --health-retries, --no-healthcheck) as given, and how they become the container's
/// Config.Healthcheck: docker/cli's rules for the flags, then the daemon's merge with the image's HEALTHCHECK.
/// </summary>
public sealed record HealthcheckOptions
{
    public string? Cmd { get; init; }
    public string? Interval { get; init; }
    public string? Timeout { get; init; }
    public string? StartPeriod { get; init; }
    public string? StartInterval { get; init; }
    public int? Retries { get; init; }
    public bool Disable { get; init; }

    /// <summary>The container's healthcheck: the flags' settings over the image's (an unset field comes from the image).</summary>
    public HealthConfig? Resolve(HealthConfig? image)
    {
        var user = FromFlags();
        if (user is null) return image;
        if (image is null) return user;
        return user with
        {
            Test = user.Test is { Count: > 0 } ? user.Test : image.Test,
            Interval = user.Interval != 0 ? user.Interval : image.Interval,
            Timeout = user.Timeout != 0 ? user.Timeout : image.Timeout,
            StartPeriod = user.StartPeriod != 0 ? user.StartPeriod : image.StartPeriod,
            StartInterval = user.StartInterval != 0 ? user.StartInterval : image.StartInterval,
            Retries = user.Retries != 0 ? user.Retries : image.Retries,
        };
    }

    /// <summary>docker/cli's parse: null when no flag was given, {Test: [NONE]} for --no-healthcheck, else the flags' values.</summary>
    HealthConfig? FromFlags()
    {
        long interval = Duration("--health-interval", Interval), timeout = Duration("--health-timeout", Timeout);
        long startPeriod = Duration("--health-start-period", StartPeriod), startInterval = Duration("--health-start-interval", StartInterval);
        int retries = Retries ?? 0;
        bool any = !string.IsNullOrEmpty(Cmd) || interval != 0 || timeout != 0 || startPeriod != 0 || startInterval != 0 || retries != 0;
        if (Disable)
        {
            if (any) throw new InvalidInputException("--no-healthcheck conflicts with --health-* options");
            return new HealthConfig { Test = ["NONE"] };
        }
        if (!any) return null;
        if (interval < 0) throw new InvalidInputException("--health-interval cannot be negative");
        if (timeout < 0) throw new InvalidInputException("--health-timeout cannot be negative");
        if (retries < 0) throw new InvalidInputException("--health-retries cannot be negative");
        if (startPeriod < 0) throw new InvalidInputException("--health-start-period cannot be negative");
        if (startInterval < 0) throw new InvalidInputException("--health-start-interval cannot be negative");
        // The daemon's own check (validateHealthCheck): a set duration is at least a millisecond.
        const long Millisecond = 1_000_000;
        if (interval is > 0 and < Millisecond) throw new InvalidInputException("Interval in Healthcheck cannot be less than 1ms");
        if (timeout is > 0 and < Millisecond) throw new InvalidInputException("Timeout in Healthcheck cannot be less than 1ms");
        if (startPeriod is > 0 and < Millisecond) throw new InvalidInputException("StartPeriod in Healthcheck cannot be less than 1ms");
        if (startInterval is > 0 and < Millisecond) throw new InvalidInputException("StartInterval in Healthcheck cannot be less than 1ms");
        return new HealthConfig
        {
            Test = string.IsNullOrEmpty(Cmd) ? null : ["CMD-SHELL", Cmd],
            Interval = interval,
            Timeout = timeout,
            StartPeriod = startPeriod,
            StartInterval = startInterval,
            Retries = retries,
        };
    }

    /// <summary>A Go duration flag in nanoseconds (0 when not given), with pflag's error for a bad value.</summary>
    static long Duration(string flag, string? value)
    {
        if (string.IsNullOrEmpty(value)) return 0;
        if (!GoDuration.TryParse(value, out var span))
            throw new InvalidInputException($"invalid argument \"{value}\" for \"{flag}\" flag: time: invalid duration {Quote(value)}");
        return span.Ticks * 100;
    }

    static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
