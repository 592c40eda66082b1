using Berth.Engine;
using Berth.Engine.Containers.Copy;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerTools;

/// <summary>
/// cp never reads or writes outside the container root through a container symlink: absolute links, links up
/// with <c>..</c>, symlinked parent directories, in both directions, and while a container swaps a directory for
/// a symlink under a running copy (CVE-2018-15664).
/// </summary>
public class ContainerCopierEscapeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _root;
    private readonly string _outside;   // a host directory the container must never reach
    private readonly string _host;      // where the tests copy to and from
    private readonly ContainerCopier _copier;

    public ContainerCopierEscapeTests()
    {
        _root = _dir.Combine("rootfs");
        _outside = _dir.Combine("outside");
        _host = _dir.Combine("host");
        foreach (var d in new[] { _outside, _host, Path.Combine(_root, "etc"), Path.Combine(_root, "tmp") }) Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(_root, "etc/passwd"), "container passwd\n");
        File.WriteAllText(Path.Combine(_outside, "secret"), "host secret\n");
        _copier = new ContainerCopier(_root, "ctr");
    }

    public void Dispose() => _dir.Dispose();

    private string Ctr(string rel) => Path.Combine(_root, rel.TrimStart('/'));
    private string Host(string rel) => Path.Combine(_host, rel);
    private string UpAndOut => string.Concat(Enumerable.Repeat("../", 20)) + _outside.TrimStart('/');

    private void AssertOutsideUntouched()
    {
        Assert.Equal(["secret"], Directory.GetFileSystemEntries(_outside).Select(p => Path.GetFileName(p)!));
        Assert.Equal("host secret\n", File.ReadAllText(Path.Combine(_outside, "secret")));
        Assert.Equal(["host", "outside", "rootfs"], Directory.GetFileSystemEntries(_dir.Path).Select(p => Path.GetFileName(p)!).Order());
    }

    [Fact]
    public async Task A_link_to_etc_passwd_followed_with_L_reads_the_containers_passwd()
    {
        File.CreateSymbolicLink(Ctr("pw"), "/etc/passwd");
        File.CreateSymbolicLink(Ctr("secretlink"), Path.Combine(_outside, "secret"));
        await _copier.CopyFromContainerAsync("/pw", Host("pw"), new CopyOptions { FollowLink = true });
        Assert.Equal("container passwd\n", File.ReadAllText(Host("pw")));
        // The absolute host path of the secret means nothing inside the container.
        var e = await Assert.ThrowsAsync<NotFoundException>(() =>
            _copier.CopyFromContainerAsync("/secretlink", Host("s"), new CopyOptions { FollowLink = true }));
        Assert.Equal("Could not find the file /secretlink in container ctr", e.Message);
        Assert.False(File.Exists(Host("s")));
    }

    [Fact]
    public async Task Dot_dot_links_stop_at_the_container_root()
    {
        Directory.CreateSymbolicLink(Ctr("tmp/up"), string.Concat(Enumerable.Repeat("../", 20)));
        await _copier.CopyFromContainerAsync("/tmp/up/etc/passwd", Host("p"));
        Assert.Equal("container passwd\n", File.ReadAllText(Host("p")));
        Directory.CreateSymbolicLink(Ctr("tmp/out"), UpAndOut);
        await Assert.ThrowsAsync<NotFoundException>(() => _copier.CopyFromContainerAsync("/tmp/out/secret", Host("s")));
        Assert.False(File.Exists(Host("s")));
    }

    [Fact]
    public async Task A_symlinked_parent_directory_pointing_out_is_resolved_inside_when_copying_in()
    {
        Directory.CreateSymbolicLink(Ctr("abs"), _outside);
        Directory.CreateSymbolicLink(Ctr("rel"), UpAndOut);
        File.WriteAllText(Host("payload"), "pwned");
        Directory.CreateDirectory(Ctr(_outside)); // give the link a target inside the container
        await _copier.CopyToContainerAsync(Host("payload"), "/abs/secret");
        await _copier.CopyToContainerAsync(Host("payload"), "/rel/x");
        await _copier.CopyToContainerAsync(Host("payload"), "/abs/");
        AssertOutsideUntouched();
        Assert.Equal("pwned", File.ReadAllText(Ctr(_outside + "/secret")));
        Assert.Equal("pwned", File.ReadAllText(Ctr(_outside + "/x")));
        Assert.Equal("pwned", File.ReadAllText(Ctr(_outside + "/payload")));
    }

    [Fact]
    public async Task A_destination_that_is_a_link_to_a_host_file_is_written_inside_the_container()
    {
        File.CreateSymbolicLink(Ctr("etc/shadow"), Path.Combine(_outside, "secret"));
        File.WriteAllText(Host("f"), "pwned");
        // The link dangles inside the container: like Docker, the copy needs its parent directory there.
        var e = await Assert.ThrowsAsync<NotFoundException>(() => _copier.CopyToContainerAsync(Host("f"), "/etc/shadow"));
        Assert.Equal($"Could not find the file {_outside} in container ctr", e.Message);
        AssertOutsideUntouched();
        Directory.CreateDirectory(Ctr(_outside));
        await _copier.CopyToContainerAsync(Host("f"), "/etc/shadow");
        AssertOutsideUntouched();
        Assert.Equal("pwned", File.ReadAllText(Ctr(Path.Combine(_outside, "secret"))));
    }

    [Fact]
    public async Task A_tar_that_plants_a_symlink_then_writes_through_it_stays_inside()
    {
        var tar = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tar, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "evil") { LinkName = _outside });
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "evil/secret")
                { DataStream = new MemoryStream("pwned"u8.ToArray()) });
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.HardLink, "hl") { LinkName = "../../../../outside/secret" });
        }
        tar.Position = 0;
        Directory.CreateDirectory(Ctr(_outside));
        await Assert.ThrowsAsync<InvalidInputException>(() => _copier.ExtractToContainerAsync(tar, "/tmp"));
        AssertOutsideUntouched();
        Assert.Equal("pwned", File.ReadAllText(Ctr(_outside + "/secret")));
    }

    [Fact]
    public async Task Copying_out_archives_links_as_links_and_never_reads_their_targets()
    {
        Directory.CreateDirectory(Ctr("tree"));
        File.CreateSymbolicLink(Ctr("tree/pw"), "/etc/passwd");
        File.CreateSymbolicLink(Ctr("tree/secret"), Path.Combine(_outside, "secret"));
        Directory.CreateSymbolicLink(Ctr("tree/dir"), _outside);
        await _copier.CopyFromContainerAsync("/tree", Host("tree"));
        Assert.Equal("/etc/passwd", new FileInfo(Host("tree/pw")).LinkTarget);
        Assert.Equal(Path.Combine(_outside, "secret"), new FileInfo(Host("tree/secret")).LinkTarget);
        Assert.Equal(3, Directory.GetFileSystemEntries(Host("tree")).Length);
        using var ms = new MemoryStream();
        await _copier.ArchiveFromContainerAsync("/tree", ms);
        Assert.DoesNotContain("host secret", System.Text.Encoding.UTF8.GetString(ms.ToArray()));
    }

    /// <summary>
    /// A "container process" swaps /work between a real directory and a symlink to a host directory as fast as it
    /// can while copies run in both directions; whatever each copy does, nothing outside the root changes and
    /// nothing from outside is read.
    /// </summary>
    [Fact]
    public async Task Swapping_a_directory_for_a_symlink_during_copies_never_escapes()
    {
        Directory.CreateDirectory(Ctr("work/sub"));
        for (int i = 0; i < 50; i++) File.WriteAllText(Ctr($"work/sub/f{i}"), "inside");
        Directory.CreateDirectory(Host("src/sub"));
        for (int i = 0; i < 50; i++) File.WriteAllText(Host($"src/sub/g{i}"), "payload");
        for (int i = 0; i < 20; i++) File.WriteAllText(Path.Combine(_outside, $"o{i}"), "host secret\n");

        using var stop = new CancellationTokenSource();
        long swaps = 0;
        var swapper = Task.Run(() =>
        {
            string work = Ctr("work"), real = Ctr("work.real"), sub = Ctr("work.real/sub");
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    Directory.Move(work, real);
                    Directory.CreateSymbolicLink(work, _outside);
                    // also swap the inner directory
                    Directory.Move(sub, sub + ".x");
                    Directory.CreateSymbolicLink(sub, _outside);
                    Directory.Delete(sub);
                    Directory.Move(sub + ".x", sub);
                    Directory.Delete(work);
                    Directory.Move(real, work);
                    Interlocked.Increment(ref swaps);
                    // Now and then /work stays a real directory for a moment: swapping flat out, a copy on a machine with
                    // more cores can lose every race (no copy finished in CI), and then the copies that succeed are untested.
                    if (Random.Shared.Next(4) == 0) Thread.Sleep(Random.Shared.Next(1, 3));
                }
                catch (IOException) { }
            }
        });

        int copies = 0;
        for (int round = 0; round < 60 || Interlocked.Read(ref swaps) < 50 || copies == 0; round++)
        {
            if (round > 5000) break;
            string dest = Host($"out{round}");
            try { await _copier.CopyToContainerAsync(Host("src/sub"), "/work/sub"); copies++; }
            catch (Exception e) when (e is BerthException or IOException) { }
            try { await _copier.CopyFromContainerAsync("/work", dest); copies++; }
            catch (Exception e) when (e is BerthException or IOException) { }
            if (Directory.Exists(dest) && new DirectoryInfo(dest).LinkTarget is null) // a copied link is a link, not its target
                foreach (var file in FileEnumeration.Tree(dest).OfType<FileInfo>().Where(f => f.LinkTarget is null))
                    Assert.NotEqual("host secret\n", File.ReadAllText(file.FullName));
        }
        stop.Cancel();
        await swapper;

        Assert.True(Interlocked.Read(ref swaps) > 0, "the swapper never managed a swap");
        Assert.True(copies > 0, "no copy finished at all");
        var outsideNames = Directory.GetFileSystemEntries(_outside).Select(p => Path.GetFileName(p)!).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"o{i}").Append("secret").Order().ToList(), outsideNames);
        foreach (var file in Directory.GetFiles(_outside)) Assert.Equal("host secret\n", File.ReadAllText(file));
    }
}
