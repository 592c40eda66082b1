using System.Diagnostics;
using System.Text.Json;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Registry;

namespace Berth.Tests.Registry;

/// <summary>The client and skopeo (containers/image) agree on what is in a real registry.</summary>
public class InteropTests(PlainRegistryFixture fixture) : IClassFixture<PlainRegistryFixture>
{
    readonly LocalRegistry _registry = fixture.Registry;

    static async Task<string> RunAsync(string tool, string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(LocalRegistry.FindTool(tool)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    [Fact]
    public async Task Skopeo_sees_the_manifest_digest_the_client_pushed()
    {
        using var client = _registry.CreateClient();
        var image = TestImage.Create();
        await image.PushAsync(client, "interop/pushed", "v1");

        string json = await RunAsync("skopeo", null, "inspect", "--tls-verify=false", $"docker://{_registry.Host}/interop/pushed:v1");
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(image.ManifestDigest.ToString(), doc.RootElement.GetProperty("Digest").GetString());
        Assert.Equal(image.LayerDigest.ToString(), doc.RootElement.GetProperty("Layers")[0].GetString());
    }

    [Fact]
    public async Task An_oci_layout_copied_by_skopeo_is_fetched_with_verified_digests()
    {
        string dir = Directory.CreateTempSubdirectory("berth-oci-").FullName;
        try
        {
            await RunAsync("umoci", dir, "init", "--layout", "layout");
            await RunAsync("umoci", dir, "new", "--image", "layout:v1");
            File.WriteAllText(Path.Combine(dir, "hello.txt"), "hello from an OCI layout\n");
            await RunAsync("umoci", dir, "insert", "--image", "layout:v1", "hello.txt", "/hello.txt");
            var index = ImageJson.ReadIndex(File.ReadAllBytes(Path.Combine(dir, "layout", "index.json")));
            var expected = index.Manifests.Single();

            await RunAsync("skopeo", dir, "copy", "--insecure-policy", "--dest-tls-verify=false",
                $"oci:{Path.Combine(dir, "layout")}:v1", $"docker://{_registry.Host}/interop/oci:v1");

            using var client = _registry.CreateClient();
            var fetched = await client.GetManifestAsync("interop/oci", "v1");
            Assert.Equal(expected.Digest, fetched.Digest.ToString());
            Assert.Equal(MediaTypes.OciManifest, fetched.MediaType);
            var manifest = ImageJson.ReadManifest(fetched.Content);
            Assert.NotEmpty(manifest.Layers);
            foreach (var blob in manifest.Layers.Append(manifest.Config))
            {
                using var sink = new MemoryStream();
                await client.DownloadBlobAsync("interop/oci", blob, sink); // throws on a digest or size mismatch
                string onDisk = Path.Combine(dir, "layout", "blobs", "sha256", blob.ParsedDigest.Hex);
                Assert.Equal(File.ReadAllBytes(onDisk), sink.ToArray());
                Assert.Equal(blob.ParsedDigest, Digest.Of(sink.ToArray()));
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
