using System.CommandLine;
using Berth.Engine;
using Berth.Engine.Containers.Attach;
using Berth.Engine.Services.Containers;

namespace Berth.Cli.Commands.Containers;

/// <summary>
/// `exec [-d] [-i] [-t] [-e] [--env-file] [-u] [-w] [--detach-keys] CONTAINER COMMAND...`. With -it the detach keys (Ctrl-P Ctrl-Q unless
/// --detach-keys) leave the process running; as Docker's exec (unlike run and start), berth then says "read escape
/// sequence" and exits 1. A command that cannot be run exits 126, as Docker's daemon sets for any failed exec start.
/// </summary>
public static class ContainerExec
{
    public static Command Create()
    {
        var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: run command in the background" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables" };
        var envFile = new Option<string[]>("--env-file") { Description = "Read in a file of environment variables" };
        var user = new Option<string?>("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
        var privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to the command" };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container" };
        var container = new Argument<string>("CONTAINER");
        var commandArgs = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("exec", "Execute a command in a running container") { detach, detachKeys, interactive, tty, env, envFile, user, workdir, privileged, container, commandArgs };
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
                EnvFiles = parse.GetValue(envFile) ?? [],
                User = parse.GetValue(user),
                WorkingDir = parse.GetValue(workdir),
                Privileged = parse.GetValue(privileged),
            };
            // Docker's daemon refuses bad keys when the exec is created, before anything runs (even with -d), in its own words.
            DetachKeys keys;
            try { keys = DetachKeys.Parse(parse.GetValue(detachKeys)); }
            catch (InvalidInputException)
            {
                context.Error.WriteLine($"Error: Invalid escape keys ({parse.GetValue(detachKeys)}) provided");
                return 1;
            }
            var console = new ConsoleStreams(context);
            if (!request.Detach && request.Interactive && request.Tty && console.UsesConsole && Console.IsInputRedirected)
            {
                // docker/cli's CheckTty, after its inspect (so a missing container is reported first).
                service.Get(parse.GetValue(container)!);
                context.Error.WriteLine("the input device is not a TTY");
                return 1;
            }
            try
            {
                if (request.Detach)
                {
                    await service.ExecAsync(parse.GetValue(container)!, request, null, ct);
                    return 0;
                }
                var streams = console.Attach(request.Interactive, request.Tty, keys);
                using var cancel = console.CancelOnDetach(ct);
                string name = parse.GetValue(container)!;
                if (request.Tty) request = request with { Size = console.Size(), SessionId = ContainerService.NewExecSessionId() };
                int? code;
                try
                {
                    using (console.RawTerminal(request.Tty && request.Interactive))
                    using (request.Tty ? console.ForwardResize(size => service.ResizeExecAsync(name, request.SessionId!, size)) : null)
                        code = await service.ExecAsync(name, request, streams, cancel.Token);
                }
                catch (OperationCanceledException) when (console.Detacher?.HasDetached == true)
                {
                    // The process keeps running; Docker's exec reports the detach as its error (term.EscapeError), status 1.
                    context.Error.WriteLine("read escape sequence");
                    return 1;
                }
                return code ?? 0;
            }
            catch (ContainerStartException e) when (request.Detach)
            {
                // Docker: the daemon's error response to the detached start, status 1.
                context.Error.WriteLine("Error: " + e.Message);
                return 1;
            }
            catch (ContainerStartException e)
            {
                // Docker: the daemon writes the failure into the attached stream (the client's stdout), the exec's status is 126.
                context.Out.WriteLine(e.Message);
                return e.ExitCode;
            }
        });
        return command;
    }
}
