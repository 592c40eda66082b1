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

    /// <summary>Every command of the root, in the order help lists them.</summary>
    public static IReadOnlyList<CommandFactory> Commands() =>
    [
        .. ImageCommands.Create(), .. BuildCommands.Create(), .. Berth.Cli.Commands.Containers.ContainerCommands.Create(), .. RegistryCommands.Create(),
        new("version", SystemCommands.Version), new("internal", InternalCommands.Create),
        new("healthcheck", Berth.Cli.Commands.Containers.HealthcheckCommands.Create), new("volume", VolumeCommands.Create),
        new("system", MaintenanceCommands.System),
    ];

    /// <summary>The whole command tree.</summary>
    public static RootCommand Build() => Build(null);

    /// <summary>
    /// The tree for <paramref name="args"/>: the root with only the command they name, or with all of them when they name
    /// none (root help, completion) or one that is not known (so the parser reports it as it would).
    /// </summary>
    public static RootCommand Build(IReadOnlyList<string>? args)
    {
        var root = new RootCommand(Description) { RootOption };
        var all = Commands();
        var invoked = Invoked(args, all);
        foreach (var factory in invoked is null ? all : [invoked]) root.Add(factory.Make());
        return root;
    }

    /// <summary>
    /// What a line naming a known command is parsed with first: a plain command named berth holding only that command,
    /// without the root's help and version options and directives. Making those (the root's executable name and its
    /// localized option descriptions) is the first use of reflection in the process, ~1.5 ms of a `run --rm` here; a line
    /// that needs them (asks for help, or has any error to report) is parsed again with <see cref="Build(IReadOnlyList{string})"/>,
    /// so what it prints is the same. Null when the line names no known command.
    /// </summary>
    internal static Command? BuildPlain(IReadOnlyList<string> args)
    {
        if (args.Count > 0 && args[0].StartsWith('[')) return null; // a directive
        foreach (string arg in args)
        {
            if (arg == "--") break;
            if (HelpTokens.Contains(arg)) return null;
        }
        var invoked = Invoked(args, Commands());
        return invoked is null ? null : new Command("berth", Description) { RootOption, invoked.Make() };
    }

    const string Description = "Berth: a daemonless, Docker-compatible container engine";

    /// <summary>The root's help option's names (run's -h is its --hostname, parsed by the whole root as before).</summary>
    static readonly HashSet<string> HelpTokens = new(StringComparer.Ordinal) { "-h", "--help", "-?", "/?", "/h", "--version" };

    static CommandFactory? Invoked(IReadOnlyList<string>? args, IReadOnlyList<CommandFactory> all)
    {
        string? name = args is null ? null : InvokedCommand(args);
        return name is null ? null : all.FirstOrDefault(c => c.Name == name);
    }

    /// <summary>The first word of the line that is neither an option nor --root's value; null when another option comes first.</summary>
    internal static string? InvokedCommand(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == RootOption.Name) { i++; continue; }
            if (arg.StartsWith(RootOption.Name + "=", StringComparison.Ordinal)) continue;
            return arg.StartsWith('-') ? null : arg;
        }
        return null;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var error = stderr ?? Console.Error;
        Engine.Diagnostics.PhaseTimer.Mark("main");
        var line = Berth.Cli.Commands.Containers.CommandLineSplitter.Split(args);
        var configuration = new ParserConfiguration { EnablePosixBundling = true };
        var plain = BuildPlain(line);
        Engine.Diagnostics.PhaseTimer.Mark("command tree built");
        var parse = plain?.Parse(line, configuration);
        if (parse is null || parse.Errors.Count > 0) parse = Build(line).Parse(line, configuration);
        Engine.Diagnostics.PhaseTimer.Mark("parsed");
        try
        {
            int code = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
            Engine.Diagnostics.PhaseTimer.Mark("command done");
            return code;
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
