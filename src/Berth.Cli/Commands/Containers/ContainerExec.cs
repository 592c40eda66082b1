using System.CommandLine;
using Berth.Engine;
using Berth.Engine.Services.Containers;

namespace Berth.Cli.Commands.Containers;

/// <summary>`exec [-d] [-i] [-t] [-e] [-u] [-w] CONTAINER COMMAND...`.</summary>
public static class ContainerExec
{
    public static Command Create()
    {
        var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: run command in the background" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables" };
        var user = new Option<string?>("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
        var privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to the command" };
        var container = new Argument<string>("CONTAINER");
        var commandArgs = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("exec", "Execute a command in a running container") { detach, interactive, tty, env, user, workdir, privileged, container, commandArgs };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            var service = context.Engine.Containers;
            var request = new ContainerExecRequest
            {
                Command = parse.GetValue(commandArgs)!,
                Detach = parse.GetValue(detach),
                Interactive = parse.GetValue(interactive),
                Tty = parse.GetValue(tty),
                Env = parse.GetValue(env) ?? [],
                User = parse.GetValue(user),
                WorkingDir = parse.GetValue(workdir),
                Privileged = parse.GetValue(privileged),
            };
            var console = new ConsoleStreams(context);
            try
            {
                if (request.Detach)
                {
                    await service.ExecAsync(parse.GetValue(container)!, request, null, ct);
                    return 0;
                }
                int? code;
                using (console.RawTerminal(request.Tty && request.Interactive))
                    code = await service.ExecAsync(parse.GetValue(container)!, request, console.Attach(request.Interactive, request.Tty), ct);
                return code ?? 0;
            }
            catch (ContainerStartException e)
            {
                context.Error.WriteLine("Error: " + e.Message);
                return e.ExitCode;
            }
        });
        return command;
    }
}
