using System.Globalization;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// Docker's restart policies without a daemon: conmon's exit command (`berth container cleanup`) decides, when a
/// container's process has ended, whether to start it again, and waits Docker's back-off first. Nothing restarts
/// containers after the host reboots (there is no daemon to start them), as with Podman without systemd units.
/// </summary>
public static class RestartPolicies
{
    /// <summary>`--restart no|always|unless-stopped|on-failure[:max-retries]` (docker/cli ParseRestartPolicy, then the daemon's checks).</summary>
    public static ContainerRestartPolicy Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return ContainerRestartPolicy.None;
        int colon = value.IndexOf(':');
        string name = colon < 0 ? value : value[..colon];
        string count = colon < 0 ? "" : value[(colon + 1)..];
        if (colon == 0) throw new InvalidInputException("invalid restart policy format: no policy provided before colon");
        int retries = 0;
        if (count.Length > 0 && !int.TryParse(count, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out retries))
            throw new InvalidInputException("invalid restart policy format: maximum retry count must be an integer");
        switch (name)
        {
            case "no" or "always" or "unless-stopped":
                if (retries != 0)
                    throw new InvalidInputException("invalid restart policy: maximum retry count can only be used with 'on-failure'" + (retries < 0 ? " and cannot be negative" : ""));
                break;
            case "on-failure":
                if (retries < 0) throw new InvalidInputException("invalid restart policy: maximum retry count cannot be negative");
                break;
            default:
                throw new InvalidInputException($"invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
        }
        return new ContainerRestartPolicy(name, retries);
    }

    /// <summary>
    /// Whether a container that ended with <paramref name="exitCode"/>, after <paramref name="restartCount"/> restarts,
    /// starts again: never once stopped or killed by a user; always/unless-stopped otherwise (the two differ only when a
    /// daemon restarts); on-failure for a non-zero exit while under its maximum.
    /// </summary>
    public static bool ShouldRestart(ContainerRestartPolicy policy, int exitCode, int restartCount, bool stoppedByUser) =>
        !stoppedByUser && policy.Name switch
        {
            "always" or "unless-stopped" => true,
            "on-failure" => exitCode != 0 && (policy.MaximumRetryCount == 0 || restartCount < policy.MaximumRetryCount),
            _ => false,
        };

    static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100), LongestDelay = TimeSpan.FromMinutes(1), LongRun = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Docker's back-off before a restart: 100 ms, doubled for each restart in a row of runs shorter than 10 s, at most a
    /// minute; back to 100 ms after a run of 10 s or more.
    /// </summary>
    public static TimeSpan Delay(int restartCount, TimeSpan lastRun)
    {
        if (lastRun >= LongRun) return FirstDelay;
        double ms = FirstDelay.TotalMilliseconds * Math.Pow(2, Math.Min(restartCount, 20));
        return TimeSpan.FromMilliseconds(Math.Min(ms, LongestDelay.TotalMilliseconds));
    }
}
