using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using Berth.Engine.Build;

namespace Berth.Tests.Build;

public class CopyTests
{
    [Fact]
    public async Task Copy_follows_Dockers_rules_for_directories_wildcards_and_owners()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("src/a.txt", "a", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        f.Write("src/deep/b.txt", "b");
        f.Write("one.conf", "1");
        f.Write("two.conf", "2");
        Directory.CreateSymbolicLink(Path.Combine(f.Context, "src", "link"), "a.txt");
        File.SetUnixFileMode(Path.Combine(f.Context, "src"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        f.Dockerfile("""
            FROM busybox
            COPY ["src", "/opt/demo app/"]
            COPY *.conf /etc/conf/
            COPY one.conf /renamed.conf
            COPY --chown=app one.conf /home/app/
            COPY --chmod=600 two.conf /secret
            """);
        var (result, _) = await f.BuildAsync();
        var dir = f.LayerEntries(result.ImageId, 1);
        // The directory's contents, not the directory; created parents carried with the layer; owners root; modes kept.
        Assert.Equal(["opt/", "opt/demo app/", "opt/demo app/a.txt", "opt/demo app/deep/", "opt/demo app/deep/b.txt", "opt/demo app/link"], dir.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, dir["opt/demo app/a.txt"].Mode);
        Assert.Equal((UnixFileMode)0x1ED, dir["opt/demo app/"].Mode); // made 0755, the source dir's 0700 is not copied
        Assert.Equal(TarEntryType.SymbolicLink, dir["opt/demo app/link"].EntryType);
        Assert.All(dir.Values, e => Assert.Equal((0, 0), (e.Uid, e.Gid)));

        Assert.Equal(["etc/", "etc/conf/", "etc/conf/one.conf", "etc/conf/two.conf"], f.LayerEntries(result.ImageId, 2).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["renamed.conf"], f.LayerEntries(result.ImageId, 3).Keys);
        var chowned = f.LayerEntries(result.ImageId, 4);
        Assert.Equal((1000, 1000), (chowned["home/app/one.conf"].Uid, chowned["home/app/one.conf"].Gid));
        var secret = f.LayerEntries(result.ImageId, 5)["secret"];
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, secret.Mode);

        var history = (await f.ConfigAsync(result.ImageId)).History!;
        Assert.Matches(@"^/bin/sh -c #\(nop\) COPY dir:[0-9a-f]{64} in /opt/demo app/ $", history[1].CreatedBy);
        Assert.Matches(@"^/bin/sh -c #\(nop\) COPY multi:[0-9a-f]{64} in /etc/conf/ $", history[2].CreatedBy);
        Assert.Matches(@"^/bin/sh -c #\(nop\) COPY --chown=appfile:[0-9a-f]{64} in /home/app/ $", history[4].CreatedBy);
    }

    [Fact]
    public async Task Copy_to_a_relative_destination_uses_the_workdir_and_several_sources_need_a_directory()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("a", "a");
        f.Write("b", "b");
        f.Dockerfile("FROM busybox\nWORKDIR /app\nCOPY a b .\n");
        var (result, _) = await f.BuildAsync();
        Assert.Equal(["app/", "app/a", "app/b"], f.LayerEntries(result.ImageId, -1).Keys.Order(StringComparer.Ordinal));

        f.Dockerfile("FROM busybox\nCOPY a b /dest\n");
        var e = await Assert.ThrowsAsync<BuildException>(() => f.BuildAsync());
        Assert.Equal("Dockerfile:2: COPY failed: When using COPY with more than one source file, the destination must be a directory and end with a /", e.Message);
    }

    [Fact]
    public async Task Dockerignored_and_missing_sources_are_not_found()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("secret.key", "k");
        f.Write("app/x.log", "l");
        f.Write("app/keep.txt", "k");
        f.Write(".dockerignore", "secret.key\n**/*.log\n");
        f.Dockerfile("FROM busybox\nCOPY app /app\n");
        var (result, _) = await f.BuildAsync();
        Assert.Equal(["app/", "app/keep.txt"], f.LayerEntries(result.ImageId, -1).Keys.Order(StringComparer.Ordinal));

        f.Dockerfile("FROM busybox\nCOPY secret.key /\n");
        var e = await Assert.ThrowsAsync<BuildException>(() => f.BuildAsync());
        Assert.Equal("Dockerfile:2: COPY failed: file not found in build context or excluded by .dockerignore: stat secret.key: file does not exist", e.Message);
    }

    [Fact]
    public async Task Chown_by_name_comes_from_the_image_and_an_unknown_user_fails_clearly()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("f", "x");
        f.Dockerfile("FROM busybox\nCOPY --chown=www-data:staff f /f\nCOPY --chown=nosuch f /g\n");
        var e = await Assert.ThrowsAsync<BuildException>(() => f.BuildAsync());
        Assert.Contains("Dockerfile:3: COPY failed: unable to find user nosuch", e.Message);
        Assert.Contains("/etc/passwd", e.Message);

        f.Dockerfile("FROM busybox\nCOPY --chown=www-data:staff f /f\n");
        var (result, _) = await f.BuildAsync();
        var entry = f.LayerEntries(result.ImageId, -1)["f"];
        Assert.Equal((33, 50), (entry.Uid, entry.Gid));
    }

    [Fact]
    public async Task A_passwd_symlink_pointing_out_of_the_rootfs_is_resolved_inside_it()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("f", "x");
        // /etc/passwd -> /etc/../../../../etc/passwd-host: must resolve inside the image (where it does not exist), not on the host.
        f.Dockerfile("FROM busybox\nRUN rm /etc/passwd && ln -s ../../../../../../../etc/shadow /etc/passwd\nCOPY --chown=root f /f\n");
        var e = await Assert.ThrowsAsync<BuildException>(() => f.BuildAsync());
        Assert.Contains("unable to find user root", e.Message);
    }

    [Fact]
    public async Task Add_extracts_local_archives_and_copies_other_files()
    {
        using var f = await BuildFixture.CreateAsync();
        string staging = Path.Combine(f.Context, "staging");
        Directory.CreateDirectory(Path.Combine(staging, "pkg"));
        File.WriteAllText(Path.Combine(staging, "pkg", "x.txt"), "x");
        await TarFile.CreateFromDirectoryAsync(staging, Path.Combine(f.Context, "plain.tar"), includeBaseDirectory: false);
        await using (var gz = new System.IO.Compression.GZipStream(File.Create(Path.Combine(f.Context, "pkg.tgz")), System.IO.Compression.CompressionLevel.Fastest))
        await using (var tar = File.OpenRead(Path.Combine(f.Context, "plain.tar")))
            await tar.CopyToAsync(gz);
        f.Write("not-really.tar", "just text");
        f.Write(".dockerignore", "staging\n");
        f.Dockerfile("FROM busybox\nADD plain.tar /a/\nADD pkg.tgz /b\nADD not-really.tar /c/\n");
        var (result, _) = await f.BuildAsync();
        Assert.Contains("a/pkg/x.txt", f.LayerEntries(result.ImageId, 1).Keys);
        Assert.Contains("b/pkg/x.txt", f.LayerEntries(result.ImageId, 2).Keys);
        Assert.Equal("just text", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, 3)["c/not-really.tar"]));
    }

    [Fact]
    public async Task Add_downloads_a_url_from_a_local_server()
    {
        using var f = await BuildFixture.CreateAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        int requests = 0;
        var serving = Task.Run(async () =>
        {
            while (true)
            {
                TcpClient client;
                try { client = await listener.AcceptTcpClientAsync(); } catch (Exception) { return; }
                using (client)
                {
                    Interlocked.Increment(ref requests);
                    var stream = client.GetStream();
                    var reader = new StreamReader(stream);
                    while (!string.IsNullOrEmpty(await reader.ReadLineAsync())) { }
                    var body = "downloaded\n"u8.ToArray();
                    var head = System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(head);
                    await stream.WriteAsync(body);
                }
            }
        });
        f.Dockerfile($"FROM busybox\nADD http://127.0.0.1:{port}/files/payload.txt /downloads/\n");
        var (result, _) = await f.BuildAsync();
        listener.Stop();
        await serving;
        var entry = f.LayerEntries(result.ImageId, -1)["downloads/payload.txt"];
        Assert.Equal("downloaded\n", BuildFixture.ReadEntry(entry));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, entry.Mode);
        Assert.Equal(1, requests);
    }

    [Fact]
    public async Task Heredoc_sources_become_files()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nARG NAME=berth\nCOPY <<EOF /etc/motd\nhello $NAME\nEOF\n");
        var (result, _) = await f.BuildAsync();
        Assert.Equal("hello berth\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -1)["etc/motd"]));
    }
}

public class CopyOwnershipTests
{
    [Fact]
    public async Task A_named_symlink_is_followed_and_a_chowned_directory_copy_leaves_new_parents_root_owned()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("real/config.ini", "c");
        File.CreateSymbolicLink(Path.Combine(f.Context, "config-link"), "real/config.ini");
        f.Dockerfile("FROM busybox\nCOPY config-link /etc/app.ini\nCOPY --chown=app:app real /srv/deep/real/\nFROM scratch\nCOPY --from=0 /etc/app.ini /copied-from-stage-0\n");
        var (result, _) = await f.BuildAsync(new BuildOptions { Target = "0" });
        var linked = f.LayerEntries(result.ImageId, 1)["etc/app.ini"];
        Assert.Equal(System.Formats.Tar.TarEntryType.RegularFile, linked.EntryType);
        Assert.Equal("c", BuildFixture.ReadEntry(linked));
        var tree = f.LayerEntries(result.ImageId, 2);
        Assert.Equal((0, 0), (tree["srv/"].Uid, tree["srv/deep/"].Uid)); // legacy rule: parents above the destination stay root
        Assert.Equal((1000, 1000), (tree["srv/deep/real/"].Uid, tree["srv/deep/real/"].Gid));
        Assert.Equal((1000, 1000), (tree["srv/deep/real/config.ini"].Uid, tree["srv/deep/real/config.ini"].Gid));
        var (last, _) = await f.BuildAsync();
        Assert.Equal("c", BuildFixture.ReadEntry(f.LayerEntries(last.ImageId, 0)["copied-from-stage-0"]));
    }
}
