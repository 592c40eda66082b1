using System.Formats.Tar;
using Berth.Engine;
using Berth.Engine.Services.Images;
using Berth.Tests.Layers;
using Berth.Tests.Support;

namespace Berth.Tests.Hostile;

/// <summary>
/// Hostile layer tars through `import`, the way a user meets them: a clear error, nothing outside the store touched,
/// and the store exactly as before (no blob, snapshot, temp dir or ingest file left). The layer applier's own refusals
/// are unit-tested in Layers/HostileLayerTests; these prove the store cleans up after each of them.
/// </summary>
public sealed class HostileImportTests : IDisposable
{
    readonly TempStore _store = new();
    readonly TempDirectory _outside = new();

    public void Dispose() { _store.Dispose(); _outside.Dispose(); }

    static byte[] Tar(params TarEntry[] entries)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var e in entries) writer.WriteEntry(e);
        return ms.ToArray();
    }

    static PaxTarEntry File(string name, string content = "x") =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };

    async Task<TException> ImportRefusedAsync<TException>(byte[] tar) where TException : Exception
    {
        var before = StoreState.Of(_store.Root);
        var outsideBefore = StoreState.Of(_outside.Path);
        var e = await Assert.ThrowsAnyAsync<TException>(() => _store.Engine.Images.ImportAsync(new MemoryStream(tar), new ImportOptions("hostile.tar", [], null, null, "hostile:1")));
        await StoreState.AssertUnchangedAsync(_store, before);
        Assert.Equal(outsideBefore, StoreState.Of(_outside.Path));
        Assert.Null(_store.Engine.Images.TryResolve("hostile:1"));
        return e;
    }

    [Fact]
    public async Task Dot_dot_entries_are_refused_and_leave_the_store_as_it_was()
    {
        var e = await ImportRefusedAsync<InvalidInputException>(Tar(File("ok", "fine"), File("../../" + Path.GetFileName(_outside.Path) + "/escaped")));
        Assert.Contains("would be written outside the layer root", e.Message);
        Assert.False(System.IO.File.Exists(_outside.Combine("escaped")));
    }

    [Fact]
    public async Task Absolute_paths_land_inside_the_layer()
    {
        string target = _outside.Combine("absolute");
        var id = await _store.Engine.Images.ImportAsync(new MemoryStream(Tar(File(target, "inside"))), new ImportOptions("abs.tar", [], null, null, null));
        Assert.False(System.IO.File.Exists(target));
        var layer = _store.Engine.Store.Metadata.ImageLayers(id).Single();
        Assert.Equal("inside", System.IO.File.ReadAllText(_store.Engine.Store.Snapshots.LayerDirectory(layer.ChainId) + target));
    }

    [Fact]
    public async Task A_symlink_then_a_write_through_it_is_refused()
    {
        var link = new PaxTarEntry(TarEntryType.SymbolicLink, "escape") { LinkName = _outside.Path };
        var e = await ImportRefusedAsync<InvalidInputException>(Tar(link, File("escape/pwned", "pwned")));
        Assert.Contains("escape/pwned", e.Message);
        Assert.False(System.IO.File.Exists(_outside.Combine("pwned")));
    }

    [Fact]
    public async Task A_hardlink_to_a_file_outside_is_refused()
    {
        System.IO.File.WriteAllText(_outside.Combine("secret"), "secret");
        var link = new PaxTarEntry(TarEntryType.HardLink, "stolen") { LinkName = "../../../../../../../.." + _outside.Combine("secret") };
        var e = await ImportRefusedAsync<InvalidInputException>(Tar(link));
        Assert.Contains("stolen", e.Message);
        Assert.Equal("secret", System.IO.File.ReadAllText(_outside.Combine("secret")));
    }

    [Fact]
    public async Task Device_nodes_from_an_imported_tar_are_refused()
    {
        var e = await ImportRefusedAsync<InvalidInputException>(Tar(File("a"), new PaxTarEntry(TarEntryType.CharacterDevice, "dev/mem") { DeviceMajor = 1, DeviceMinor = 1 }));
        Assert.Contains("\"dev/mem\" is a character device, which is not allowed here", e.Message);
    }

    [Fact]
    public async Task A_header_claiming_ten_gigabytes_writes_nothing()
    {
        var tar = RawTar.Concat(RawTar.Header("huge", '0', 10L << 30, base256Size: true), new byte[64 << 10]);
        var e = await ImportRefusedAsync<InvalidInputException>(tar);
        Assert.StartsWith("unexpected end of layer tar in entry \"huge\"", e.Message);
        var sparse = RawTar.Concat(RawTar.Header("sparse", 'S', 10L << 30, base256Size: true), RawTar.EndMarker);
        Assert.Contains("sparse", (await ImportRefusedAsync<InvalidInputException>(sparse)).Message);
    }

    /// <summary>
    /// An endless stream of well-formed entries is indistinguishable from a very large layer, so Berth does not cap layer
    /// size; such an import is stopped by cancellation (Ctrl-C), which must leave the store as it was. (Endless garbage
    /// or zeros fail on their own: see Layers/HostileLayerTests.)
    /// </summary>
    [Fact]
    public async Task A_tar_that_never_ends_is_cancellable_and_leaves_nothing_behind()
    {
        var before = StoreState.Of(_store.Root);
        using var cts = new CancellationTokenSource();
        var endless = new EndlessTarStream(cancelAfterBytes: 32 << 20, cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _store.Engine.Images.ImportAsync(endless, new ImportOptions("endless", [], null, null, "endless:1"), cts.Token));
        Assert.True(endless.Produced >= 32 << 20, "the import should have consumed the stream until cancelled");
        await StoreState.AssertUnchangedAsync(_store, before);
    }

    /// <summary>Produces tar entries (512-byte files) forever; cancels <paramref name="cts"/> once enough bytes were read.</summary>
    sealed class EndlessTarStream(long cancelAfterBytes, CancellationTokenSource cts) : Stream
    {
        readonly byte[] _entry = MakeEntry();
        public long Produced { get; private set; }

        static byte[] MakeEntry()
        {
            var header = RawTar.Header("f", '0', 512);
            return RawTar.Concat(header, Enumerable.Repeat((byte)'d', 512).ToArray());
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            // Every entry is named "f": the applier replaces the same file again and again, so disk use stays small.
            for (int i = 0; i < count; i++) buffer[offset + i] = _entry[(Produced + i) % _entry.Length];
            Produced += count;
            if (Produced >= cancelAfterBytes) cts.Cancel();
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Produced; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
