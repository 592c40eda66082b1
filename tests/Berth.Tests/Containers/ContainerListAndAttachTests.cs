using System.Text;
using Berth.Engine.Runtime;
using Berth.Engine.Services.Containers;
using Berth.Tests.Runtime;

namespace Berth.Tests.Containers;

/// <summary>ps options, attach and stdin, run -d --rm removed by conmon's exit command.</summary>
public class ContainerListAndAttachTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Ps_options_latest_last_size_no_trunc_and_filters()
    {
        string first = (await bb.OkAsync("create", "--name", "first", "--label", "tier=web", "--network", "none", "bb", "true")).Trim();
        Assert.Equal(2, (await bb.CliAsync("run", "--name", "second", "--network", "none", "bb", "sh", "-c", "echo 12345 > /file; exit 2")).ExitCode);
        string second = bb.Store.Engine.Containers.Get("second").Id;
        Assert.Equal("", await bb.OkAsync("ps", "-q"));
        Assert.Equal("second\n", await bb.OkAsync("ps", "-l", "--format", "{{.Names}}"));
        Assert.Equal("second\nfirst\n", await bb.OkAsync("ps", "-n", "2", "--format", "{{.Names}}"));
        Assert.Equal(first + "\n", await bb.OkAsync("ps", "-a", "-q", "--no-trunc", "--filter", "label=tier=web"));
        Assert.Equal("second\n", await bb.OkAsync("ps", "-a", "--filter", "exited=2", "--format", "{{.Names}}"));
        Assert.Equal("first\n", await bb.OkAsync("ps", "-a", "--filter", "status=created", "--format", "{{.Names}}"));
        Assert.Equal("first\nsecond\n", string.Concat((await bb.OkAsync("ps", "-a", "--filter", "ancestor=bb", "--format", "{{.Names}}")).Split('\n').Order().Select(l => l.Length > 0 ? l + "\n" : "")));
        var sized = (await bb.OkAsync("ps", "-a", "-s", "--filter", "name=second")).Split('\n');
        Assert.EndsWith("SIZE", sized[0]);
        Assert.Matches(@"\d+B \(virtual \d+(\.\d+)?MB\)$", sized[1]);
        Assert.Matches("^\"sh -c echo 12345 > /file; exit 2\"$", (await bb.OkAsync("ps", "-a", "--no-trunc", "--filter", "name=second", "--format", "{{.Command}}")).Trim());
        Assert.Equal("second\n", await bb.OkAsync("container", "ls", "-a", "--filter", "id=" + second[..10], "--format", "{{.Names}}"));
        // Rows hold only the fields a format shows; json and templates over the whole row get every one, in Docker's order.
        Assert.Equal("tier=web|none|Created|0\n", await bb.OkAsync("ps", "-a", "--filter", "name=first", "--format", "{{.Labels}}|{{.Networks}}|{{.State | title}}|{{.LocalVolumes}}"));
        using (var json = System.Text.Json.JsonDocument.Parse(await bb.OkAsync("ps", "-a", "--filter", "name=first", "--format", "json")))
            Assert.Equal("Command,CreatedAt,ID,Image,Labels,LocalVolumes,Mounts,Names,Networks,Ports,RunningFor,Size,State,Status",
                string.Join(',', json.RootElement.EnumerateObject().Select(p => p.Name)));
        Assert.Contains("Names:first", await bb.OkAsync("ps", "-a", "--filter", "name=first", "--format", "{{printf \"%v\" .}}"));
        await bb.OkAsync("rm", "first", "second");
    }

    [Fact]
    public async Task Stdin_reaches_an_attached_container_and_attach_follows_a_running_one()
    {
        var service = bb.Store.Engine.Containers;
        var container = await service.CreateAsync(new ContainerCreateRequest { Image = "bb", Command = ["sh", "-c", "cat; echo done"], Interactive = true, Network = "none" });
        var stdout = new MemoryStream();
        int code = await service.StartAttachedAsync(container.Id, new AttachStreams(new MemoryStream("ping\n"u8.ToArray()), stdout, new MemoryStream()));
        Assert.Equal(0, code);
        Assert.Equal("ping\ndone\n", Encoding.UTF8.GetString(stdout.ToArray()));

        string id = (await bb.OkAsync("run", "-d", "--network", "none", "bb", "sh", "-c", "sleep 0.5; echo late; exit 6")).Trim();
        var attached = await bb.CliAsync("attach", id);
        Assert.Equal(6, attached.ExitCode);
        Assert.Equal("late\n", attached.Stdout);
        await service.RemoveAsync(container.Id);
        await service.RemoveAsync(id);
    }

    [Fact]
    public async Task Run_d_rm_is_removed_by_the_exit_command_when_it_ends()
    {
        string id = (await bb.OkAsync("run", "-d", "--rm", "--network", "none", "bb", "sh", "-c", "sleep 0.3")).Trim();
        Assert.True(await TestContainer.WaitUntil(() => bb.Store.Engine.Containers.TryGet(id) is null, 30_000), "conmon's exit command should remove the container");
        Assert.False(Directory.Exists(bb.Store.Engine.Containers.ContainerDirectory(id)));
        Assert.False(RootfsMount.IsMounted(bb.Store.Engine.Containers.RootfsPath(id)));
    }

    [Fact]
    public async Task Exec_with_a_terminal_and_inspect_of_an_unknown_object()
    {
        string id = (await bb.OkAsync("run", "-d", "-t", "--network", "none", "bb", "sleep", "1000")).Trim();
        var exec = await bb.CliAsync("exec", "-t", id, "tty");
        Assert.Equal(0, exec.ExitCode);
        Assert.StartsWith("/dev/pts/", exec.Stdout);
        var missing = await bb.CliAsync("inspect", "nosuchthing");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("[]\n", missing.Stdout);
        Assert.Equal("Error: No such object: nosuchthing\n", missing.Stderr);
        Assert.Equal("[bb:latest]\n", await bb.OkAsync("inspect", "--type", "image", "-f", "{{.RepoTags}}", "bb"));
        await bb.OkAsync("rm", "-f", id);
    }
}

/// <summary>A published port answers through the port proxy into the container's own network namespace.</summary>
public class ContainerPortTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task A_published_port_answers_on_loopback_and_stops_with_the_container()
    {
        string id = (await bb.OkAsync("run", "-d", "-p", "80", "bb", "sh", "-c",
            "mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 80 -h /www")).Trim();
        string mapping = (await bb.OkAsync("port", id, "80")).Trim();
        Assert.StartsWith("127.0.0.1:", mapping);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string body = "";
        Assert.True(await TestContainer.WaitUntil(() =>
        {
            try { body = http.GetStringAsync("http://" + mapping + "/").Result; return true; }
            catch (AggregateException) { return false; }
        }, 20_000), "the published port should answer");
        Assert.Equal("hello-from-httpd\n", body);
        await bb.OkAsync("rm", "-f", id);
        Assert.False(File.Exists(Path.Combine(bb.Store.Engine.Containers.ContainerDirectory(id), "port-proxy.pid")));
    }
}
