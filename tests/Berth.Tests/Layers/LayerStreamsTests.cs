using Berth.Engine.Layers;

namespace Berth.Tests.Layers;

public sealed class LayerStreamsTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private async Task<string> MakeTar()
    {
        string source = _tmp.Sub("src");
        File.WriteAllText(source + "/hello.txt", string.Concat(Enumerable.Repeat("hello layer ", 5000)));
        string tarPath = Path.Combine(_tmp.Path, "layer.tar");
        await using var file = File.Create(tarPath);
        await LayerDiffer.WriteTarAsync(source, file);
        return tarPath;
    }

    [Theory]
    [InlineData("gzip", LayerCompression.Gzip)]
    [InlineData("zstd", LayerCompression.Zstd)]
    [InlineData("bzip2", LayerCompression.Bzip2)]
    [InlineData("xz", LayerCompression.Xz)]
    public async Task A_compressed_layer_is_detected_and_decompressed_from_a_non_seekable_stream(string tool, LayerCompression expected)
    {
        string tarPath = await MakeTar();
        byte[] raw = await File.ReadAllBytesAsync(tarPath);
        Sh.Run(tool, "-k", "-q", tarPath);
        string compressed = tarPath + tool switch { "gzip" => ".gz", "zstd" => ".zst", "bzip2" => ".bz2", _ => ".xz" };
        await using var input = new NonSeekable(File.OpenRead(compressed));
        var (stream, compression) = await LayerStreams.OpenDecompressedAsync(input);
        Assert.Equal(expected, compression);
        var result = await LayerApplier.ApplyAsync(stream, _tmp.Sub("out"));
        Assert.Equal(raw.Length, result.UncompressedSize);
        Assert.Equal("sha256:" + Sh.Run("sha256sum", tarPath).Split(' ')[0], result.DiffId.ToString());
        Assert.True(await LayerStreams.IsTarArchiveAsync(compressed));
    }

    [Fact]
    public async Task An_uncompressed_stream_is_returned_unchanged()
    {
        var (stream, compression) = await LayerStreams.OpenDecompressedAsync(new MemoryStream("plain text"u8.ToArray()));
        Assert.Equal(LayerCompression.None, compression);
        Assert.Equal("plain text", new StreamReader(stream).ReadToEnd());
        var (tiny, c2) = LayerStreams.OpenDecompressed(new MemoryStream([0x1F]));
        Assert.Equal(LayerCompression.None, c2);
        Assert.Equal([0x1F], ReadAll(tiny));
    }

    [Fact]
    public async Task Tar_detection_accepts_tars_and_rejects_other_files()
    {
        string tarPath = await MakeTar();
        Assert.True(await LayerStreams.IsTarArchiveAsync(tarPath));
        string text = Path.Combine(_tmp.Path, "notes.txt");
        File.WriteAllText(text, new string('a', 2000));
        Assert.False(await LayerStreams.IsTarArchiveAsync(text));
        string fakeGzip = Path.Combine(_tmp.Path, "fake.gz");
        File.WriteAllBytes(fakeGzip, [0x1F, 0x8B, 1, 2, 3, 4, 5]);
        Assert.False(await LayerStreams.IsTarArchiveAsync(fakeGzip));
        Sh.Run("gzip", "-k", text);
        Assert.False(await LayerStreams.IsTarArchiveAsync(text + ".gz"));
    }

    private static byte[] ReadAll(Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private sealed class NonSeekable(Stream inner) : Berth.Engine.IO.ForwardReadStream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
