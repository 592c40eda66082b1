using System.CommandLine;
using System.Text;
using Berth.Cli.Output;
using Berth.Engine;
using Berth.Engine.Images;
using Berth.Engine.References;
using Berth.Engine.Services.Registry;

namespace Berth.Cli.Commands;

/// <summary>pull, push, login, logout (and `image pull`/`image push`).</summary>
public static class RegistryCommands
{
    public static IEnumerable<CommandFactory> Create() =>
        [new("pull", () => Pull("pull")), new("push", () => Push("push")), new("login", Login), new("logout", Logout)];

    /// <summary>The `image pull` and `image push` forms, for the `image` command group.</summary>
    public static IEnumerable<Command> ImageSubcommands()
    {
        yield return Pull("pull");
        yield return Push("push");
    }

    static Command Pull(string name)
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
        var allTags = new Option<bool>("--all-tags", "-a") { Description = "Download all tagged images in the repository" };
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable (os/arch[/variant])" };
        var image = new Argument<string>("NAME[:TAG|@DIGEST]");
        var command = new Command(name, "Download an image from a registry") { quiet, allTags, platform, image };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            string reference = parse.GetValue(image)!;
            bool all = parse.GetValue(allTags), silent = parse.GetValue(quiet);
            var wanted = parse.GetValue(platform) is { Length: > 0 } p ? Platform.Parse(p) : null;
            var named = ReferenceParser.ParseNormalizedNamed(reference);
            if (!silent && !all && named.Tag is null && named.Digest is null)
                context.Out.WriteLine("Using default tag: latest");
            PullResult result;
            if (silent)
            {
                result = await context.Engine.Registry.PullAsync(reference, wanted, all, null, cancellationToken);
            }
            else
            {
                var display = TransferDisplay.For(context.Out);
                result = await display.RunAsync(progress => context.Engine.Registry.PullAsync(reference, wanted, all, progress, cancellationToken));
                context.Out.WriteLine(result.StatusLine);
            }
            context.Out.WriteLine(result.Reference.ToString());
            return 0;
        });
        return command;
    }

    static Command Push(string name)
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
        var allTags = new Option<bool>("--all-tags", "-a") { Description = "Push all tagged images in the repository" };
        var image = new Argument<string>("NAME[:TAG]");
        var command = new Command(name, "Upload an image to a registry") { quiet, allTags, image };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            string reference = parse.GetValue(image)!;
            bool all = parse.GetValue(allTags), silent = parse.GetValue(quiet);
            var targets = context.Engine.Registry.PushTargets(reference, all);
            var named = ReferenceParser.ParseNormalizedNamed(reference);
            if (silent)
            {
                await context.Engine.Registry.PushAsync(reference, all, null, cancellationToken);
                context.Out.WriteLine(named.ToString());
                return 0;
            }
            if (!all && named.Tag is null) context.Out.WriteLine("Using default tag: latest");
            context.Out.WriteLine($"The push refers to repository [{targets[0].Name}]");
            // Each tag's "TAG: digest: … size: N" line arrives as a progress event, after that tag's layers.
            await TransferDisplay.For(context.Out).RunAsync(progress => context.Engine.Registry.PushAsync(reference, all, progress, cancellationToken));
            return 0;
        });
        return command;
    }

    static Command Login()
    {
        var username = new Option<string?>("--username", "-u") { Description = "Username" };
        var password = new Option<string?>("--password", "-p") { Description = "Password" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Take the password from stdin" };
        var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("login", "Log in to a registry") { username, password, passwordStdin, server };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            string? user = parse.GetValue(username), secret = parse.GetValue(password);
            bool fromStdin = parse.GetValue(passwordStdin);
            if (secret is not null)
            {
                context.Error.WriteLine("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
                if (fromStdin) throw new InvalidInputException("--password and --password-stdin are mutually exclusive");
            }
            if (fromStdin)
            {
                if (string.IsNullOrEmpty(user)) throw new InvalidInputException("Must provide --username with --password-stdin");
                secret = (await Console.In.ReadToEndAsync(cancellationToken)).TrimEnd('\n', '\r');
            }
            if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(secret))
            {
                if (Console.IsInputRedirected || !ReferenceEquals(context.Out, Console.Out))
                    throw new InvalidInputException("Cannot perform an interactive login from a non TTY device");
                if (string.IsNullOrEmpty(user))
                {
                    context.Out.Write("Username: ");
                    user = Console.ReadLine()?.Trim();
                }
                if (string.IsNullOrEmpty(secret))
                {
                    context.Out.Write("Password: ");
                    secret = ReadHidden();
                    context.Out.WriteLine();
                }
            }
            var result = await context.Engine.Registry.LoginAsync(parse.GetValue(server), user ?? "", secret ?? "", cancellationToken);
            if (!result.StoredInHelper)
            {
                context.Out.WriteLine($"WARNING! Your password will be stored unencrypted in {result.ConfigPath}.");
                context.Out.WriteLine("Configure a credential helper to remove this warning. See");
                context.Out.WriteLine("https://docs.docker.com/engine/reference/commandline/login/#credentials-store");
                context.Out.WriteLine();
            }
            context.Out.WriteLine("Login Succeeded");
            return 0;
        });
        return command;
    }

    static string ReadHidden()
    {
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) return text.ToString();
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
            else if (key.KeyChar != '\0') text.Append(key.KeyChar);
        }
    }

    static Command Logout()
    {
        var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("logout", "Log out from a registry") { server };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            var result = context.Engine.Registry.Logout(parse.GetValue(server));
            context.Out.WriteLine(result.WasLoggedIn ? $"Removing login credentials for {result.Server}" : $"Not logged in to {result.Server}");
            return 0;
        });
        return command;
    }
}
