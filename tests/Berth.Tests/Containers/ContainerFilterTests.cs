namespace Berth.Tests.Containers;

/// <summary>`ps --filter`: every filter key Docker's daemon accepts, with its semantics and error messages.</summary>
public class ContainerFilterTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    /// <summary>
    /// Five containers, oldest first: f-base (exited 0, committed as "bbchild" with EXPOSE 9000), f-created (labels
    /// app=web and tier), f-exit3 (exited 3, volume fvol at /data), f-run (running bbchild, -p 18091:80, label app=db,
    /// network none), f-host (running bb, network host).
    /// </summary>
    async Task SetUpAsync()
    {
        if (bb.Store.Engine.Containers.TryGet("f-host") is not null) return;
        await bb.OkAsync("run", "--name", "f-base", "--network", "none", "bb", "true");
        await bb.OkAsync("commit", "-c", "EXPOSE 9000", "f-base", "bbchild");
        await bb.OkAsync("create", "--name", "f-created", "--label", "app=web", "--label", "tier", "bb", "true");
        var exit3 = await bb.CliAsync("run", "--name", "f-exit3", "-v", "fvol:/data", "--network", "none", "bb", "sh", "-c", "exit 3");
        Assert.Equal(3, exit3.ExitCode);
        await bb.OkAsync("run", "-d", "--name", "f-run", "--network", "none", "-p", "127.0.0.1:18091:80", "--label", "app=db", "bbchild", "sleep", "1000");
        await bb.OkAsync("run", "-d", "--name", "f-host", "--network", "host", "bb", "sleep", "1000");
    }

    async Task<string> Names(params string[] args)
    {
        await SetUpAsync();
        var output = await bb.OkAsync(["ps", "--format", "{{.Names}}", .. args]);
        return string.Join(' ', output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    // id: a unique ID prefix (or the whole ID); name: exact or an unanchored regular expression, with or without the "/".
    [InlineData("f-run", "--filter", "name=f-run")]
    [InlineData("f-host f-run", "--filter", "name=^f-[rh]")]
    [InlineData("f-exit3", "-a", "--filter", "name=^/f-exit")]
    [InlineData("f-host f-run", "--filter", "name=f-run", "--filter", "name=f-host")]
    [InlineData("", "--filter", "name=nosuch")]
    // label: key, or key=value; every label filter must hold.
    [InlineData("f-run f-created", "-a", "--filter", "label=app")]
    [InlineData("f-created", "-a", "--filter", "label=app=web")]
    [InlineData("f-created", "-a", "--filter", "label=tier")]
    [InlineData("f-run", "-a", "--filter", "label=app", "--filter", "label=app=db")]
    [InlineData("", "-a", "--filter", "label=app=web", "--filter", "label=app=db")]
    // exited: only containers that ran and stopped; it does not imply -a.
    [InlineData("f-exit3", "-a", "--filter", "exited=3")]
    [InlineData("f-exit3 f-base", "-a", "--filter", "exited=3", "--filter", "exited=0")]
    [InlineData("", "--filter", "exited=3")]
    // status implies -a.
    [InlineData("f-created", "--filter", "status=created")]
    [InlineData("f-exit3 f-base", "--filter", "status=exited")]
    [InlineData("f-host f-run", "--filter", "status=running")]
    [InlineData("", "--filter", "status=paused")]
    // ancestor: the image and every image built on it.
    [InlineData("f-host f-run", "--filter", "ancestor=bb")]
    [InlineData("f-run", "--filter", "ancestor=bbchild")]
    [InlineData("", "--filter", "ancestor=nosuchimage")]
    // before/since: containers created before/after the given one (name or ID).
    [InlineData("f-exit3 f-created f-base", "-a", "--filter", "before=f-run")]
    [InlineData("f-host f-run", "-a", "--filter", "since=f-exit3")]
    [InlineData("f-exit3 f-created", "-a", "--filter", "since=f-base", "--filter", "before=f-run")]
    // volume: by name or by mount point.
    [InlineData("f-exit3", "-a", "--filter", "volume=fvol")]
    [InlineData("f-exit3", "-a", "--filter", "volume=/data")]
    [InlineData("", "-a", "--filter", "volume=/nowhere")]
    // network: Docker's names (the default mode is "bridge").
    [InlineData("f-host", "--filter", "network=host")]
    [InlineData("f-run", "--filter", "network=none")]
    [InlineData("f-created", "-a", "--filter", "network=bridge")]
    // publish: the host port; expose: the container port or an exposed one. Ranges and protocols as Docker.
    [InlineData("f-run", "--filter", "publish=18091")]
    [InlineData("f-run", "--filter", "publish=18090-18095/tcp")]
    [InlineData("", "--filter", "publish=18091/udp")]
    [InlineData("", "--filter", "publish=80")]
    [InlineData("f-run", "--filter", "expose=80")]
    [InlineData("f-run", "--filter", "expose=9000/tcp")]
    [InlineData("", "--filter", "expose=18091")]
    // health: no healthcheck is "none"; is-task: no container is a swarm task; isolation: Linux has only "default".
    [InlineData("f-host f-run", "--filter", "health=none")]
    [InlineData("", "--filter", "health=healthy")]
    [InlineData("f-host f-run", "--filter", "is-task=false")]
    [InlineData("", "--filter", "is-task=true")]
    [InlineData("f-host f-run", "--filter", "isolation=default")]
    // -n/-l count after filtering and include stopped containers.
    [InlineData("f-exit3", "-n", "1", "--filter", "status=exited")]
    [InlineData("f-created", "-n", "1", "--filter", "label=app=web")]
    [InlineData("f-exit3", "-l", "--filter", "volume=fvol")]
    public async Task Filter_selects_what_docker_selects(string expected, params string[] args) =>
        Assert.Equal(expected, await Names(args));

    [Fact]
    public async Task Id_filter_takes_a_unique_prefix_or_the_whole_id()
    {
        await SetUpAsync();
        string id = bb.Store.Engine.Containers.Get("f-run").Id;
        Assert.Equal("f-run", await Names("--filter", "id=" + id[..6]));
        Assert.Equal("f-run", await Names("--filter", "id=" + id));
        Assert.Equal("f-run", await Names("--filter", "id=" + id[..10], "--filter", "name=f-"));
        Assert.Equal("", await Names("--filter", "id=" + id[..10], "--filter", "name=f-host"));
        Assert.Equal("", await Names("-a", "--filter", "id=zzzz"));
    }

    [Theory]
    [InlineData("Error: invalid filter 'foo'\n", "foo=bar")]
    [InlineData("Error: invalid filter 'status=bogus'\n", "status=bogus")]
    [InlineData("Error: invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax\n", "exited=x")]
    [InlineData("Error: Unrecognised filter value for health: bogus\n", "health=bogus")]
    [InlineData("Error: invalid filter 'is-task=maybe'\n", "is-task=maybe")]
    [InlineData("Error: filter for 'publish' should not contain ':': 8080:80\n", "publish=8080:80")]
    [InlineData("Error: error while looking up for expose abc: strconv.ParseUint: parsing \"abc\": invalid syntax\n", "expose=abc")]
    [InlineData("Error: No such container: nosuch\n", "before=nosuch")]
    [InlineData("Error: bad format of filter (expected name=value): status\n", "status")]
    public async Task Bad_filters_fail_with_dockers_message(string expected, string filter)
    {
        var result = await bb.CliAsync("ps", "--filter", filter);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(expected, result.Stderr);
        Assert.Equal("", result.Stdout);
    }
}
