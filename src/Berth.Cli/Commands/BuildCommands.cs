using Berth.Engine.Dockerfile.Checks;
using System.CommandLine;
using Berth.Cli.Formatting;
using Berth.Cli.Output;
using Berth.Engine;
using Berth.Engine.Build;
using Berth.Engine.Images;
using Berth.Engine.Layers;

namespace Berth.Cli.Commands;

/// <summary>`build` (and `image build`), `builder prune`.</summary>
public static class BuildCommands
{
    public static IEnumerable<CommandFactory> Create() => [new("build", () => Build("build")), new("builder", Builder)];

    static Command Builder()
    {
        var builder = new Command("builder", "Manage builds");
        builder.Add(Prune());
        return builder;
    }

    /// <summary><c>--ssh default|ID[=SOCKET]</c>: the socket defaults to <c>$SSH_AUTH_SOCK</c>, as in Docker.</summary>
    static Dictionary<string, string> ParseSsh(IEnumerable<string> values)
    {
        var agents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            int eq = value.IndexOf('=');
            string id = eq < 0 ? value : value[..eq];
            string? socket = eq < 0 ? Environment.GetEnvironmentVariable("SSH_AUTH_SOCK") : value[(eq + 1)..];
            if (id.Length == 0) throw new InvalidInputException($"invalid --ssh {value}: an id is required");
            if (string.IsNullOrEmpty(socket)) throw new InvalidInputException($"invalid --ssh {value}: SSH_AUTH_SOCK is not set; give a socket: --ssh {id}=/path/to/agent.sock");
            if (socket.Contains(',')) throw new InvalidInputException($"invalid --ssh {value}: only one agent socket per id is supported");
            agents[id] = Path.GetFullPath(socket);
        }
        return agents;
    }

    public static Command Build(string name)
    {
        var tags = new Option<string[]>("--tag", "-t") { Description = "Name and optionally a tag in the 'name:tag' format" };
        var file = new Option<string?>("--file", "-f") { Description = "Name of the Dockerfile (default: 'PATH/Dockerfile'; '-' reads it from stdin)" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set build-time variables" };
        var target = new Option<string?>("--target") { Description = "Set the target build stage to build" };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use cache when building the image" };
        var labels = new Option<string[]>("--label") { Description = "Set metadata for an image" };
        var network = new Option<string>("--network") { Description = "Networking mode for the RUN instructions during build (host, none)", DefaultValueFactory = _ => "host" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the build output and print image ID on success" };
        var iidFile = new Option<string?>("--iidfile") { Description = "Write the image ID to the file" };
        var progress = new Option<string>("--progress") { Description = "Set type of progress output (auto, plain, tty)", DefaultValueFactory = _ => "auto" };
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable" };
        var explain = new Option<bool>("--explain-cache") { Description = "Show, for each step, whether the cache was used and, if not, which input changed" };
        var check = new Option<bool>("--check") { Description = "Check the build configuration instead of building (lint)" };
        var secrets = new Option<string[]>("--secret") { Description = "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\" or \"id=mysecret,env=VARIABLE\")" };
        var ssh = new Option<string[]>("--ssh") { Description = "SSH agent socket to expose to the build (format: \"default|<id>[=<socket>]\")" };
        var context = new Argument<string>("PATH | URL | -");
        var command = new Command(name, "Build an image from a Dockerfile")
            { tags, file, buildArgs, target, noCache, labels, network, quiet, iidFile, progress, platform, explain, check, secrets, ssh, context };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var ctx = new CommandContext(parse);
            string contextArg = parse.GetValue(context)!;
            string? dockerfile = parse.GetValue(file);
            var options = new BuildOptions
            {
                Tags = parse.GetValue(tags) ?? [],
                BuildArgs = ParseBuildArgs(parse.GetValue(buildArgs) ?? []),
                Target = parse.GetValue(target),
                NoCache = parse.GetValue(noCache),
                Labels = ParsePairs(parse.GetValue(labels) ?? [], "--label"),
                Network = parse.GetValue(network) switch
                {
                    "host" or "default" => Berth.Engine.Runtime.NetworkMode.Host,
                    "none" => Berth.Engine.Runtime.NetworkMode.None,
                    var other => throw new InvalidInputException($"network mode \"{other}\" not supported: use host or none"),
                },
                Platform = parse.GetValue(platform) is { } p ? Platform.Parse(p) : null,
                ExplainCache = parse.GetValue(explain),
                Check = parse.GetValue(check),
                Secrets = (parse.GetValue(secrets) ?? []).Select(BuildSecret.Parse).GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.Last().Secret),
                SshAgents = ParseSsh(parse.GetValue(ssh) ?? []),
            };
            options = options with { SourceDateEpoch = SourceDateEpoch(options.BuildArgs) };
            if (options.Check)
            {
                if (contextArg == "-" || dockerfile == "-") throw new InvalidInputException("build --check needs a context directory and a Dockerfile file, not stdin");
                // Base images in the local store give the checks their ENV (PATH, ...), so UndefinedVar knows what FROM defines.
                var lintOptions = new LintOptions
                {
                    BaseImageEnv = image => ctx.Engine.Images.TryResolve(image) is { } id
                        ? ctx.Engine.Images.ReadConfigAsync(id, cancellationToken).GetAwaiter().GetResult().Config?.Env
                        : null,
                };
                return await CheckCommand.RunCheckAsync(Path.GetFullPath(contextArg), dockerfile, options.BuildArgs, ctx.Out, ctx.Error, lintOptions);
            }

            string? tempStdin = null;
            Stream? contextTar = null;
            try
            {
                if (contextArg == "-")
                {
                    if (dockerfile == "-") throw new InvalidInputException("invalid argument: can't use stdin for both build context and dockerfile");
                    tempStdin = Path.Combine(Path.GetTempPath(), "berth-build-stdin-" + Guid.NewGuid().ToString("N"));
                    await using (var input = Console.OpenStandardInput())
                    await using (var copy = File.Create(tempStdin))
                        await input.CopyToAsync(copy, cancellationToken);
                    if (await LayerStreams.IsTarArchiveAsync(tempStdin, cancellationToken))
                    {
                        contextTar = File.OpenRead(tempStdin);
                        options = options with { ContextTar = contextTar, DockerfilePath = dockerfile };
                    }
                    else options = options with { DockerfileText = await File.ReadAllTextAsync(tempStdin, cancellationToken) };
                }
                else
                {
                    if (contextArg.Contains("://", StringComparison.Ordinal)) throw new InvalidInputException("building from a URL context is not supported yet");
                    options = options with { ContextDirectory = Path.GetFullPath(contextArg) };
                    if (dockerfile == "-")
                        options = options with { DockerfileText = await Console.In.ReadToEndAsync(cancellationToken) };
                    else if (dockerfile is not null)
                        options = options with { DockerfilePath = File.Exists(dockerfile) ? Path.GetFullPath(dockerfile) : dockerfile };
                }

                bool isQuiet = parse.GetValue(quiet);
                string mode = parse.GetValue(progress) ?? "auto";
                if (mode is not ("auto" or "plain" or "tty")) throw new InvalidInputException($"invalid --progress value \"{mode}\": use auto, plain or tty");
                bool tty = !isQuiet && (mode == "tty" || mode == "auto" && ReferenceEquals(ctx.Out, Console.Out) && !Console.IsOutputRedirected);

                BuildResult result;
                try
                {
                    if (tty) result = await LiveBuildView.RunAsync(p => ctx.Engine.Builder.BuildAsync(options, p, cancellationToken), options.ExplainCache);
                    else
                    {
                        IBuildProgress printer = isQuiet ? NullBuildProgress.Instance : new PlainBuildProgress(ctx.Out);
                        result = await ctx.Engine.Builder.BuildAsync(options, printer, cancellationToken);
                    }
                }
                catch (BuildStepFailedException e) when (isQuiet || tty)
                {
                    foreach (var line in e.LastOutput) ctx.Error.WriteLine(line);
                    throw;
                }

                if (parse.GetValue(iidFile) is { } iid) await File.WriteAllTextAsync(iid, result.ImageId.ToString(), cancellationToken);
                if (isQuiet) ctx.Out.WriteLine(result.ImageId.ToString());
                else
                {
                    ctx.Out.WriteLine($"Successfully built {result.ImageId.Short}");
                    foreach (var tag in result.Tags) ctx.Out.WriteLine($"Successfully tagged {tag}");
                }
                return 0;
            }
            finally
            {
                contextTar?.Dispose();
                if (tempStdin is not null) File.Delete(tempStdin);
            }
        });
        return command;
    }

    /// <summary>SOURCE_DATE_EPOCH from the environment or a build arg, as BuildKit reads it.</summary>
    static long? SourceDateEpoch(IReadOnlyDictionary<string, string> buildArgs)
    {
        string? text = buildArgs.TryGetValue("SOURCE_DATE_EPOCH", out var arg) ? arg : Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (string.IsNullOrEmpty(text)) return null;
        return long.TryParse(text, out long epoch) && epoch >= 0 ? epoch : throw new InvalidInputException($"invalid SOURCE_DATE_EPOCH: {text}");
    }

    /// <summary>`--build-arg K=V`, or `--build-arg K` taking K from the environment (skipped when unset), as Docker does.</summary>
    static Dictionary<string, string> ParseBuildArgs(IEnumerable<string> values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            int eq = value.IndexOf('=');
            if (eq < 0)
            {
                if (Environment.GetEnvironmentVariable(value) is { } env) result[value] = env;
                continue;
            }
            if (eq == 0) throw new InvalidInputException($"invalid argument \"{value}\" for \"--build-arg\" flag: invalid key");
            result[value[..eq]] = value[(eq + 1)..];
        }
        return result;
    }

    static Dictionary<string, string> ParsePairs(IEnumerable<string> values, string flag)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            int eq = value.IndexOf('=');
            if (eq == 0) throw new InvalidInputException($"invalid argument \"{value}\" for \"{flag}\" flag: invalid key");
            if (eq < 0) result[value] = "";
            else result[value[..eq]] = value[(eq + 1)..];
        }
        return result;
    }

    static Command Prune()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused build cache, not just dangling ones" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be removed, remove nothing" };
        var command = new Command("prune", "Remove build cache") { all, force, dryRun };
        command.SetAction(parse =>
        {
            var ctx = new CommandContext(parse);
            bool everything = parse.GetValue(all);
            bool dry = parse.GetValue(dryRun);
            if (!dry && !parse.GetValue(force))
            {
                ctx.Out.Write(everything
                    ? "WARNING! This will remove all build cache. Are you sure you want to continue? [y/N] "
                    : "WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] ");
                ctx.Out.Flush();
                string? answer = Console.In.ReadLine();
                if (answer is null || !answer.Trim().Equals("y", StringComparison.OrdinalIgnoreCase)) return 0;
            }
            var result = ctx.Engine.Builder.Prune(everything, dry);
            PruneOutput.Write(ctx.Out, dry ? "Would delete build cache objects:" : "Deleted build cache objects:", result.Deleted, result.ReclaimedBytes, dry);
            return 0;
        });
        return command;
    }
}
