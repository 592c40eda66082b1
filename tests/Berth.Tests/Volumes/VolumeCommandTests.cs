using Berth.Tests.Support;

namespace Berth.Tests.Volumes;

public class VolumeCommandTests
{
    [Fact]
    public async Task Create_ls_inspect_and_rm_print_what_docker_prints()
    {
        using var store = new TempStore();
        var (code, stdout, stderr) = await store.CliAsync("volume", "create", "--label", "team=core", "vol10");
        Assert.True(code == 0, stderr);
        Assert.Equal("vol10\n", stdout);
        await store.CliAsync("volume", "create", "vol2");

        (code, stdout, _) = await store.CliAsync("volume", "ls");
        Assert.Equal("DRIVER    VOLUME NAME\nlocal     vol2\nlocal     vol10\n", stdout);
        (_, stdout, _) = await store.CliAsync("volume", "ls", "-q", "--filter", "label=team");
        Assert.Equal("vol10\n", stdout);
        (_, stdout, _) = await store.CliAsync("volume", "ls", "-q", "--filter", "name=2", "--filter", "dangling=true");
        Assert.Equal("vol2\n", stdout);
        (_, stdout, _) = await store.CliAsync("volume", "ls", "--format", "{{.Name}} {{.Labels}} {{.Scope}}");
        Assert.Equal("vol2  local\nvol10 team=core local\n", stdout);

        (code, stdout, _) = await store.CliAsync("volume", "inspect", "vol10");
        Assert.Equal(0, code);
        Assert.Matches("""
            ^\[
                \{
                    "CreatedAt": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)",
                    "Driver": "local",
                    "Labels": \{
                        "team": "core"
                    \},
                    "Mountpoint": ".*/volumes/vol10/_data",
                    "Name": "vol10",
                    "Options": \{\},
                    "Scope": "local"
                \}
            \]
            $
            """.Replace("\r", ""), stdout);
        (_, stdout, _) = await store.CliAsync("volume", "inspect", "-f", "{{.Name}}:{{.Driver}}", "vol2");
        Assert.Equal("vol2:local\n", stdout);

        (code, stdout, stderr) = await store.CliAsync("volume", "inspect", "nope");
        Assert.Equal(1, code);
        Assert.Equal("[]\n", stdout);
        Assert.Equal("Error: No such volume: nope\n", stderr);

        (code, stdout, stderr) = await store.CliAsync("volume", "rm", "vol2", "nope", "vol10");
        Assert.Equal(1, code);
        Assert.Equal("vol2\nvol10\n", stdout);
        Assert.Equal("Error: get nope: no such volume\n", stderr);
        (_, stdout, _) = await store.CliAsync("volume", "ls", "-q");
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Create_without_a_name_prints_a_64_hex_name()
    {
        using var store = new TempStore();
        var (code, stdout, _) = await store.CliAsync("volume", "create");
        Assert.Equal(0, code);
        Assert.Matches("^[0-9a-f]{64}\n$", stdout);
    }

    [Fact]
    public async Task Prune_without_force_refuses_when_stdin_is_not_a_terminal()
    {
        using var store = new TempStore();
        await store.CliAsync("volume", "create");
        Assert.True(Console.IsInputRedirected, "the test host's stdin must be redirected for this test to mean anything");
        var (code, stdout, stderr) = await store.CliAsync("volume", "prune");
        Assert.NotEqual(0, code);
        Assert.Equal("", stdout);
        Assert.Contains("use --force", stderr);
        Assert.Single(store.Engine.Volumes.List());
    }

    [Fact]
    public async Task Prune_prints_deleted_volumes_and_the_reclaimed_space()
    {
        using var store = new TempStore();
        var anon = store.Engine.Volumes.Create(null);
        File.WriteAllBytes(Path.Combine(anon.Mountpoint, "f"), new byte[1_200_000]);
        store.Engine.Volumes.Create("named");

        var (code, stdout, _) = await store.CliAsync("volume", "prune", "--dry-run");
        Assert.Equal(0, code);
        Assert.Equal($"Would delete volumes:\n{anon.Name}\n\nTotal reclaimable space: 1.2MB\n", stdout);

        (code, stdout, _) = await store.CliAsync("volume", "prune", "-f");
        Assert.Equal(0, code);
        Assert.Equal($"Deleted Volumes:\n{anon.Name}\n\nTotal reclaimed space: 1.2MB\n", stdout);

        (_, stdout, _) = await store.CliAsync("volume", "prune", "-f");
        Assert.Equal("Total reclaimed space: 0B\n", stdout);

        (_, stdout, _) = await store.CliAsync("volume", "prune", "-f", "-a");
        Assert.Equal("Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n", stdout);
    }

    [Fact]
    public async Task Invalid_filters_and_names_are_one_line_errors()
    {
        using var store = new TempStore();
        var (code, _, stderr) = await store.CliAsync("volume", "ls", "--filter", "colour=red");
        Assert.NotEqual(0, code);
        Assert.Equal("Error: invalid filter 'colour'\n", stderr);
        (code, _, stderr) = await store.CliAsync("volume", "create", "a/b");
        Assert.NotEqual(0, code);
        Assert.StartsWith("Error: create a/b: \"a/b\" includes invalid characters for a local volume name", stderr);
    }
}
