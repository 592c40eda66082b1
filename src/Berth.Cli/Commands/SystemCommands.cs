using System.CommandLine;
using System.Reflection;

namespace Berth.Cli.Commands;

/// <summary>`version` and (later) `system` verbs.</summary>
public static class SystemCommands
{
    public static Command Version()
    {
        var command = new Command("version", "Show the Berth version information");
        command.SetAction(parse =>
        {
            var version = typeof(SystemCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine("Client: Berth");
            o.WriteLine($" Version:           {version.Split('+')[0]}");
            o.WriteLine($" OS/Arch:           linux/{Berth.Engine.Images.Platform.Host.Architecture}");
            o.WriteLine($" Runtime:           .NET {Environment.Version}");
            return 0;
        });
        return command;
    }
}
