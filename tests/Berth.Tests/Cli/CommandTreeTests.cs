using Berth.Cli;

namespace Berth.Tests.Cli;

public class CommandTreeTests
{
    [Fact]
    public void Every_factory_makes_the_command_it_is_named_for_and_names_are_unique()
    {
        var factories = BerthCli.Commands();
        Assert.Equal(factories.Count, factories.Select(f => f.Name).Distinct(StringComparer.Ordinal).Count());
        foreach (var factory in factories) Assert.Equal(factory.Name, factory.Make().Name);
    }

    [Fact]
    public void A_line_naming_a_command_gets_a_root_with_that_command_only()
    {
        var root = BerthCli.Build(["--root", "/tmp/x", "run", "--rm", "busybox", "true"]);
        Assert.Equal(["run"], root.Subcommands.Select(c => c.Name));
        Assert.Equal(["images"], BerthCli.Build(["--root=/tmp/x", "images"]).Subcommands.Select(c => c.Name));
    }

    [Theory]
    [InlineData("run --rm busybox true", true)]
    [InlineData("--root /tmp/x image ls", true)]
    [InlineData("[suggest] run", false)]
    [InlineData("no-such-command", false)]
    [InlineData("--help", false)]
    [InlineData("run --help", false)]
    [InlineData("run bb -- ls -h", true)]
    public void A_line_naming_a_known_command_is_parsed_first_without_the_roots_help(string line, bool plain)
    {
        var root = BerthCli.BuildPlain(line.Split(' '));
        Assert.Equal(plain, root is not null);
        if (root is not null) Assert.Equal([line.Split(' ').First(w => !w.StartsWith('-') && w != "/tmp/x")], root.Subcommands.Select(c => c.Name));
    }

    [Theory]
    [InlineData("run --help", "Usage:")]
    [InlineData("image ls -h", "Usage:")]
    [InlineData("run", "Required argument 'IMAGE' missing for command: 'run'.")]
    [InlineData("ps --last x", "Cannot parse argument 'x'")]
    public async Task Help_and_errors_print_what_the_whole_root_prints(string line, string expected)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        await BerthCli.RunAsync(line.Split(' '), stdout, stderr);
        Assert.Contains(expected, stdout.ToString() + stderr.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("--help")]
    [InlineData("--root /tmp/x -h")]
    [InlineData("no-such-command")]
    public void A_line_naming_no_known_command_gets_the_whole_tree(string line)
    {
        var names = BerthCli.Build(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Subcommands.Select(c => c.Name).ToList();
        Assert.Equal(BerthCli.Commands().Select(f => f.Name), names);
    }

    [Fact]
    public void Groups_hold_the_subcommands_other_classes_make()
    {
        var root = BerthCli.Build();
        var image = root.Subcommands.Single(c => c.Name == "image").Subcommands.Select(c => c.Name).ToList();
        Assert.Equal(["ls", "tag", "rm", "history", "inspect", "import", "save", "load", "pull", "push", "prune"], image);
        var system = root.Subcommands.Single(c => c.Name == "system").Subcommands.Select(c => c.Name).ToList();
        Assert.Equal(["df", "check", "prune"], system);
    }

    [Fact]
    public async Task An_unknown_command_is_still_reported_by_the_parser()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await BerthCli.RunAsync(["no-such-command"], stdout, stderr);
        Assert.NotEqual(0, code);
        Assert.Contains("no-such-command", stderr.ToString());
    }
}
