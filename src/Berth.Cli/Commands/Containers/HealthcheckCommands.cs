using System.CommandLine;
using System.Globalization;
using Berth.Engine;
using Berth.Engine.Containers.Health;
using Berth.Engine.Services.Containers;

namespace Berth.Cli.Commands.Containers;

/// <summary>`healthcheck run` (Podman's verb) and the hidden `internal health-tick` a container's healthcheck timer runs.</summary>
public static class HealthcheckCommands
{
    public static Command Create()
    {
        var command = new Command("healthcheck", "Manage health checks on containers");
        command.Add(Run());
        return command;
    }

    /// <summary>`healthcheck run CONTAINER`: one probe now, recorded like a scheduled one; exit 0 when it passed, 1 (and "unhealthy") when not, 125 on an error.</summary>
    static Command Run()
    {
        var container = new Argument<string>("CONTAINER");
        var command = new Command("run", "Run the health check of a container now") { container };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            HealthLogEntry result;
            try
            {
                (result, _) = await context.Engine.Containers.RunHealthcheckAsync(parse.GetValue(container)!, cancellationToken).ConfigureAwait(false);
            }
            catch (BerthException e)
            {
                // Exit 1 means "unhealthy" here, so errors exit 125 (as Podman's do).
                await context.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
                return 125;
            }
            if (result.ExitCode == 0) return 0;
            await context.Out.WriteLineAsync(HealthState.Unhealthy).ConfigureAwait(false);
            return 1;
        });
        return command;
    }

    /// <summary>
    /// `internal health-tick ID STARTED-TICKS`: probes once and prints the seconds until the next tick; exits with
    /// <see cref="HealthcheckTick.StopExitCode"/> when the container no longer runs that start.
    /// </summary>
    public static Command Tick()
    {
        var id = new Argument<string>("ID");
        var started = new Argument<long>("STARTED-TICKS");
        var command = new Command(ContainerService.HealthTickWords[1], "Probe a container's health once (run by its healthcheck timer)") { id, started };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            var next = await context.Engine.Containers.HealthTickAsync(parse.GetValue(id)!, parse.GetValue(started), cancellationToken).ConfigureAwait(false);
            if (next is not { } delay) return HealthcheckTick.StopExitCode;
            await context.Out.WriteLineAsync(Math.Max(0, delay.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
