using System.Diagnostics;
using System.Formats.Tar;
using Berth.Engine;
using Berth.Engine.Layers;

namespace Berth.Tests.Layers;

public sealed class HostileLayerTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static byte[] Tar(params TarEntry[] entries)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var e in entries) writer.WriteEntry(e);
        return ms.ToArray();
    }

    private static PaxTarEntry File(string name, string content = "x") =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };

    private static PaxTarEntry Link(TarEntryType type, string name, string target) => new(type, name) { LinkName = target };

    private Task<LayerApplyResult> Apply(byte[] tar, string? root = null, LayerApplyOptions? options = null) =>
        LayerApplier.ApplyAsync(new MemoryStream(tar), root ?? _tmp.Sub("root"), options);

    [Fact]
    public async Task A_dot_dot_entry_is_refused_with_its_name_in_the_message()
    {
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(Tar(File("../evil"))));
        Assert.Equal("layer tar entry \"../evil\" would be written outside the layer root", e.Message);
        Assert.False(Fs.Exists(_tmp.Path + "/evil"));
        Assert.IsAssignableFrom<InvalidInputException>(e);
    }

    [Fact]
    public async Task A_path_that_climbs_out_after_descending_is_refused()
    {
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(Tar(File("a/../../x"))));
        Assert.Contains("\"a/../../x\" would be written outside the layer root", e.Message);
        Assert.False(Fs.Exists(_tmp.Path + "/x"));
    }

    [Fact]
    public async Task An_absolute_path_is_made_relative_to_the_root()
    {
        string root = _tmp.Sub("root");
        await Apply(Tar(File("/etc/berth-test-absolute", "inside")), root);
        Assert.Equal("inside", System.IO.File.ReadAllText(root + "/etc/berth-test-absolute"));
        Assert.False(Fs.Exists("/etc/berth-test-absolute"));
    }

    [Fact]
    public async Task Writing_through_a_symlink_placed_by_the_layer_is_refused()
    {
        string outside = _tmp.Sub("outside");
        var tar = Tar(Link(TarEntryType.SymbolicLink, "link", outside), File("link/file", "pwned"));
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(tar));
        Assert.Equal("layer tar entry \"link/file\" would be written through the symlink \"link\"", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task Writing_through_a_symlink_already_in_the_tree_is_refused()
    {
        string root = _tmp.Sub("root");
        string outside = _tmp.Sub("outside");
        System.IO.File.CreateSymbolicLink(root + "/etc", outside);
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(Tar(File("etc/passwd", "pwned")), root, LayerApplyOptions.Flat));
        Assert.Contains("through the symlink \"etc\"", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task A_chain_of_symlinks_to_dot_dot_does_not_lead_outside()
    {
        string root = _tmp.Sub("root");
        var tar = Tar(
            Link(TarEntryType.SymbolicLink, "up", ".."),
            Link(TarEntryType.SymbolicLink, "a/up2", "../up/.."),
            File("a/up2/escaped", "pwned"));
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(tar, root));
        Assert.Contains("through the symlink \"a/up2\"", e.Message);
        Assert.False(Fs.Exists(_tmp.Path + "/escaped"));
        Assert.False(Fs.Exists("/escaped"));
    }

    [Fact]
    public async Task A_file_replacing_a_symlink_replaces_the_link_not_its_target()
    {
        string root = _tmp.Sub("root");
        string outside = _tmp.Sub("outside");
        System.IO.File.WriteAllText(outside + "/target", "original");
        await Apply(Tar(Link(TarEntryType.SymbolicLink, "f", outside + "/target"), File("f", "new")), root);
        Assert.Equal("original", System.IO.File.ReadAllText(outside + "/target"));
        Assert.Equal("new", System.IO.File.ReadAllText(root + "/f"));
    }

    [Fact]
    public async Task A_hardlink_to_etc_passwd_is_refused()
    {
        string root = _tmp.Sub("root");
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(Tar(Link(TarEntryType.HardLink, "passwd", "/etc/passwd")), root));
        Assert.Contains("\"passwd\" is a hardlink to \"/etc/passwd\"", e.Message);
        Assert.False(Fs.Exists(root + "/passwd"));
        var e2 = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(Tar(Link(TarEntryType.HardLink, "p", "../../../../etc/passwd")), _tmp.Sub("root2")));
        Assert.Contains("outside the layer root", e2.Message);
    }

    [Fact]
    public async Task A_hardlink_through_a_symlinked_directory_is_refused()
    {
        var tar = Tar(Link(TarEntryType.SymbolicLink, "etc", "/etc"), Link(TarEntryType.HardLink, "passwd", "etc/passwd"));
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(tar));
        Assert.Contains("hardlink", e.Message);
    }

    [Fact]
    public async Task Empty_names_and_names_with_NUL_are_refused()
    {
        var empty = RawTar.Concat(RawTar.Header("", '0'), RawTar.EndMarker);
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(empty));
        Assert.Contains("empty name", e.Message);

        byte[] record = "22 path=bad\0name/evil\n"u8.ToArray();
        var nul = RawTar.Concat(RawTar.Header("PaxHeaders.0/x", 'x', record.Length), record, new byte[512 - record.Length],
            RawTar.Header("placeholder", '5'), RawTar.EndMarker);
        var e2 = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(nul, _tmp.Sub("root2")));
        Assert.Contains("NUL", e2.Message);
    }

    [Fact]
    public async Task A_truncated_tar_fails_with_a_clear_error()
    {
        var tar = Tar(File("big", new string('z', 100_000)), File("after"));
        var truncated = tar[..60_000];
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(truncated));
        Assert.StartsWith("unexpected end of layer tar", e.Message);
        Assert.Contains("\"big\"", e.Message);

        var midHeader = tar[..(512 + 256)];
        var e2 = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(midHeader, _tmp.Sub("root2")));
        Assert.StartsWith("unexpected end of layer tar", e2.Message);
    }

    [Fact]
    public async Task A_header_claiming_ten_gigabytes_fails_fast_with_bounded_memory()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        var file = RawTar.Concat(RawTar.Header("huge", '0', 10L << 30, base256Size: true), new byte[4096]);
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(file));
        Assert.StartsWith("unexpected end of layer tar in entry \"huge\"", e.Message);

        var pax = RawTar.Concat(RawTar.Header("PaxHeaders/huge", 'x', 10L << 30, base256Size: true), new byte[4096]);
        var e2 = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(pax, _tmp.Sub("root2")));
        Assert.Contains("extended header, over the 1 MiB limit", e2.Message);

        var longName = RawTar.Concat(RawTar.Header("././@LongLink", 'L', 1L << 31), new byte[4096]);
        await Assert.ThrowsAsync<LayerFormatException>(() => Apply(longName, _tmp.Sub("root3")));

        var sparse = RawTar.Concat(RawTar.Header("sparse", 'S', 10L << 30, base256Size: true), RawTar.EndMarker);
        var e4 = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(sparse, _tmp.Sub("root4")));
        Assert.Contains("sparse", e4.Message);

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20, "allocated too much");
    }

    /// <summary>Never-ending input: garbage fails at the first bad header; zeros end at the end marker and then hit the trailing-data limit.</summary>
    [Fact]
    public async Task A_tar_that_never_ends_fails_instead_of_looping()
    {
        var garbage = await Assert.ThrowsAsync<LayerFormatException>(() =>
            LayerApplier.ApplyAsync(new EndlessStream(i => (byte)(i * 31 + 7)), _tmp.Sub("g")));
        Assert.Contains("invalid header at offset 0", garbage.Message);

        var zeros = await Assert.ThrowsAsync<LayerFormatException>(() => LayerApplier.ApplyAsync(new EndlessStream(_ => 0), _tmp.Sub("z")));
        Assert.Contains("after its end marker", zeros.Message);

        var afterEntry = RawTar.Concat(RawTar.Header("ok", '0', 1), new byte[512]);
        var tail = await Assert.ThrowsAsync<LayerFormatException>(() =>
            LayerApplier.ApplyAsync(new EndlessStream(i => i < afterEntry.Length ? afterEntry[i] : (byte)'A'), _tmp.Sub("t")));
        Assert.Contains("invalid header at offset 1024", tail.Message);
    }

    [Fact]
    public async Task Device_nodes_are_refused_when_not_allowed()
    {
        var tar = Tar(new PaxTarEntry(TarEntryType.BlockDevice, "dev/sda") { DeviceMajor = 8, DeviceMinor = 0 });
        var e = await Assert.ThrowsAsync<LayerFormatException>(() => Apply(tar, null, new LayerApplyOptions { AllowDeviceNodes = false }));
        Assert.Equal("layer tar entry \"dev/sda\" is a block device, which is not allowed here", e.Message);
    }

    [Fact]
    public async Task Overlay_xattrs_in_the_archive_are_dropped()
    {
        string root = _tmp.Sub("root");
        var tar = Tar(new PaxTarEntry(TarEntryType.Directory, "d", new Dictionary<string, string> { ["SCHILY.xattr.trusted.overlay.redirect"] = "/etc" }));
        var result = await Apply(tar, root);
        Assert.Null(Fs.GetXattr(root + "/d", "trusted.overlay.redirect"));
        Assert.Equal(1, result.SkippedXattrs);
    }

    private sealed class EndlessStream(Func<long, byte> generator) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            for (int i = 0; i < count; i++) buffer[offset + i] = generator(_position++);
            return count;
        }
    }
}
