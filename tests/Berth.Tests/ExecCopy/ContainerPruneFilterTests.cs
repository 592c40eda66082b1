using Berth.Tests.Containers;

namespace Berth.Tests.ExecCopy;

/// <summary>`container prune --filter`: until= and label=/label!= as Docker's daemon takes them for containers.</summary>
public class ContainerPruneFilterTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Container_prune_removes_only_the_stopped_containers_its_filters_match()
    {
        string keep = (await bb.OkAsync("create", "--name", "prune-keep", "--network", "none", "--label", "keep=yes", "bb", "true")).Trim();
        string labelled = (await bb.OkAsync("create", "--name", "prune-label", "--network", "none", "--label", "tier=tmp", "bb", "true")).Trim();
        string plain = (await bb.OkAsync("create", "--name", "prune-plain", "--network", "none", "bb", "true")).Trim();
        string running = (await bb.OkAsync("run", "-d", "--name", "prune-running", "--network", "none", "--label", "tier=tmp", "bb", "sleep", "1000")).Trim();

        var byLabel = await bb.OkAsync("container", "prune", "-f", "--filter", "label=tier=tmp");
        Assert.StartsWith($"Deleted Containers:\n{labelled}\n\nTotal reclaimed space: ", byLabel);
        Assert.True(bb.Store.Engine.Containers.Get(running).IsRunning);

        // Nothing was created before an hour ago; then everything stopped without keep=yes.
        Assert.Equal("Total reclaimed space: 0B\n", await bb.OkAsync("container", "prune", "-f", "--filter", "until=1h"));
        var negated = await bb.OkAsync("container", "prune", "-f", "--filter", "label!=keep=yes", "--filter", "until=" + DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        Assert.StartsWith($"Deleted Containers:\n{plain}\n\n", negated);
        Assert.NotNull(bb.Store.Engine.Containers.TryGet(keep));

        var dangling = await bb.CliAsync("container", "prune", "-f", "--filter", "dangling=true");
        Assert.Equal(1, dangling.ExitCode);
        Assert.Equal("Error: invalid filter 'dangling'\n", dangling.Stderr);
        var unknown = await bb.CliAsync("container", "prune", "-f", "--filter", "name=x");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("Error: invalid filter 'name'\n", unknown.Stderr);
        Assert.NotNull(bb.Store.Engine.Containers.TryGet(keep));
        await bb.CliAsync("rm", "-f", running, keep);
    }
}
