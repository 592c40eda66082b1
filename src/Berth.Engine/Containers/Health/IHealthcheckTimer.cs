namespace Berth.Engine.Containers.Health;

/// <summary>What schedules one container's probes while it runs (Podman uses a systemd timer; Berth a small detached process).</summary>
public interface IHealthcheckTimer
{
    /// <summary>
    /// Starts the timer of a container: after <paramref name="firstDelay"/>, and then after each delay the tick prints, it runs
    /// <paramref name="tick"/> (a `berth` command line that probes once); it ends when a tick exits with <see cref="StopExitCode"/>.
    /// A timer the container already had is stopped first.
    /// </summary>
    /// <param name="fallbackDelay">The delay used after a tick that failed without saying why (three in a row end the timer).</param>
    Task StartAsync(string containerId, string containerDirectory, TimeSpan firstDelay, TimeSpan fallbackDelay, IReadOnlyList<string> tick,
        CancellationToken cancellationToken = default);

    /// <summary>Stops the container's timer and any probe it is running; true when one was running.</summary>
    Task<bool> StopAsync(string containerId, string containerDirectory);

    /// <summary>The pid of the container's running timer, or null.</summary>
    int? RunningPid(string containerId, string containerDirectory);
}

/// <summary>Exit codes of a healthcheck tick.</summary>
public static class HealthcheckTick
{
    /// <summary>The container no longer runs (or runs a newer start with a timer of its own): the timer ends.</summary>
    public const int StopExitCode = 3;
}
