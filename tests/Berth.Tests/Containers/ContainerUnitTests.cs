using Berth.Cli.Commands.Containers;
using Berth.Engine;
using Berth.Engine.Containers.Ports;
using Berth.Engine.Content;
using Berth.Engine.Services.Containers;

namespace Berth.Tests.Containers;

public class ContainerUnitTests
{
    [Theory]
    [InlineData(new[] { "run", "--rm", "bb", "sh", "-c", "exit 3" }, new[] { "run", "--rm", "bb", "--", "sh", "-c", "exit 3" })]
    [InlineData(new[] { "--root", "/x", "run", "-it", "-e", "A=1", "bb", "ls", "-l" }, new[] { "--root", "/x", "run", "-it", "-e", "A=1", "bb", "--", "ls", "-l" })]
    [InlineData(new[] { "container", "exec", "-u", "app", "c1", "id", "-u" }, new[] { "container", "exec", "-u", "app", "c1", "--", "id", "-u" })]
    [InlineData(new[] { "run", "-dp8080:80", "bb" }, new[] { "run", "-dp8080:80", "bb", "--" })]
    [InlineData(new[] { "ps", "-a" }, new[] { "ps", "-a" })]
    public void Words_after_the_image_belong_to_the_container_command(string[] input, string[] expected) =>
        Assert.Equal(expected, CommandLineSplitter.Split(input));

    [Fact]
    public void The_splitter_knows_every_run_option_that_takes_a_value()
    {
        var options = typeof(RunOptions).GetFields().Select(f => f.GetValue(new RunOptions())).OfType<System.CommandLine.Option>()
            .Where(o => o.ValueType != typeof(bool)).ToList();
        Assert.True(options.Count >= 35, $"only {options.Count} value options found on RunOptions");
        var missing = options.SelectMany(o => o.Aliases.Append(o.Name)).Where(n => !CommandLineSplitter.RunOptionsTakingValues.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "not known to CommandLineSplitter: " + string.Join(", ", missing));
    }

    [Fact]
    public void Port_specs_default_to_loopback_and_expand_ranges()
    {
        static IReadOnlyList<PortBinding> Publish(string spec) => PortAllocator.Allocate(PortMapping.Parse(spec));
        Assert.Equal([new PortBinding("127.0.0.1", 8080, 80, "tcp")], Publish("8080:80"));
        Assert.Equal([new PortBinding("0.0.0.0", 53, 53, "udp")], Publish("0.0.0.0:53:53/udp"));
        Assert.Equal([new PortBinding("127.0.0.1", 9000, 90, "tcp"), new PortBinding("127.0.0.1", 9001, 91, "tcp")], Publish("9000-9001:90-91"));
        var free = Assert.Single(Publish("80"));
        Assert.True(free.HostPort > 0);
        Assert.Throws<InvalidInputException>(() => Publish("x:80"));
    }

    [Fact]
    public void Memory_sizes_and_names_follow_docker()
    {
        Assert.Equal(64L << 20, RunFlagParsers.MemoryBytes("64m"));
        Assert.Equal(1L << 30, RunFlagParsers.MemoryBytes("1g"));
        Assert.Throws<InvalidInputException>(() => RunFlagParsers.MemoryBytes("1x"));
        Assert.Equal(1_500_000_000, RunFlagParsers.NanoCpus("1.5"));
        Assert.Matches("^[a-z]+_[a-z]+$", ContainerNames.Random());
        Assert.Equal("web", ContainerNames.Validate("/web"));
        var e = Assert.Throws<InvalidInputException>(() => ContainerNames.Validate("-x"));
        Assert.Equal("Invalid container name (-x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", e.Message);
    }

    [Fact]
    public async Task Run_help_says_outbound_networking_is_not_available_yet()
    {
        var output = new StringWriter();
        Assert.Equal(0, await Berth.Cli.BerthCli.RunAsync(["run", "--help"], output, output));
        Assert.Contains("outbound networking in the default mode is not available yet", output.ToString().ReplaceLineEndings(" ").Replace("  ", " "));
    }

    [Fact]
    public async Task A_layer_a_container_uses_is_never_freed_even_when_its_image_row_goes()
    {
        Runtime.TestContainer.RequireTools();
        using var store = new Support.TempStore();
        var (code, stdout, stderr) = await store.CliAsync("import", Support.BusyboxRootfs.TarPath, "bb");
        Assert.True(code == 0, stderr);
        var imageId = Digest.Parse(stdout.Trim());
        var container = await store.Engine.Containers.CreateAsync(new ContainerCreateRequest { Image = "bb", Command = ["true"], Network = "none" });
        var layers = store.Engine.Store.Metadata.ImageLayers(imageId);
        var freed = store.Engine.Store.Metadata.Write((c, t) => store.Engine.Store.Metadata.DeleteImage(imageId, c, t));
        Assert.Empty(freed);
        Assert.All(layers, l => Assert.True(store.Engine.Store.Metadata.HasLayer(l.ChainId)));
        await store.Engine.Containers.RemoveAsync(container.Id);
    }

    [Fact]
    public void Scoped_paths_never_leave_the_root()
    {
        using var dir = new Support.TempDirectory();
        string root = dir.Combine("root");
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.CreateSymbolicLink(Path.Combine(root, "etc", "passwd"), "/etc/shadow");
        File.CreateSymbolicLink(Path.Combine(root, "up"), "../../../..");
        Assert.Equal(Path.Combine(root, "etc/shadow"), Berth.Engine.Containers.RootfsPath.Resolve(root, "/etc/passwd"));
        Assert.Equal(Path.Combine(root, "etc"), Berth.Engine.Containers.RootfsPath.Resolve(root, "/up/etc"));
        Assert.Equal(root, Berth.Engine.Containers.RootfsPath.Resolve(root, "/../.."));
    }
}
