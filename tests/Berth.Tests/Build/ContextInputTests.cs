using System.Formats.Tar;
using Berth.Engine.Build;

namespace Berth.Tests.Build;

public class ContextInputTests
{
    [Fact]
    public async Task A_tar_context_from_a_stream_is_unpacked_for_the_build_and_removed_after()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("Dockerfile", "FROM busybox\nCOPY data.txt /data.txt\n");
        f.Write("data.txt", "from tar\n");
        var tarStream = new MemoryStream();
        await TarFile.CreateFromDirectoryAsync(f.Context, tarStream, includeBaseDirectory: false);
        tarStream.Position = 0;
        var (result, _) = await f.BuildAsync(new BuildOptions { ContextTar = tarStream });
        Assert.Equal("from tar\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -1)["data.txt"]));
        Assert.Empty(f.Leftovers());
    }

    [Fact]
    public async Task A_dockerfile_without_context_builds_but_cannot_copy()
    {
        using var f = await BuildFixture.CreateAsync();
        var (result, _) = await f.BuildAsync(new BuildOptions { DockerfileText = "FROM busybox\nRUN echo ok > /ok\n" });
        Assert.Contains("ok", f.LayerEntries(result.ImageId, -1).Keys);
        var e = await Assert.ThrowsAsync<BuildException>(() => f.BuildAsync(new BuildOptions { DockerfileText = "FROM busybox\nCOPY x /x\n" }));
        Assert.Contains("no build context", e.Message);
    }

    [Fact]
    public async Task Copy_exclude_leaves_matching_files_out()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("app/main.sh", "m");
        f.Write("app/test/spec.sh", "t");
        f.Write("app/notes.md", "n");
        f.Dockerfile("FROM busybox\nCOPY --exclude=test --exclude=*.md app /app\n");
        var (result, _) = await f.BuildAsync();
        Assert.Equal(["app/", "app/main.sh"], f.LayerEntries(result.ImageId, -1).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_dockerfile_listed_in_dockerignore_stays_out_of_copy()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("keep", "k");
        f.Write(".dockerignore", "Dockerfile\n.dockerignore\n");
        f.Dockerfile("FROM busybox\nCOPY . /ctx/\n");
        var (result, _) = await f.BuildAsync();
        Assert.Equal(["ctx/", "ctx/keep"], f.LayerEntries(result.ImageId, -1).Keys.Order(StringComparer.Ordinal));
    }
}
