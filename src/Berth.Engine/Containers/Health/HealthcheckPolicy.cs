using Berth.Engine.Images;

namespace Berth.Engine.Containers.Health;

/// <summary>
/// A container's healthcheck as it runs: the probe's argv and Docker's timings with defaults applied (interval 30 s,
/// timeout 30 s, start period 0, start interval 5 s, retries 3), and the schedule of moby's health monitor.
/// </summary>
public sealed record HealthcheckPolicy(IReadOnlyList<string> Command, TimeSpan Interval, TimeSpan Timeout, TimeSpan StartPeriod, TimeSpan StartInterval, int Retries)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultStartInterval = TimeSpan.FromSeconds(5);
    public const int DefaultRetries = 3;
    /// <summary>Longest probe output kept; more is cut and "..." appended.</summary>
    public const int MaxOutputBytes = 4096;
    /// <summary>Results kept in State.Health.Log.</summary>
    public const int MaxLogEntries = 5;

    /// <summary>
    /// The policy of a container's Healthcheck, or null when it has none: no config, an empty test, <c>NONE</c>, or an unknown
    /// type (Docker ignores those). <c>CMD</c> runs its arguments as they are; <c>CMD-SHELL</c> through the image's SHELL or /bin/sh -c.
    /// </summary>
    public static HealthcheckPolicy? From(HealthConfig? config, IReadOnlyList<string>? shell)
    {
        if (config?.Test is not { Count: > 0 } test) return null;
        IReadOnlyList<string>? command = test[0] switch
        {
            "CMD" => test.Skip(1).ToList(),
            "CMD-SHELL" => [.. shell is { Count: > 0 } ? shell : ["/bin/sh", "-c"], .. test.Skip(1)],
            _ => null,
        };
        if (command is null || command.Count == 0) return null;
        return new HealthcheckPolicy(command,
            OrDefault(config.Interval, DefaultInterval), OrDefault(config.Timeout, DefaultTimeout), OrDefault(config.StartPeriod, TimeSpan.Zero),
            OrDefault(config.StartInterval, DefaultStartInterval), config.Retries > 0 ? config.Retries : DefaultRetries);
    }

    static TimeSpan OrDefault(long nanoseconds, TimeSpan fallback) => nanoseconds == 0 ? fallback : TimeSpan.FromTicks(nanoseconds / 100);

    /// <summary>
    /// How long to wait before the next probe (moby's getInterval): the interval, except inside the start period, where a
    /// container still starting is probed every start interval and the first probe after the period comes when it ends.
    /// </summary>
    public TimeSpan NextDelay(DateTimeOffset startedAt, DateTimeOffset now, string status)
    {
        var elapsed = now - startedAt;
        if (elapsed >= StartPeriod) return Interval;
        var remaining = StartPeriod - elapsed;
        if (remaining < Interval) return remaining;
        return status == HealthState.Starting ? StartInterval : Interval;
    }
}
