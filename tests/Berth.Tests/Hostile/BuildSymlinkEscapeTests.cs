using Berth.Engine;
using Berth.Tests.Build;
using Berth.Tests.Support;

namespace Berth.Tests.Hostile;

/// <summary>COPY/ADD through symlinks that point outside: never a write on the host, never a host file in the image.</summary>
public class BuildSymlinkEscapeTests
{
    [Fact]
    public async Task Copy_into_image_symlinks_that_point_at_a_host_directory_stays_inside_the_image()
    {
        using var f = await BuildFixture.CreateAsync();
        using var host = new TempDirectory();
        f.Write("payload.txt", "payload");
        // Absolute and climbing links made by the image itself, both naming a directory that exists on the host.
        f.Dockerfile($"""
            FROM busybox
            RUN mkdir -p /inside && ln -s {host.Path} /abs && ln -s ../../../../../../../..{host.Path} /inside/climb
            COPY payload.txt /abs/
            COPY payload.txt /inside/climb/
            ADD payload.txt /abs/added.txt
            """);

        try
        {
            var (result, _) = await f.BuildAsync();
            // Whatever the builder made of it, the copies landed in the image: the host directory is untouched.
            Assert.NotEqual(default, result.ImageId);
        }
        catch (BerthException)
        {
            // Refusing the build is as safe as resolving the links inside the image.
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(host.Path));
    }

    [Fact]
    public async Task A_context_symlink_to_a_host_file_never_brings_the_host_file_into_the_image()
    {
        using var f = await BuildFixture.CreateAsync();
        using var host = new TempDirectory();
        File.WriteAllText(host.Combine("secret"), "host secret");
        Directory.CreateSymbolicLink(Path.Combine(f.Context, "hostdir"), host.Path);
        File.CreateSymbolicLink(Path.Combine(f.Context, "secretlink"), host.Combine("secret"));
        f.Dockerfile("""
            FROM busybox
            COPY hostdir/secret /from-dir
            """);

        var dirError = await Assert.ThrowsAnyAsync<BerthException>(() => f.BuildAsync());
        Assert.Contains("Dockerfile:2", dirError.Message);

        f.Dockerfile("""
            FROM busybox
            COPY secretlink /from-link
            """);
        try
        {
            var (result, _) = await f.BuildAsync();
            // Docker copies a context symlink named as a source by following it only within the context: an absolute
            // target outside is not read from the host.
            string content = await f.RunInAsync(result.ImageId.ToString(), "cat /from-link 2>/dev/null || true");
            Assert.DoesNotContain("host secret", content);
        }
        catch (BerthException e)
        {
            Assert.Contains("Dockerfile:2", e.Message);
        }
    }
}
