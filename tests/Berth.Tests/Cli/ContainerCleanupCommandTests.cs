using Berth.Tests.Support;

namespace Berth.Tests.Cli;

/// <summary>`container cleanup` is conmon's exit command; it may run after its store was deleted (a test's or a benchmark's).</summary>
public class ContainerCleanupCommandTests
{
    [Fact]
    public async Task Cleanup_for_a_store_that_is_gone_exits_quietly_and_makes_no_store()
    {
        using var dir = new TempDirectory();
        string gone = dir.Combine("deleted-store");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await Berth.Cli.BerthCli.RunAsync(["--root", gone, "container", "cleanup", new string('a', 64)], stdout, stderr);
        Assert.Equal(0, code);
        Assert.Equal("", stderr.ToString());
        Assert.False(Directory.Exists(gone), "the exit command must not make a store where there is none");
    }

    [Fact]
    public async Task Cleanup_of_an_unknown_container_in_an_existing_store_leaves_no_lock_file()
    {
        using var store = new TempStore();
        string id = new string('b', 64);
        var (code, _, stderr) = await store.CliAsync("container", "cleanup", id);
        Assert.True(code == 0, stderr);
        Assert.False(File.Exists(Path.Combine(store.Root, "locks", "container-" + id + ".lock")));
    }
}
