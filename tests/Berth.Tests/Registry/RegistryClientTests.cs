using System.Net;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Registry;

namespace Berth.Tests.Registry;

/// <summary>The client against a real plain-HTTP docker-registry on 127.0.0.1.</summary>
public class RegistryClientTests(PlainRegistryFixture fixture) : IClassFixture<PlainRegistryFixture>
{
    readonly LocalRegistry _registry = fixture.Registry;

    static string Repo(string name) => $"test/{name}-{Guid.NewGuid():N}"[..40].TrimEnd('-');

    [Fact]
    public async Task Ping_of_an_open_registry_needs_no_auth()
    {
        using var client = _registry.CreateClient();
        Assert.Equal("http://" + _registry.Host + "/", client.Endpoint.BaseUri.ToString());
        var ping = await client.PingAsync();
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.False(ping.AuthRequired);
    }

    [Fact]
    public async Task Monolithic_blob_and_manifest_push_reads_back_identical()
    {
        using var client = _registry.CreateClient();
        var image = TestImage.Create();
        string repo = Repo("mono");
        await image.PushAsync(client, repo, "v1");

        var manifest = await client.GetManifestAsync(repo, "v1");
        Assert.Equal(image.ManifestBytes, manifest.Content);
        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
        Assert.Equal(image.ManifestDigest, manifest.Digest);
        Assert.Equal(image.ManifestDigest.ToString(), manifest.DigestHeader);

        var byDigest = await client.GetManifestAsync(repo, image.ManifestDigest.ToString());
        Assert.Equal(image.ManifestBytes, byDigest.Content);

        var head = await client.HeadManifestAsync(repo, "v1");
        Assert.NotNull(head);
        Assert.Equal(image.ManifestDigest.ToString(), head.Digest);
        Assert.Equal(image.ManifestBytes.Length, head.Size);

        using var layer = new MemoryStream();
        await client.DownloadBlobAsync(repo, image.LayerDescriptor, layer);
        Assert.Equal(image.Layer, layer.ToArray());
    }

    [Fact]
    public async Task Chunked_upload_sends_patches_and_the_blob_reads_back()
    {
        var options = _registry.ClientOptions with { ChunkSize = 1000 };
        using var client = _registry.CreateClient(options: options);
        var image = TestImage.Create(layerSize: 4500);
        string repo = Repo("chunked");
        var reports = new List<long>();
        await client.UploadBlobAsync(repo, image.LayerDigest, image.Layer.Length, new MemoryStream(image.Layer), new SyncProgress(reports.Add));
        Assert.Equal([1000L, 2000, 3000, 4000, 4500], reports);

        Assert.True(await client.BlobExistsAsync(repo, image.LayerDigest));
        using var back = new MemoryStream();
        await client.DownloadBlobAsync(repo, image.LayerDescriptor, back);
        Assert.Equal(image.Layer, back.ToArray());
    }

    [Fact]
    public async Task Blob_exists_is_false_for_a_missing_blob()
    {
        using var client = _registry.CreateClient();
        Assert.False(await client.BlobExistsAsync(Repo("none"), Digest.Of("nothing here")));
    }

    [Fact]
    public async Task Missing_manifest_says_manifest_unknown_with_repo_and_tag()
    {
        using var client = _registry.CreateClient();
        var image = TestImage.Create();
        string repo = Repo("missing");
        await image.PushAsync(client, repo, "v1");
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(repo, "nope"));
        Assert.Equal($"manifest unknown: {repo}:nope not found", e.Message);
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Null(await client.HeadManifestAsync(repo, "nope"));
    }

    [Fact]
    public async Task Cross_repository_mount_links_an_existing_blob()
    {
        using var client = _registry.CreateClient();
        var image = TestImage.Create();
        string from = Repo("mountsrc"), to = Repo("mountdst");
        await image.PushAsync(client, from, "v1");
        Assert.False(await client.BlobExistsAsync(to, image.LayerDigest));
        Assert.True(await client.MountBlobAsync(to, image.LayerDigest, from));
        Assert.True(await client.BlobExistsAsync(to, image.LayerDigest));
        // A blob the source does not have cannot be mounted: the caller uploads instead.
        Assert.False(await client.MountBlobAsync(to, Digest.Of("not pushed anywhere"), from));
    }

    [Fact]
    public async Task Corrupted_blob_in_storage_fails_with_digest_mismatch()
    {
        using var client = _registry.CreateClient();
        var image = TestImage.Create();
        string repo = Repo("corrupt");
        await image.PushAsync(client, repo, "v1");
        byte[] bad = (byte[])image.Layer.Clone();
        bad[100] ^= 0xff;
        File.WriteAllBytes(_registry.BlobDataPath(image.LayerDigest), bad);

        using var sink = new MemoryStream();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.DownloadBlobAsync(repo, image.LayerDescriptor, sink));
        Assert.StartsWith("digest mismatch", e.Message);
        Assert.Contains($"expected {image.LayerDigest}, got {Digest.Of(bad)}", e.Message);
    }

    [Fact]
    public async Task Download_resumes_from_an_offset_with_a_range_request()
    {
        using var client = _registry.CreateClient();
        var image = TestImage.Create(layerSize: 10_000);
        string repo = Repo("resume");
        await image.PushAsync(client, repo, "v1");

        using var partial = new MemoryStream();
        partial.Write(image.Layer, 0, 6000);
        long last = 0;
        await client.DownloadBlobAsync(repo, image.LayerDescriptor, partial, 6000, new SyncProgress(n => last = n));
        Assert.Equal(image.Layer, partial.ToArray());
        Assert.Equal(10_000, last);
    }

    [Fact]
    public async Task Resume_with_a_wrong_prefix_is_caught_by_the_digest()
    {
        using var client = _registry.CreateClient();
        var image = TestImage.Create(layerSize: 3000);
        string repo = Repo("badprefix");
        await image.PushAsync(client, repo, "v1");
        using var partial = new MemoryStream();
        partial.Write(new byte[1000]);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.DownloadBlobAsync(repo, image.LayerDescriptor, partial, 1000));
        Assert.StartsWith("digest mismatch", e.Message);
    }

    [Fact]
    public async Task Tags_are_listed()
    {
        using var client = _registry.CreateClient();
        var image = TestImage.Create();
        string repo = Repo("tags");
        await image.PushAsync(client, repo, "a");
        await client.PutManifestAsync(repo, "b", image.ManifestBytes, MediaTypes.OciManifest);
        Assert.Equal(["a", "b"], (await client.ListTagsAsync(repo)).Order());
    }

    [Fact]
    public async Task Connection_refused_names_the_host()
    {
        int port = LocalRegistry.FreePort();
        using var client = new RegistryClient($"127.0.0.1:{port}", options: _registry.ClientOptions);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.PingAsync());
        Assert.Equal($"cannot reach registry 127.0.0.1:{port}: connection refused (127.0.0.1:{port})", e.Message);
    }

    [Fact]
    public async Task Unknown_host_names_the_host()
    {
        using var client = new RegistryClient("no-such-host.invalid", options: _registry.ClientOptions);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.PingAsync());
        Assert.Equal("cannot reach registry no-such-host.invalid: unknown host no-such-host.invalid", e.Message);
    }
}

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SyncProgress(Action<long> report) : IProgress<long>
{
    public void Report(long value) => report(value);
}
