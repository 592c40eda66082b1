using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Berth.Engine.Layers;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Tests.Layers;

public sealed class LayerRoundTripTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly string LongName = "a-name-that-is-longer-than-one-hundred-bytes-" + new string('x', 80) + ".txt";
    private static readonly byte[] NetBindServiceCapability =
        [0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>A tree with one of everything a layer can hold.</summary>
    private string BuildRichTree()
    {
        string root = _tmp.Sub("source");
        Directory.CreateDirectory(root + "/usr/bin");
        Directory.CreateDirectory(root + "/empty");
        Directory.CreateDirectory(root + "/opt/demo app/bin");
        Directory.CreateDirectory(root + "/deep/" + string.Join('/', Enumerable.Repeat("level-directory-name", 8)));
        File.WriteAllText(root + "/usr/bin/tool", "#!/bin/sh\necho hi\n");
        Fs.Chmod(root + "/usr/bin/tool", 0x9ED); // 04755
        File.WriteAllText(root + "/opt/demo app/bin/run me.sh", "echo spaces\n");
        File.WriteAllText(root + "/opt/" + LongName, "long");
        File.WriteAllText(root + "/deep/" + string.Join('/', Enumerable.Repeat("level-directory-name", 8)) + "/leaf.txt", "deep");
        File.WriteAllText(root + "/héllo-世界.txt", "unicode");
        var big = new byte[3 * 1024 * 1024 + 123];
        new Random(42).NextBytes(big);
        File.WriteAllBytes(root + "/big.bin", big);
        File.WriteAllText(root + "/empty-file", "");
        File.WriteAllText(root + "/linked", "shared inode");
        File.CreateSymbolicLink(root + "/usr/bin/abs-link", "/etc/passwd");
        File.CreateSymbolicLink(root + "/rel-link", "usr/bin/tool");
        File.CreateSymbolicLink(root + "/dangling", "does/not/exist");
        Sh.Run("ln", root + "/linked", root + "/usr/hardlink-1");
        Sh.Run("ln", root + "/linked", root + "/usr/hardlink-2");
        Fs.Mknod(root + "/null", S_IFCHR, 1, 3, 0x1B6);
        Fs.Mknod(root + "/loop9", S_IFBLK, 7, 9, 0x1B0);
        Fs.Mknod(root + "/pipe", S_IFIFO, 0, 0, 0x1A4);
        Directory.CreateDirectory(root + "/shared");
        Fs.Chmod(root + "/shared", 0x5FD); // 02775
        Directory.CreateDirectory(root + "/tmp");
        Fs.Chmod(root + "/tmp", 0x3FF); // 01777
        Fs.Lchown(root + "/shared", 1000, 1001);
        Fs.Lchown(root + "/opt/demo app/bin/run me.sh", 65534, 65534);
        Fs.Lchown(root + "/rel-link", 123, 456);
        Fs.SetXattr(root + "/big.bin", "user.comment", "hello xattr"u8.ToArray());
        Fs.SetXattr(root + "/shared", "user.dir-note", [0, 1, 2, 255]);
        Fs.SetXattr(root + "/usr/bin/tool", "security.capability", NetBindServiceCapability);
        long t = 1_600_000_000;
        foreach (var path in Berth.Engine.FileEnumeration.Tree(root).Select(e => e.FullName)
                     .OrderByDescending(p => p.Length))
            Fs.SetMtime(path, t++);
        return root;
    }

    private async Task<(byte[] Tar, LayerTarResult Result)> WriteTar(string dir, TarWriteOptions? options = null)
    {
        using var ms = new MemoryStream();
        var result = await LayerDiffer.WriteTarAsync(dir, ms, options);
        return (ms.ToArray(), result);
    }

    [Fact]
    public async Task A_directory_tree_survives_a_round_trip_through_a_layer_tar()
    {
        string source = BuildRichTree();
        var (tar, written) = await WriteTar(source);
        string target = _tmp.Sub("target");
        var applied = await LayerApplier.ApplyAsync(new MemoryStream(tar), target, LayerApplyOptions.Flat);

        Assert.Equal(written.DiffId, applied.DiffId);
        Assert.Equal(tar.Length, applied.UncompressedSize);
        Assert.Equal(Fs.Describe(source), Fs.Describe(target));
        Assert.Equal(NetBindServiceCapability, Fs.GetXattr(target + "/usr/bin/tool", "security.capability"));
        Assert.Equal(0x9ED, Fs.Stat(target + "/usr/bin/tool").Mode & 0xFFF);
    }

    [Fact]
    public async Task The_diff_id_is_the_sha256sum_of_the_tar_bytes()
    {
        string source = BuildRichTree();
        string tarPath = Path.Combine(_tmp.Path, "layer.tar");
        LayerTarResult result;
        await using (var file = File.Create(tarPath)) result = await LayerDiffer.WriteTarAsync(source, file);

        string sha256sum = Sh.Run("sha256sum", tarPath).Split(' ')[0];
        Assert.Equal("sha256:" + sha256sum, result.DiffId.ToString());
        Assert.Equal(new FileInfo(tarPath).Length, result.Size);
        await using var input = File.OpenRead(tarPath);
        var applied = await LayerApplier.ApplyAsync(input, _tmp.Sub("target"));
        Assert.Equal(result.DiffId, applied.DiffId);
    }

    [Fact]
    public async Task The_applier_hashes_padding_end_blocks_and_trailing_zeros_too()
    {
        string source = _tmp.Sub("small");
        File.WriteAllText(source + "/f", "x");
        var (tar, _) = await WriteTar(source);
        var padded = tar.Concat(new byte[10240 - tar.Length % 10240]).ToArray(); // GNU tar's record padding
        var applied = await LayerApplier.ApplyAsync(new MemoryStream(padded), _tmp.Sub("target"));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(padded)), applied.DiffId.ToString());
        Assert.Equal(padded.Length, applied.UncompressedSize);
    }

    [Fact]
    public async Task Writing_the_same_tree_twice_gives_identical_bytes_without_the_process_id_in_headers()
    {
        string source = BuildRichTree();
        var (first, r1) = await WriteTar(source);
        var (second, r2) = await WriteTar(source);
        Assert.Equal(first, second);
        Assert.Equal(r1.DiffId, r2.DiffId);
        string text = Encoding.Latin1.GetString(first);
        Assert.Contains("PaxHeaders.0/", text);
        Assert.DoesNotContain($"PaxHeaders.{Environment.ProcessId}", text);
    }

    [Fact]
    public async Task Entries_are_sorted_depth_first_with_directories_named_with_a_trailing_slash()
    {
        string source = BuildRichTree();
        var (tar, _) = await WriteTar(source);
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } e) names.Add(e.Name);
        Assert.Equal("big.bin", names[0]);
        Assert.Contains("opt/demo app/bin/", names);
        Assert.Contains("opt/" + LongName, names);
        Assert.DoesNotContain(names, n => n.StartsWith("./", StringComparison.Ordinal) || n.StartsWith('/'));
        Assert.True(names.IndexOf("opt/") < names.IndexOf("opt/demo app/") && names.IndexOf("opt/demo app/") < names.IndexOf("opt/demo app/bin/run me.sh"));
        int hardlinks = 0;
        using var reader2 = new TarReader(new MemoryStream(tar));
        while (reader2.GetNextEntry() is { } e)
            if (e.EntryType == TarEntryType.HardLink) { hardlinks++; Assert.Equal("linked", e.LinkName); }
        Assert.Equal(2, hardlinks);
    }

    [Fact]
    public async Task GNU_tar_extracts_our_output_to_the_same_tree()
    {
        string source = BuildRichTree();
        string tarPath = Path.Combine(_tmp.Path, "layer.tar");
        await using (var file = File.Create(tarPath)) await LayerDiffer.WriteTarAsync(source, file);
        string listing = Sh.Run("tar", "-tvf", tarPath);
        Assert.Contains("opt/demo app/bin/run me.sh", listing);
        Assert.Contains("héllo-世界.txt", listing);
        Assert.Contains("usr/hardlink-1 link to linked", listing);

        string target = _tmp.Sub("gnu");
        Sh.Run("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf", tarPath, "-C", target);
        Assert.Equal(Fs.Describe(source), Fs.Describe(target));
    }

    [Theory]
    [InlineData("gnu")]
    [InlineData("posix")]
    public async Task A_GNU_tar_archive_applies_to_the_same_tree(string format)
    {
        string source = BuildRichTree();
        string tarPath = Path.Combine(_tmp.Path, "gnu.tar");
        Sh.Run("tar", "--format=" + format, "--xattrs", "--xattrs-include=*", "--numeric-owner", "-cf", tarPath, "-C", source, ".");
        string target = _tmp.Sub("target");
        await using var input = File.OpenRead(tarPath);
        var applied = await LayerApplier.ApplyAsync(input, target, LayerApplyOptions.Flat);
        Assert.Equal("sha256:" + Sh.Run("sha256sum", tarPath).Split(' ')[0], applied.DiffId.ToString());
        Assert.Equal(Fs.Describe(source), Fs.Describe(target));
    }

    [Fact]
    public async Task A_dotnet_TarWriter_archive_with_pax_xattrs_applies()
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "etc/app.conf",
                new Dictionary<string, string> { ["SCHILY.xattr.user.origin"] = "dotnet" })
            {
                DataStream = new MemoryStream("key=value\n"u8.ToArray()),
                Mode = (UnixFileMode)0x1A4,
                ModificationTime = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500),
            };
            writer.WriteEntry(entry);
        }
        string target = _tmp.Sub("target");
        await LayerApplier.ApplyAsync(new MemoryStream(ms.ToArray()), target);
        Assert.Equal("key=value\n", File.ReadAllText(target + "/etc/app.conf"));
        Assert.Equal("dotnet"u8.ToArray(), Fs.GetXattr(target + "/etc/app.conf", "user.origin"));
        Assert.Equal(1_700_000_000, Fs.Stat(target + "/etc/app.conf").MtimeSeconds);
        Assert.Equal(500_000_000u, Fs.Stat(target + "/etc/app.conf").MtimeNanoseconds);
    }

    [Fact]
    public async Task Source_date_epoch_clamps_later_mtimes_only()
    {
        string source = _tmp.Sub("src");
        File.WriteAllText(source + "/old", "o");
        File.WriteAllText(source + "/new", "n");
        Fs.SetMtime(source + "/old", 1_000);
        Fs.SetMtime(source + "/new", 2_000_000_000);
        var (tar, _) = await WriteTar(source, new TarWriteOptions { SourceDateEpoch = 1_500_000_000 });
        string target = _tmp.Sub("target");
        await LayerApplier.ApplyAsync(new MemoryStream(tar), target);
        Assert.Equal(1_000, Fs.Stat(target + "/old").MtimeSeconds);
        Assert.Equal(1_500_000_000, Fs.Stat(target + "/new").MtimeSeconds);
    }

    [Fact]
    public async Task A_path_prefix_and_an_include_filter_shape_an_export()
    {
        string source = _tmp.Sub("src");
        Directory.CreateDirectory(source + "/keep/sub");
        Directory.CreateDirectory(source + "/skip");
        File.WriteAllText(source + "/keep/sub/f", "1");
        File.WriteAllText(source + "/skip/f", "2");
        var (tar, _) = await WriteTar(source, new TarWriteOptions { PathPrefix = "rootfs/", Include = p => !p.StartsWith("skip", StringComparison.Ordinal) });
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } e) names.Add(e.Name);
        Assert.Equal(["rootfs/keep/", "rootfs/keep/sub/", "rootfs/keep/sub/f"], names);
    }

    [Fact]
    public async Task Applying_with_an_id_offset_shifts_owners()
    {
        string source = _tmp.Sub("src");
        File.WriteAllText(source + "/f", "1");
        Fs.Lchown(source + "/f", 1000, 2000);
        var (tar, _) = await WriteTar(source);
        string target = _tmp.Sub("target");
        await LayerApplier.ApplyAsync(new MemoryStream(tar), target, new LayerApplyOptions { UidOffset = 100000, GidOffset = 200000 });
        var st = Fs.Stat(target + "/f");
        Assert.Equal(101000u, st.Uid);
        Assert.Equal(202000u, st.Gid);
    }
}
