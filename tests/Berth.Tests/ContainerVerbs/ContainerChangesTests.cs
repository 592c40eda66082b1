using Berth.Engine.Services.Images;
using Berth.Tests.Containers;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerVerbs;

/// <summary>`diff`, `commit` and `export` through the CLI, and running the committed image.</summary>
public class ContainerChangesTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Commit_makes_an_image_with_the_containers_changes_including_deletions()
    {
        const string Script = "echo new > /added.txt; rm /etc/group; echo mod >> /etc/passwd; mkdir /newdir; rm /bin/vi; touch /ready; exec sleep 1000";
        string id = (await bb.OkAsync("run", "-d", "--name", "chg", "--network", "none", "-e", "RUNENV=1", "bb", "sh", "-c", Script)).Trim();
        Assert.True(await TestContainer.WaitUntil(() => bb.CliAsync("diff", "chg").Result.Stdout.Contains("A /ready")));

        Assert.Equal("A /added.txt\nC /bin\nD /bin/vi\nC /etc\nD /etc/group\nC /etc/passwd\nA /newdir\nA /ready\n", await bb.OkAsync("diff", "chg"));

        string imageId = (await bb.OkAsync("commit", "-m", "my message", "-a", "Me <me@example.com>", "-c", "ENV COMMITTED=yes", "chg", "committed:v1")).Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", imageId);
        Assert.Equal("running", bb.Store.Engine.Containers.Get("chg").State.StatusText);

        var images = bb.Store.Engine.Images;
        Assert.Equal(imageId, images.Resolve("committed:v1").ToString());
        var config = await images.ReadConfigAsync(images.Resolve("committed:v1"));
        var parent = await images.ReadConfigAsync(images.Resolve("bb"));
        Assert.Equal("Me <me@example.com>", config.Author);
        Assert.Equal("my message", config.Comment);
        Assert.Equal(id, config.Container);
        Assert.Equal(parent.RootFs.DiffIds.Count + 1, config.RootFs.DiffIds.Count);
        var last = config.History![^1];
        Assert.Equal("sh -c " + Script, last.CreatedBy);
        Assert.Equal("my message", last.Comment);
        Assert.Equal("Me <me@example.com>", last.Author);
        Assert.Contains("COMMITTED=yes", config.Config!.Env!);
        Assert.Contains("RUNENV=1", config.Config.Env!);
        Assert.Equal(["sh", "-c", Script], config.Config.Cmd);

        var run = await bb.CliAsync("run", "--rm", "--network", "none", "committed:v1", "sh", "-c",
            "cat /added.txt; test -e /etc/group && echo group || echo nogroup; test -e /bin/vi && echo vi || echo novi; tail -n 1 /etc/passwd; echo $COMMITTED; test -d /newdir && echo dir");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("new\nnogroup\nnovi\nmod\nyes\ndir\n", run.Stdout);

        // Without a name: a dangling image; --pause=false leaves the container running untouched.
        string untagged = (await bb.OkAsync("commit", "--pause=false", "chg")).Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", untagged);
        Assert.Empty(bb.Store.Engine.Store.Metadata.TagsOf(Berth.Engine.Content.Digest.Parse(untagged)));

        using var dir = new TempDirectory();
        string tar = Path.Combine(dir.Path, "chg.tar");
        await bb.OkAsync("export", "-o", tar, "chg");
        var names = ProcessRunner.Check("tar", "-tf", tar).Split('\n');
        Assert.Contains("added.txt", names);
        Assert.Contains("bin/busybox", names);
        Assert.Contains("etc/passwd", names);
        Assert.DoesNotContain("etc/group", names);
        Assert.DoesNotContain("bin/vi", names);
        Assert.DoesNotContain(names, n => n.StartsWith("./", StringComparison.Ordinal) || n.StartsWith('/'));
    }

    [Fact]
    public async Task Rmi_of_a_repositorys_last_tag_also_untags_its_digests_and_deletes_the_image()
    {
        string id = (await bb.OkAsync("import", BusyboxRootfs.TarPath, "digtest:1")).Trim();
        var name = ImageNameParser.Parse("digtest:1");
        const string Digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        bb.Store.Engine.Store.Metadata.Write((c, t) => c.Execute(
            "INSERT INTO repo_digests (repository, digest, image_id) VALUES ($r, $d, $i)", t, ("$r", name.Repository), ("$d", Digest), ("$i", id)));
        var lines = (await bb.OkAsync("rmi", "digtest:1")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Untagged: digtest:1", lines[0]);
        Assert.Equal("Untagged: digtest@" + Digest, lines[1]);
        Assert.Equal("Deleted: " + id, lines[2]);
        Assert.Null(bb.Store.Engine.Images.TryResolve(id));
    }
}
