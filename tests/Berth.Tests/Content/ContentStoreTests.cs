using Berth.Engine;
using Berth.Engine.Content;
using Berth.Tests.Support;

namespace Berth.Tests.Content;

public class ContentStoreTests
{
    [Fact]
    public async Task Ingested_blob_is_stored_under_its_sha256_and_reads_back()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        var digest = await store.WriteAsync("hello"u8.ToArray());
        Assert.Equal(Digest.Of("hello"), digest);
        Assert.True(File.Exists(dir.Combine("blobs", "sha256", digest.Hex)));
        Assert.Equal("hello"u8.ToArray(), await store.ReadAllBytesAsync(digest));
        Assert.Empty(Directory.GetFiles(dir.Combine("ingest")));
    }

    [Fact]
    public async Task A_blob_that_does_not_match_the_expected_digest_is_refused_and_leaves_nothing()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        var wrong = Digest.Of("something else");
        await Assert.ThrowsAsync<InvalidInputException>(() => store.WriteAsync("hello"u8.ToArray(), wrong));
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetFiles(dir.Combine("ingest")));
    }

    [Fact]
    public async Task An_uncommitted_writer_leaves_no_blob_and_no_ingest_file()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        await using (var writer = store.CreateWriter())
            await writer.WriteAsync("partial"u8.ToArray());
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetFiles(dir.Combine("ingest")));
    }

    [Fact]
    public async Task Concurrent_writers_of_the_same_content_both_succeed_with_one_blob()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        var data = new byte[3 << 20];
        new Random(1).NextBytes(data);
        var digests = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.WriteAsync(data))));
        Assert.Single(digests.Distinct());
        Assert.Single(store.List());
        Assert.Equal(data.Length, store.SizeOf(digests[0]));
    }

    [Fact]
    public void Reading_a_missing_blob_names_the_digest()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        var e = Assert.Throws<NotFoundException>(() => store.OpenRead(Digest.Of("x")));
        Assert.Contains(Digest.Of("x").ToString(), e.Message);
    }
}
