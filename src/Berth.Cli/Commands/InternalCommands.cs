using System.CommandLine;
using Berth.Engine.Containers.Ports;

namespace Berth.Cli.Commands;

/// <summary>Hidden verbs the engine runs as separate `berth` processes (not for users): `internal port-proxy`.</summary>
public static class InternalCommands
{
    public static Command Create()
    {
        var command = new Command("internal", "Berth's own helper processes") { Hidden = true };
        command.Add(PortProxy());
        command.Add(Containers.HealthcheckCommands.Tick());
        return command;
    }

    private static Command PortProxy()
    {
        var netns = new Option<string>("--netns") { Description = "Network namespace to forward into (/proc/PID/ns/net)", Required = true };
        var publish = new Option<string[]>("--publish") { Description = "HOSTIP:HOSTPORT:CONTAINERPORT/PROTO", Required = true };
        var pidFile = new Option<string>("--pid-file") { Description = "Written once every port is bound", Required = true };
        var exitWith = new Option<int?>("--exit-with") { Description = "Exit when this process is gone" };
        var command = new Command("port-proxy", "Forward published host ports into a container's network namespace")
        {
            netns, publish, pidFile, exitWith,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var bindings = (parse.GetValue(publish) ?? []).Select(PortBinding.Parse).ToList();
            return PortProxyProcess.ServeAsync(parse.GetValue(netns)!, bindings, parse.GetValue(pidFile)!, parse.GetValue(exitWith), cancellationToken);
        });
        return command;
    }
}
