using System.CommandLine;
using Berth.Engine;
using Berth.Engine.Containers.Copy;

namespace Berth.Cli.Commands.Containers;

/// <summary>`cp`, `diff`, `export` and `commit`: a container's files.</summary>
public static class ContainerFileCommands
{
    public static IEnumerable<CommandFactory> Create() => [new("cp", Copy), new("diff", Diff), new("export", Export), new("commit", Commit)];

    static Command Copy()
    {
        var archive = new Option<bool>("--archive", "-a") { Description = "Archive mode (copy all uid/gid information)" };
        var follow = new Option<bool>("--follow-link", "-L") { Description = "Always follow symbol link in SRC_PATH" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress progress output during copy" };
        var source = new Argument<string>("SRC_PATH");
        var destination = new Argument<string>("DEST_PATH");
        var command = new Command("cp",
            "Copy files/folders between a container and the local filesystem\n\n" +
            "Use '-' as the source to read a tar archive from stdin and extract it to a directory destination in a container.\n" +
            "Use '-' as the destination to stream a tar archive of a container source to stdout.")
            { archive, follow, quiet, source, destination };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            string src = parse.GetValue(source)!, dst = parse.GetValue(destination)!;
            var (srcContainer, srcPath) = Split(src);
            var (dstContainer, dstPath) = Split(dst);
            if (srcContainer is null && dstContainer is null) throw new InvalidInputException("must specify at least one container source");
            if (srcContainer is not null && dstContainer is not null) throw new InvalidInputException("copying between containers is not supported");
            if (srcPath.Length == 0) throw new InvalidInputException("source can not be empty");
            if (dstPath.Length == 0) throw new InvalidInputException("destination can not be empty");
            var options = new CopyOptions { Archive = parse.GetValue(archive), FollowLink = parse.GetValue(follow) };
            var service = context.Engine.Containers;
            if (srcContainer is not null)
            {
                if (dstPath == "-")
                {
                    await using var stdout = new ConsoleStreams(context).Stdout;
                    await service.ArchiveFromContainerAsync(srcContainer, srcPath, stdout, options, ct);
                    await stdout.FlushAsync(ct);
                }
                else await service.CopyFromContainerAsync(srcContainer, srcPath, dstPath, options, ct);
            }
            else if (srcPath == "-")
            {
                await using var stdin = Console.OpenStandardInput();
                await service.ExtractToContainerAsync(dstContainer!, stdin, dstPath, options, ct);
            }
            else await service.CopyToContainerAsync(dstContainer!, srcPath, dstPath, options, ct);
            return 0;
        });
        return command;
    }

    /// <summary>docker/cli splitCpArg: "CONTAINER:PATH", unless the argument is an absolute path or starts with '.' before the colon.</summary>
    internal static (string? Container, string Path) Split(string arg)
    {
        if (arg.StartsWith('/')) return (null, arg);
        int colon = arg.IndexOf(':');
        if (colon < 0 || arg.StartsWith('.')) return (null, arg);
        return (arg[..colon], arg[(colon + 1)..]);
    }

    static Command Diff()
    {
        var container = new Argument<string>("CONTAINER");
        var command = new Command("diff", "Inspect changes to files or directories on a container's filesystem") { container };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            foreach (var change in await context.Engine.Containers.DiffAsync(parse.GetValue(container)!, ct))
                context.Out.WriteLine(change.ToString());
            return 0;
        });
        return command;
    }

    static Command Export()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
        var container = new Argument<string>("CONTAINER");
        var command = new Command("export", "Export a container's filesystem as a tar archive") { output, container };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            var console = new ConsoleStreams(context);
            string? path = parse.GetValue(output);
            if (path is null && console.UsesConsole && !Console.IsOutputRedirected)
                throw new InvalidInputException("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            var service = context.Engine.Containers;
            string name = parse.GetValue(container)!;
            service.Get(name);
            await using var stream = path is null ? console.Stdout : new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await service.ExportAsync(name, stream, ct);
            await stream.FlushAsync(ct);
            return 0;
        });
        return command;
    }

    static Command Commit()
    {
        var author = new Option<string?>("--author", "-a") { Description = "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")" };
        var change = new Option<string[]>("--change", "-c") { Description = "Apply Dockerfile instruction to the created image" };
        var message = new Option<string?>("--message", "-m") { Description = "Commit message" };
        var pause = new Option<bool>("--pause", "-p") { Description = "Pause container during commit", DefaultValueFactory = _ => true, Arity = ArgumentArity.ZeroOrOne };
        var container = new Argument<string>("CONTAINER");
        var reference = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("commit", "Create a new image from a container's changes") { author, change, message, pause, container, reference };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse);
            var id = await context.Engine.Containers.CommitAsync(parse.GetValue(container)!, new Berth.Engine.Services.Containers.CommitRequest
            {
                Reference = parse.GetValue(reference),
                Author = parse.GetValue(author),
                Message = parse.GetValue(message),
                Changes = parse.GetValue(change) ?? [],
                Pause = parse.GetValue(pause),
            }, ct);
            context.Out.WriteLine(id.ToString());
            return 0;
        });
        return command;
    }
}
