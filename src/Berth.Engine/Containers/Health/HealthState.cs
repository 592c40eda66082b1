using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Engine.Containers.Health;

/// <summary>One probe's result as Docker's State.Health.Log keeps it.</summary>
public sealed record HealthLogEntry(DateTimeOffset Start, DateTimeOffset End, int ExitCode, string Output);

/// <summary>
/// Docker's State.Health: status, consecutive failures and the last results; <see cref="Apply"/> is moby's handleProbeResult.
/// </summary>
public sealed record HealthState(string Status, int FailingStreak, IReadOnlyList<HealthLogEntry> Log)
{
    public const string Starting = "starting";
    public const string Healthy = "healthy";
    public const string Unhealthy = "unhealthy";
    /// <summary>What `ps --filter health=` calls a container without a healthcheck state.</summary>
    public const string None = "none";

    /// <summary>The state a (re)started container begins in: starting, no failures, the previous results kept (as Docker does).</summary>
    public static HealthState Reset(HealthState? previous) => new(Starting, 0, previous?.Log ?? []);

    /// <summary>
    /// Records a result: success makes the container healthy and clears the streak; a failure counts toward the streak
    /// unless the container is still starting and the probe began inside the start period; <c>retries</c> consecutive
    /// failures make it unhealthy. Keeps the last <see cref="HealthcheckPolicy.MaxLogEntries"/> results.
    /// </summary>
    public HealthState Apply(HealthLogEntry result, DateTimeOffset startedAt, HealthcheckPolicy policy)
    {
        var log = Log.Append(result).TakeLast(HealthcheckPolicy.MaxLogEntries).ToList();
        if (result.ExitCode == 0) return new HealthState(Healthy, 0, log);
        if (Status == Starting && result.Start - startedAt < policy.StartPeriod) return this with { Log = log };
        int streak = FailingStreak + 1;
        return new HealthState(streak >= policy.Retries ? Unhealthy : Status, streak, log);
    }

    public string LogJson() => JsonSerializer.Serialize(Log.ToList(), HealthJsonContext.Default.ListHealthLogEntry);

    public static IReadOnlyList<HealthLogEntry> ParseLog(string json)
    {
        try { return JsonSerializer.Deserialize(json, HealthJsonContext.Default.ListHealthLogEntry) ?? []; }
        catch (JsonException) { return []; }
    }
}

/// <summary>Source-generated JSON for the stored health log.</summary>
[JsonSerializable(typeof(List<HealthLogEntry>))]
public sealed partial class HealthJsonContext : JsonSerializerContext;
