using System.CommandLine;
using Berth.Cli.Commands;
using Berth.Engine;

namespace Berth.Cli;

/// <summary>Builds the `berth` command tree and runs it; turns engine errors into one line on stderr and an exit code.</summary>
public static class BerthCli
{
    public static readonly Option<string?> RootOption = new("--root")
    {
        Description = "Store root (default /var/lib/berth, or $BERTH_ROOT)",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("Berth: a daemonless, Docker-compatible container engine") { RootOption };
        foreach (var command in ImageCommands.Create()) root.Add(command);
        foreach (var command in BuildCommands.Create()) root.Add(command);
        foreach (var command in Commands.Containers.ContainerCommands.Create()) root.Add(command);
        RegistryCommands.AddTo(root);
        root.Add(SystemCommands.Version());
        root.Add(InternalCommands.Create());
        root.Add(Commands.Containers.HealthcheckCommands.Create());
        root.Add(VolumeCommands.Create());
        MaintenanceCommands.AddTo(root);
        SystemPruneCommand.AddTo(root);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var error = stderr ?? Console.Error;
        Engine.Diagnostics.PhaseTimer.Mark("main");
        var root = Build();
        Engine.Diagnostics.PhaseTimer.Mark("command tree built");
        var parse = root.Parse(Commands.Containers.CommandLineSplitter.Split(args), new ParserConfiguration { EnablePosixBundling = true });
        Engine.Diagnostics.PhaseTimer.Mark("parsed");
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (BerthException e)
        {
            await error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("Error: cancelled").ConfigureAwait(false);
            return 130;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return 1;
        }
    }
}
