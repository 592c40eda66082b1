using Berth.Tests.Registry;
using Berth.Tests.RegistryService;
using Berth.Tests.Support;

namespace Berth.Tests.Build;

/// <summary>`build` joined to the other features: FROM pulls a missing base from a registry, `--check` runs the build checks.</summary>
public class BuildWiringTests(PlainRegistryFixture fixture) : IClassFixture<PlainRegistryFixture>
{
    [Fact]
    public async Task From_an_image_missing_locally_pulls_it_from_its_registry()
    {
        using var store = new TempStore();
        string baseName = $"{fixture.Registry.Host}/wiring/busybox:1";
        var baseId = await RegistryTestImages.ImportBusyboxAsync(store, baseName);
        Assert.Equal(0, (await store.CliAsync("push", "-q", baseName)).ExitCode);
        Assert.Equal(0, (await store.CliAsync("rmi", "-f", baseId.ToString())).ExitCode);
        Assert.Null(store.Engine.Images.TryResolve(baseName));

        using var context = new TempDirectory();
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM {baseName}\nRUN echo built > /built\n");
        var build = await store.CliAsync("build", "-q", "--network", "none", "-t", "wired:1", context.Path);

        Assert.True(build.ExitCode == 0, build.Stderr);
        Assert.Equal(baseId, store.Engine.Images.TryResolve(baseName));
        Assert.NotNull(store.Engine.Images.TryResolve("wired:1"));
    }

    [Fact]
    public async Task A_base_that_cannot_be_pulled_names_the_image_and_the_pull_error()
    {
        using var store = new TempStore();
        using var context = new TempDirectory();
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM {fixture.Registry.Host}/wiring/absent:1\n");

        var build = await store.CliAsync("build", "-q", context.Path);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"Dockerfile:1: FROM {fixture.Registry.Host}/wiring/absent:1: No such image", build.Stderr);
        Assert.Contains("pull failed", build.Stderr);
    }

    [Fact]
    public async Task Build_check_prints_warnings_with_lines_and_exits_zero_without_building()
    {
        using var store = new TempStore();
        using var context = new TempDirectory();
        File.WriteAllText(context.Combine("Dockerfile"), "FROM scratch as Base\nMAINTAINER me\nCMD echo hi\n");

        var check = await store.CliAsync("build", "--check", context.Path);

        Assert.True(check.ExitCode == 0, check.Stderr);
        Assert.Contains("FromAsCasing", check.Stdout);
        Assert.Contains("StageNameCasing", check.Stdout);
        Assert.Contains("MaintainerDeprecated", check.Stdout);
        Assert.Contains("JSONArgsRecommended", check.Stdout);
        Assert.Contains("Dockerfile:3", check.Stdout);
        Assert.Empty(store.Engine.Images.ListAll());
    }

    [Fact]
    public async Task Build_check_of_a_broken_Dockerfile_fails_with_its_line()
    {
        using var store = new TempStore();
        using var context = new TempDirectory();
        File.WriteAllText(context.Combine("Dockerfile"), "FROM scratch\nRUNN echo\n");

        var check = await store.CliAsync("build", "--check", context.Path);

        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains("Dockerfile:2", check.Stderr);
        Assert.Contains("unknown instruction", check.Stderr);
    }
}
