using System.Globalization;
using Berth.Engine.Containers.Health;
using Berth.Engine.Metadata;
using Berth.Engine.Processes;
using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    /// <summary>Schedules each running container's probes; a detached shell per container unless replaced (tests).</summary>
    public IHealthcheckTimer HealthcheckTimer { get; set; } = new HealthcheckTimerProcess();

    /// <summary>The hidden CLI verb a timer runs for each probe: `berth internal health-tick ID STARTED-TICKS`.</summary>
    public static readonly string[] HealthTickWords = ["internal", "health-tick"];

    /// <summary>The healthcheck a container runs, or null (none, NONE, or an unknown type).</summary>
    public static HealthcheckPolicy? HealthcheckOf(ContainerRecord container) =>
        HealthcheckPolicy.From(container.Settings.Config.Healthcheck, container.Settings.Config.Shell);

    /// <summary>Docker's State.Health of a container: null when it never started with a healthcheck.</summary>
    public HealthState? HealthOf(string id) => _store.Metadata.GetHealth(id) is { } row ? ToHealthState(row) : null;

    static HealthState ToHealthState(HealthRow row) => new(row.Status, row.FailingStreak, HealthState.ParseLog(row.LogJson));

    /// <summary>
    /// Called once a container runs: its health becomes "starting" (earlier results kept, as Docker does) and its timer
    /// starts, first probe after the interval (or when the start period ends). Nothing for a container without a healthcheck.
    /// </summary>
    async Task StartHealthcheckAsync(ContainerRecord container, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        if (HealthcheckOf(container) is not { } policy) return;
        _store.Metadata.UpdateHealth(container.Id, (current, _) =>
            new HealthRow(container.Id, HealthState.Starting, 0, current?.LogJson ?? "[]", startedAt));
        var berth = BerthExecutable.Current;
        IReadOnlyList<string> tick = [berth.FileName, .. berth.Arguments(["--root", _store.Root, .. HealthTickWords, container.Id,
            startedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)])];
        await HealthcheckTimer.StartAsync(container.Id, ContainerDirectory(container.Id), policy.NextDelay(startedAt, DateTimeOffset.UtcNow, HealthState.Starting),
            policy.Interval, tick, cancellationToken).ConfigureAwait(false);
        Diagnostics.PhaseTimer.Mark("start: healthcheck timer started");
    }

    /// <summary>Stops a container's healthcheck timer (stop, rm, the exit cleanup); its health state stays as it was.</summary>
    Task StopHealthcheckAsync(string id) => HealthcheckTimer.StopAsync(id, ContainerDirectory(id));

    /// <summary>
    /// One tick of a container's timer: unless it is paused, probes it once and records the result; returns the delay until
    /// the next tick, or null when the timer should end (the container is gone, stopped, or was started again since
    /// <paramref name="startedTicks"/>, its StartedAt when the timer began).
    /// </summary>
    public async Task<TimeSpan?> HealthTickAsync(string id, long startedTicks, CancellationToken cancellationToken = default)
    {
        if (TryGet(id) is not { IsRunning: true } container || container.State.StartedAt is not { } started || started.UtcTicks != startedTicks)
            return null;
        if (HealthcheckOf(container) is not { } policy) return null;
        string status = HealthOf(id)?.Status ?? HealthState.Starting;
        // A paused container is not probed (Docker stops its monitor while paused).
        if (container.State.Status != ContainerStatus.Paused)
        {
            var result = await ProbeAsync(container, policy, cancellationToken).ConfigureAwait(false);
            // A probe that failed because the container just exited is not a result (its exit file tells, before the row does).
            if (TryGet(id) is not { IsRunning: true }) return null;
            if (Record(container, policy, result) is not { } state) return null;
            status = state.Status;
        }
        return policy.NextDelay(started, DateTimeOffset.UtcNow, status);
    }

    /// <summary>`healthcheck run`: probes a running container now and records the result as a timer's probe would.</summary>
    public async Task<(HealthLogEntry Result, HealthState State)> RunHealthcheckAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        var policy = HealthcheckOf(container) ?? throw new ConflictException($"container {container.Id} has no defined healthcheck");
        if (container.State.Status == ContainerStatus.Paused) throw new ConflictException($"Container {container.Id} is paused, unpause the container before exec");
        if (!container.IsRunning) throw new ConflictException($"container {container.Id} is not running");
        var result = await ProbeAsync(container, policy, cancellationToken).ConfigureAwait(false);
        var state = Record(container, policy, result)
            ?? throw new ConflictException($"container {container.Id} is not running");
        return (result, state);
    }

    /// <summary>Runs the probe through the runtime's exec with the container's own process settings (user, env, working directory).</summary>
    Task<HealthLogEntry> ProbeAsync(ContainerRecord container, HealthcheckPolicy policy, CancellationToken cancellationToken)
    {
        string bundle = ContainerDirectory(container.Id);
        var process = OciSpecBuilder.BuildExecProcess(OciBundle.Read(bundle), policy.Command);
        return HealthProbe.RunAsync(RuntimeOf(container), container.Id, process, policy.Timeout, bundle, cancellationToken);
    }

    /// <summary>Applies a result in one short transaction; null (nothing written) when the container no longer runs the start the probe was for.</summary>
    HealthState? Record(ContainerRecord container, HealthcheckPolicy policy, HealthLogEntry result)
    {
        var started = container.State.StartedAt;
        HealthState? next = null;
        _store.Metadata.UpdateHealth(container.Id, (current, row) =>
        {
            if (row is null || !row.State.IsRunning || row.State.StartedAt != started || started is null) return null;
            var state = current is null ? HealthState.Reset(null) : ToHealthState(current);
            next = state.Apply(result, started.Value, policy);
            return new HealthRow(container.Id, next.Status, next.FailingStreak, next.LogJson(), started);
        });
        return next;
    }

    /// <summary>State.Health as Docker's inspect prints it: {Status, FailingStreak, Log: [{Start, End, ExitCode, Output}]}.</summary>
    public static System.Text.Json.Nodes.JsonObject HealthJson(HealthState health) => new()
    {
        ["Status"] = health.Status,
        ["FailingStreak"] = health.FailingStreak,
        ["Log"] = new System.Text.Json.Nodes.JsonArray(health.Log.Select(e => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
        {
            ["Start"] = FormatTime(e.Start),
            ["End"] = FormatTime(e.End),
            ["ExitCode"] = e.ExitCode,
            ["Output"] = e.Output,
        }).ToArray()),
    };
}
