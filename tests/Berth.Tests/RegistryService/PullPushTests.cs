using System.Text.Json;
using System.Text.RegularExpressions;
using Berth.Engine;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Registry;
using Berth.Engine.Services.Registry;
using Berth.Tests.Registry;
using Berth.Tests.Support;
using Service = Berth.Engine.Services.Registry.RegistryService;

namespace Berth.Tests.RegistryService;

/// <summary>pull and push against a real docker-registry on 127.0.0.1: round trips, shared layers, platforms, corruption, resume.</summary>
public class PullPushTests(PlainRegistryFixture fixture) : IClassFixture<PlainRegistryFixture>, IDisposable
{
    readonly LocalRegistry _registry = fixture.Registry;
    readonly TempDirectory _config = new();

    public void Dispose() => _config.Dispose();

    Service ServiceFor(TempStore store, int downloads = 3, int? chunkSize = null) => new(store.Engine.Store, store.Engine.Images, new RegistryServiceOptions
    {
        Client = chunkSize is { } chunk ? _registry.ClientOptions with { ChunkSize = chunk } : _registry.ClientOptions,
        DockerConfigPath = _config.Combine("config.json"),
        MaxConcurrentDownloads = downloads,
    });

    static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Push_rmi_pull_gives_back_the_same_image_with_its_layer_unpacked()
    {
        using var store = new TempStore();
        string name = $"{_registry.Host}/roundtrip/busybox:1";
        var id = await RegistryTestImages.ImportBusyboxAsync(store, name);
        var diffId = store.Engine.Store.Metadata.ImageLayers(id).Single().DiffId;

        var push = await store.CliAsync("push", name);
        Assert.True(push.ExitCode == 0, push.Stderr);
        var pushLines = Lines(push.Stdout);
        Assert.Equal($"The push refers to repository [{_registry.Host}/roundtrip/busybox]", pushLines[0]);
        Assert.Equal($"{diffId.Short}: Preparing", pushLines[1]);
        Assert.Equal($"{diffId.Short}: Pushed", pushLines[2]);
        var match = Regex.Match(pushLines[^1], @"^1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$");
        Assert.True(match.Success, push.Stdout);
        string digest = match.Groups[1].Value;

        var rmi = await store.CliAsync("rmi", "-f", id.ToString());
        Assert.True(rmi.ExitCode == 0, rmi.Stderr);
        Assert.Empty(store.Engine.Images.ListAll());

        var pull = await store.CliAsync("pull", name);
        Assert.True(pull.ExitCode == 0, pull.Stderr);
        var pullLines = Lines(pull.Stdout);
        Assert.Equal("1: Pulling from roundtrip/busybox", pullLines[0]);
        Assert.Contains(pullLines, l => Regex.IsMatch(l, "^[0-9a-f]{12}: Pulling fs layer$"));
        Assert.Contains(pullLines, l => Regex.IsMatch(l, "^[0-9a-f]{12}: Download complete$"));
        Assert.Contains(pullLines, l => Regex.IsMatch(l, "^[0-9a-f]{12}: Pull complete$"));
        Assert.Equal([$"Digest: {digest}", $"Status: Downloaded newer image for {name}", name], pullLines[^3..]);

        Assert.Equal(id, store.Engine.Images.Resolve(name));
        var layer = store.Engine.Store.Metadata.ImageLayers(id).Single();
        Assert.Equal(diffId, layer.DiffId);
        Assert.True(File.Exists(Path.Combine(store.Engine.Store.Snapshots.LayerDirectory(layer.ChainId), "bin", "busybox")));
        // The store keeps layers uncompressed: the downloaded gzip blob is gone once unpacked.
        Assert.Equal(new[] { id, diffId }.Order(), store.Engine.Store.Content.List().Order());

        var images = await store.CliAsync("images", "--digests");
        Assert.Contains(digest, images.Stdout);

        var again = await store.CliAsync("pull", name);
        Assert.Equal([$"Digest: {digest}", $"Status: Image is up to date for {name}", name], Lines(again.Stdout)[^3..]);
        var quiet = await store.CliAsync("pull", "-q", name);
        Assert.Equal(name + "\n", quiet.Stdout);
    }

    [Fact]
    public async Task A_second_image_sharing_a_layer_reports_Layer_already_exists_and_another_repository_mounts_it()
    {
        using var store = new TempStore();
        string baseName = $"{_registry.Host}/shared/app:base", childName = $"{_registry.Host}/shared/app:child";
        var baseId = await RegistryTestImages.ImportBusyboxAsync(store, baseName);
        var childId = await RegistryTestImages.AddLayerImageAsync(store, baseId, new Dictionary<string, byte[]> { ["etc/extra.txt"] = "extra\n"u8.ToArray() }, childName);
        var layers = store.Engine.Store.Metadata.ImageLayers(childId);

        var first = await store.CliAsync("push", baseName);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var second = await store.CliAsync("push", childName);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var lines = Lines(second.Stdout);
        // Docker lists the top layer first.
        Assert.Equal([$"{layers[1].DiffId.Short}: Preparing", $"{layers[0].DiffId.Short}: Preparing"], lines[1..3]);
        Assert.Contains($"{layers[0].DiffId.Short}: Layer already exists", lines);
        Assert.Contains($"{layers[1].DiffId.Short}: Pushed", lines);

        store.Engine.Images.Tag(childName, $"{_registry.Host}/elsewhere/child:1");
        var third = await store.CliAsync("push", $"{_registry.Host}/elsewhere/child:1");
        Assert.True(third.ExitCode == 0, third.Stderr);
        Assert.Contains(Lines(third.Stdout), l => l.StartsWith($"{layers[0].DiffId.Short}: Mounted from shared/", StringComparison.Ordinal));
        Assert.Contains($"{layers[1].DiffId.Short}: Mounted from shared/app", Lines(third.Stdout));
        Assert.Equal(2, store.Engine.Store.Metadata.RepoDigestsOf(childId).Count);

        // push -a: every local tag of the repository, each tag's digest line right after its layers.
        var all = await store.CliAsync("push", "-a", $"{_registry.Host}/shared/app");
        Assert.True(all.ExitCode == 0, all.Stderr);
        var allLines = Lines(all.Stdout);
        int baseLine = Array.FindIndex(allLines, l => l.StartsWith("base: digest: sha256:", StringComparison.Ordinal));
        int childLine = Array.FindIndex(allLines, l => l.StartsWith("child: digest: sha256:", StringComparison.Ordinal));
        Assert.True(baseLine > 0 && childLine > baseLine + 1, all.Stdout);
        Assert.Equal($"{layers[1].DiffId.Short}: Preparing", allLines[baseLine + 1]);
    }

    [Fact]
    public async Task Skopeo_copies_what_berth_pushed_with_identical_digests()
    {
        using var store = new TempStore();
        using var dir = new TempDirectory();
        string name = $"{_registry.Host}/interop/from-berth:1";
        var id = await RegistryTestImages.ImportBusyboxAsync(store, name);
        var result = await ServiceFor(store).PushAsync(name);
        var pushed = result.Tags.Single();

        var inspect = ProcessRunner.Run("skopeo", ["inspect", "--tls-verify=false", $"docker://{name}"]);
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        using (var doc = JsonDocument.Parse(inspect.Stdout))
            Assert.Equal(pushed.ManifestDigest.ToString(), doc.RootElement.GetProperty("Digest").GetString());

        // dir: keeps the manifest as the registry has it: same manifest digest, config (image ID) and layer blobs.
        var copy = ProcessRunner.Run("skopeo", ["copy", "--insecure-policy", "--src-tls-verify=false", $"docker://{name}", $"dir:{dir.Combine("dir")}"]);
        Assert.True(copy.ExitCode == 0, copy.Stderr);
        byte[] manifestBytes = File.ReadAllBytes(dir.Combine("dir", "manifest.json"));
        Assert.Equal(pushed.ManifestDigest, Digest.Of(manifestBytes));
        var manifest = ImageJson.ReadManifest(manifestBytes);
        Assert.Equal(id.ToString(), manifest.Config.Digest);
        Assert.Equal(id, Digest.Of(File.ReadAllBytes(dir.Combine("dir", id.Hex))));
        foreach (var layer in manifest.Layers)
            Assert.Equal(layer.ParsedDigest, Digest.Of(File.ReadAllBytes(dir.Combine("dir", layer.ParsedDigest.Hex))));

        // oci: converts the manifest to OCI (a new manifest digest) but keeps the layer blobs byte for byte.
        var oci = ProcessRunner.Run("skopeo", ["copy", "--insecure-policy", "--src-tls-verify=false", $"docker://{name}", $"oci:{dir.Combine("layout")}:1"]);
        Assert.True(oci.ExitCode == 0, oci.Stderr);
        var index = ImageJson.ReadIndex(File.ReadAllBytes(dir.Combine("layout", "index.json")));
        var ociManifest = ImageJson.ReadManifest(File.ReadAllBytes(dir.Combine("layout", "blobs", "sha256", index.Manifests.Single().ParsedDigest.Hex)));
        Assert.Equal(manifest.Layers.Select(l => l.Digest), ociManifest.Layers.Select(l => l.Digest));
    }

    [Fact]
    public async Task Berth_pulls_what_skopeo_pushed_with_identical_digests()
    {
        using var store = new TempStore();
        using var dir = new TempDirectory();
        // An OCI layout written by hand (Debian's umoci writes truncated layer tars): one gzip and one zstd layer.
        var layers = new[]
        {
            RegistryTestImages.Layer(new Dictionary<string, byte[]> { ["hello.txt"] = "hello from skopeo\n"u8.ToArray() }),
            RegistryTestImages.Layer(new Dictionary<string, byte[]> { ["etc/zstd.txt"] = "zstd layer\n"u8.ToArray() }, "zstd"),
        };
        byte[] config = RegistryTestImages.Config(layers);
        var expected = RegistryTestImages.WriteOciLayout(dir.Combine("layout"), "v1", layers, config);
        string name = $"{_registry.Host}/interop/from-skopeo:v1";
        var copy = ProcessRunner.Run("skopeo", ["copy", "--insecure-policy", "--dest-tls-verify=false", $"oci:{dir.Combine("layout")}:v1", $"docker://{name}"]);
        Assert.True(copy.ExitCode == 0, copy.Stderr);

        var result = await ServiceFor(store).PullAsync(name);
        var image = result.Images.Single();
        Assert.Equal(expected, image.ManifestDigest);
        Assert.Equal(Digest.Of(config), image.ImageId);
        Assert.Contains($"{_registry.Host}/interop/from-skopeo@{expected}", store.Engine.Store.Metadata.RepoDigestsOf(image.ImageId));
        var stored = store.Engine.Store.Metadata.ImageLayers(image.ImageId);
        Assert.Equal("hello from skopeo\n", File.ReadAllText(Path.Combine(store.Engine.Store.Snapshots.LayerDirectory(stored[0].ChainId), "hello.txt")));
        Assert.Equal("zstd layer\n", File.ReadAllText(Path.Combine(store.Engine.Store.Snapshots.LayerDirectory(stored[1].ChainId), "etc", "zstd.txt")));
    }

    [Fact]
    public async Task A_multi_platform_index_pulls_the_platform_asked_for_and_names_the_ones_it_has_otherwise()
    {
        using var client = _registry.CreateClient();
        var amd64Layer = RegistryTestImages.Layer(new Dictionary<string, byte[]> { ["arch"] = "amd64\n"u8.ToArray() });
        var arm64Layer = RegistryTestImages.Layer(new Dictionary<string, byte[]> { ["arch"] = "arm64\n"u8.ToArray() }, "zstd");
        var armLayer = RegistryTestImages.Layer(new Dictionary<string, byte[]> { ["arch"] = "arm\n"u8.ToArray() });
        byte[] amd64Config = RegistryTestImages.Config([amd64Layer]);
        byte[] arm64Config = RegistryTestImages.Config([arm64Layer], "arm64", "v8");
        byte[] armConfig = RegistryTestImages.Config([armLayer], "arm", "v7");
        const string repo = "multi/platform";
        var entries = new List<Descriptor>
        {
            await RegistryTestImages.PushImageAsync(client, repo, null, [amd64Layer], amd64Config, new Platform { Os = "linux", Architecture = "amd64" }),
            await RegistryTestImages.PushImageAsync(client, repo, null, [arm64Layer], arm64Config, new Platform { Os = "linux", Architecture = "arm64", Variant = "v8" }),
            await RegistryTestImages.PushImageAsync(client, repo, null, [armLayer], armConfig, new Platform { Os = "linux", Architecture = "arm", Variant = "v7" }),
        };
        byte[] index = ImageJson.Write(new ImageIndex { MediaType = MediaTypes.OciIndex, Manifests = entries }, ImageJsonContext.Default.ImageIndex);
        await client.PutManifestAsync(repo, "1", index, MediaTypes.OciIndex);
        string name = $"{_registry.Host}/{repo}:1";

        using var store = new TempStore();
        var service = ServiceFor(store);
        var host = await service.PullAsync(name);
        Assert.Equal(Digest.Of(amd64Config), host.Images.Single().ImageId);
        Assert.Equal(Digest.Of(index), host.Images.Single().ManifestDigest);

        var arm64 = await service.PullAsync(name, Platform.Parse("linux/arm64"));
        Assert.Equal(Digest.Of(arm64Config), arm64.Images.Single().ImageId);
        var layer = store.Engine.Store.Metadata.ImageLayers(arm64.Images.Single().ImageId).Single();
        Assert.Equal("arm64\n", File.ReadAllText(Path.Combine(store.Engine.Store.Snapshots.LayerDirectory(layer.ChainId), "arch")));
        Assert.Equal(Digest.Of(arm64Config), store.Engine.Images.Resolve(name));

        var unsupported = await store.CliAsync("pull", "--platform", "linux/s390x", name);
        Assert.NotEqual(0, unsupported.ExitCode);
        Assert.Equal("Error: no matching manifest for linux/s390x in the manifest list entries (available: linux/amd64, linux/arm64, linux/arm/v7)\n", unsupported.Stderr);
    }

    [Fact]
    public async Task A_corrupted_blob_fails_with_a_digest_error_and_leaves_the_store_unchanged()
    {
        using var client = _registry.CreateClient();
        var layers = new[] { RegistryTestImages.RandomLayer("a", 200_000), RegistryTestImages.RandomLayer("b", 200_000), RegistryTestImages.RandomLayer("c", 200_000) };
        await RegistryTestImages.PushImageAsync(client, "corrupt/image", "1", layers, RegistryTestImages.Config(layers));
        using var proxy = new RegistryProxy(_registry);
        string bad = layers[1].BlobDigest.ToString();
        proxy.RewriteBody = (path, body) =>
        {
            if (!path.EndsWith("/blobs/" + bad, StringComparison.Ordinal) || body.Length == 0) return body;
            var copy = body.ToArray();
            copy[copy.Length / 2] ^= 0xff;
            return copy;
        };

        using var store = new TempStore();
        var before = store.DataFiles();
        var error = await Assert.ThrowsAsync<RegistryException>(() => ServiceFor(store).PullAsync($"{proxy.Host}/corrupt/image:1"));
        Assert.StartsWith($"digest mismatch for blob corrupt/image@{bad}", error.Message);

        Assert.Equal(before, store.DataFiles());
        Assert.Empty(store.Engine.Images.ListAll());
        Assert.Empty(store.Engine.Store.Snapshots.ListLayers());
        Assert.Empty(store.Engine.Store.Content.List());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(store.Root, "ingest")));
        Assert.Empty(store.Engine.Store.Metadata.LayerBlobs(layers[0].DiffId));
    }

    [Fact]
    public async Task An_interrupted_pull_resumes_without_downloading_complete_blobs_again()
    {
        using var client = _registry.CreateClient();
        var layers = new[] { RegistryTestImages.RandomLayer("a", 1_000_000), RegistryTestImages.RandomLayer("b", 1_000_000), RegistryTestImages.RandomLayer("c", 1_000_000) };
        byte[] config = RegistryTestImages.Config(layers);
        await RegistryTestImages.PushImageAsync(client, "resume/image", "1", layers, config);
        using var proxy = new RegistryProxy(_registry);
        string name = $"{proxy.Host}/resume/image:1";
        using var store = new TempStore();

        // One download at a time: the first blob completes, the second is cut half way (as a kill would).
        using var cts = new CancellationTokenSource();
        string second = layers[1].BlobDigest.Short;
        var cut = new InlineTestProgress(e =>
        {
            if (e.Id == second && e.Phase == TransferPhase.Downloading && e.Current >= e.Total / 2)
            {
                cts.Cancel();
                throw new OperationCanceledException(cts.Token);
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ServiceFor(store, downloads: 1).PullAsync(name, progress: cut, cancellationToken: cts.Token));
        string Partial(TestLayer layer) => Path.Combine(store.Root, "ingest", $"sha256-{layer.BlobDigest.Hex}.partial");
        Assert.Equal(layers[0].Blob.Length, new FileInfo(Partial(layers[0])).Length); // complete, kept for the next run
        Assert.InRange(new FileInfo(Partial(layers[1])).Length, 1, layers[1].Blob.Length - 1);
        Assert.False(File.Exists(Partial(layers[2])));
        Assert.Empty(store.Engine.Images.ListAll());
        Assert.Empty(store.Engine.Store.Content.List()); // nothing under a digest before it was verified and unpacked

        var result = await ServiceFor(store, downloads: 1).PullAsync(name);
        Assert.Equal(Digest.Of(config), result.Images.Single().ImageId);
        Assert.Equal(3, store.Engine.Store.Metadata.ImageLayers(result.Images.Single().ImageId).Count);

        Assert.Single(proxy.BlobGets(layers[0].BlobDigest.ToString()));
        var resumed = proxy.BlobGets(layers[1].BlobDigest.ToString());
        Assert.Equal(2, resumed.Count);
        Assert.Null(resumed[0].Range);
        Assert.Matches(@"^bytes=[1-9]\d*-$", resumed[1].Range);
        Assert.Single(proxy.BlobGets(layers[2].BlobDigest.ToString()));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(store.Root, "ingest")));
        foreach (var layer in layers) Assert.False(store.Engine.Store.Content.Exists(layer.BlobDigest));
    }

    [Fact]
    public async Task A_pull_process_killed_half_way_completes_when_run_again()
    {
        using var client = _registry.CreateClient();
        var layers = new[] { RegistryTestImages.RandomLayer("a", 500_000), RegistryTestImages.RandomLayer("b", 2_000_000) };
        byte[] config = RegistryTestImages.Config(layers);
        await RegistryTestImages.PushImageAsync(client, "killed/image", "1", layers, config);
        using var proxy = new RegistryProxy(_registry) { StallBlobHalfWay = layers[1].BlobDigest.ToString() };
        string name = $"{proxy.Host}/killed/image:1";
        using var store = new TempStore();

        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { typeof(Berth.Cli.BerthCli).Assembly.Location, "--root", store.Root, "pull", name }) start.ArgumentList.Add(a);
        start.Environment["DOCKER_CONFIG"] = _config.Path;
        using (var process = System.Diagnostics.Process.Start(start)!)
        {
            var halfSent = proxy.HalfSent.Task;
            var exited = process.WaitForExitAsync();
            Assert.Same(halfSent, await Task.WhenAny(halfSent, exited));
            // Give the client a moment to write what it received (all of the first blob, part of the second: layers unpack
            // while they arrive, so the first may still be coming in), then kill it as a power cut or `kill -9` would.
            long Written(TestLayer layer) => new DirectoryInfo(Path.Combine(store.Root, "ingest")).EnumerateFiles($"sha256-{layer.BlobDigest.Hex}.partial").FirstOrDefault()?.Length ?? 0;
            while (Written(layers[1]) == 0 || Written(layers[0]) < layers[0].Blob.Length)
                await Task.Delay(20);
            process.Kill(entireProcessTree: true);
            await exited;
        }
        Assert.Empty(store.Engine.Images.ListAll());

        proxy.StallBlobHalfWay = null;
        var result = await ServiceFor(store).PullAsync(name);
        Assert.Equal(Digest.Of(config), result.Images.Single().ImageId);
        Assert.Single(proxy.BlobGets(layers[0].BlobDigest.ToString()));
        var second = proxy.BlobGets(layers[1].BlobDigest.ToString());
        Assert.Equal(2, second.Count);
        Assert.Matches(@"^bytes=[1-9]\d*-$", second[1].Range);
        // The killed process may leave its unpack's own temporary files (the store checker sweeps those); the downloads are gone.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(store.Root, "ingest"), "*.partial"));
    }

    [Fact]
    public async Task Server_errors_are_retried_and_large_layers_go_up_in_chunks()
    {
        using var store = new TempStore();
        string name = $"{_registry.Host}/retry/busybox:1";
        var id = await RegistryTestImages.ImportBusyboxAsync(store, name);
        var pushed = await ServiceFor(store, chunkSize: 256 * 1024).PushAsync(name);
        using (var client = _registry.CreateClient())
        {
            var manifest = ImageJson.ReadManifest((await client.GetManifestAsync("retry/busybox", "1")).Content);
            Assert.True(manifest.Layers.Single().Size > 256 * 1024, "the layer needs several chunks");
            Assert.Equal(MediaTypes.DockerLayerGzip, manifest.Layers.Single().MediaType);
        }
        store.Engine.Images.Remove(id.ToString(), force: true);

        using var proxy = new RegistryProxy(_registry);
        // The first two requests for every blob answer 503: the client backs off and tries again.
        var failures = new Dictionary<string, int>();
        proxy.Intercept = (method, path, _) =>
        {
            if (!path.Contains("/blobs/", StringComparison.Ordinal)) return null;
            lock (failures)
            {
                failures[path] = failures.GetValueOrDefault(path) + 1;
                return failures[path] <= 2 ? 503 : null;
            }
        };
        var pulled = await ServiceFor(store).PullAsync($"{proxy.Host}/retry/busybox:1");
        Assert.Equal(id, pulled.Images.Single().ImageId);
        Assert.Equal(pushed.Tags.Single().ManifestDigest, pulled.Images.Single().ManifestDigest);
        Assert.All(failures.Values, count => Assert.Equal(3, count));
    }

    sealed class InlineTestProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
