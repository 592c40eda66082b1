using System.Text.Json;
using Berth.Engine.Services.Images;
using Berth.Tests.Support;

namespace Berth.Tests.Services;

/// <summary>Round trips of saved and loaded images with real tools: skopeo and Docker 20.10.</summary>
public class ImageInteropTests
{
    static async Task<Berth.Engine.Content.Digest> ImportBusyboxAsync(TempStore store)
    {
        await using var tar = File.OpenRead(BusyboxRootfs.TarPath);
        return await store.Engine.Images.ImportAsync(tar, new ImportOptions("busybox.tar", ["CMD [\"sh\"]"], null, null, "busybox:latest"));
    }

    [Fact]
    public async Task Skopeo_copies_a_berth_archive_to_an_oci_layout_with_the_same_layer_digests()
    {
        using var store = new TempStore();
        using var dir = new TempDirectory();
        var id = await ImportBusyboxAsync(store);
        string archive = dir.Combine("berth.tar");
        await using (var file = File.Create(archive)) await store.Engine.Images.SaveAsync(["busybox"], file);
        ProcessRunner.Check("skopeo", "copy", "--quiet", "--dest-oci-accept-uncompressed-layers", "docker-archive:" + archive, "oci:" + dir.Combine("oci") + ":busybox");
        var index = JsonDocument.Parse(File.ReadAllText(dir.Combine("oci", "index.json")));
        string manifestDigest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        var manifest = JsonDocument.Parse(File.ReadAllText(dir.Combine("oci", "blobs", "sha256", manifestDigest[7..])));
        var config = await store.Engine.Images.ReadConfigAsync(id);
        var layerDigests = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!).ToList();
        Assert.Equal(config.RootFs.DiffIds, layerDigests);
        // skopeo rewrites the config into its OCI form, so only the layers are byte-identical.
        string ociConfig = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        var ociDiffIds = JsonDocument.Parse(File.ReadAllText(dir.Combine("oci", "blobs", "sha256", ociConfig[7..]))).RootElement
            .GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()!).ToList();
        Assert.Equal(config.RootFs.DiffIds, ociDiffIds);
    }

    [Fact]
    public async Task An_oci_archive_made_by_skopeo_loads_with_the_image_id_of_its_config()
    {
        using var source = new TempStore();
        using var target = new TempStore();
        using var dir = new TempDirectory();
        await ImportBusyboxAsync(source);
        string archive = dir.Combine("berth.tar");
        await using (var file = File.Create(archive)) await source.Engine.Images.SaveAsync(["busybox"], file);
        // skopeo gzips the layers in the OCI archive: the load must decompress them and still match the diff IDs.
        ProcessRunner.Check("skopeo", "copy", "--quiet", "docker-archive:" + archive, "oci-archive:" + dir.Combine("oci.tar") + ":docker.io/library/busybox:latest");
        ProcessRunner.Check("tar", "-xf", dir.Combine("oci.tar"), "-C", dir.Path, "index.json");
        string manifestDigest = JsonDocument.Parse(File.ReadAllText(dir.Combine("index.json"))).RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        string manifestText = ProcessRunner.Check("tar", "-xOf", dir.Combine("oci.tar"), "blobs/sha256/" + manifestDigest[7..]);
        string configDigest = JsonDocument.Parse(manifestText).RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        await using var oci = File.OpenRead(dir.Combine("oci.tar"));
        var result = await target.Engine.Images.LoadAsync(oci, "oci.tar");
        Assert.Equal(["Loaded image: busybox:latest"], result.Lines);
        Assert.Equal(configDigest, target.Engine.Images.Resolve("busybox:latest").ToString());
    }

    [Fact]
    public async Task Docker_loads_a_berth_archive_and_berth_loads_a_docker_archive_with_the_same_ids()
    {
        using var store = new TempStore();
        using var dir = new TempDirectory();
        using var docker = new DockerDaemon();
        var id = await ImportBusyboxAsync(store);
        string berthArchive = dir.Combine("berth.tar");
        await using (var file = File.Create(berthArchive)) await store.Engine.Images.SaveAsync(["busybox"], file);
        Assert.Contains("Loaded image: busybox:latest", docker.Check("load", "-i", berthArchive));
        Assert.Equal(id.ToString(), docker.Check("image", "inspect", "-f", "{{.Id}}", "busybox:latest").Trim());

        docker.Check("tag", "busybox:latest", "from-docker:1");
        string dockerArchive = dir.Combine("docker.tar");
        docker.Check("save", "-o", dockerArchive, "from-docker:1");
        using var other = new TempStore();
        await using var saved = File.OpenRead(dockerArchive);
        var result = await other.Engine.Images.LoadAsync(saved, "docker.tar");
        Assert.Equal(["Loaded image: from-docker:1"], result.Lines);
        Assert.Equal(id, other.Engine.Images.Resolve("from-docker:1"));
    }
}
