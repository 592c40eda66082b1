using System.Formats.Tar;
using System.Text;
using Berth.Engine;
using Berth.Engine.Content;
using Berth.Tests.Support;

namespace Berth.Tests.Hostile;

/// <summary>Hostile image archives through `load`: a clear error, no file outside the archive read, the store unchanged.</summary>
public sealed class HostileArchiveTests : IDisposable
{
    readonly TempStore _store = new();
    readonly TempDirectory _outside = new();

    public void Dispose() { _store.Dispose(); _outside.Dispose(); }

    static byte[] Archive(params (string Name, byte[] Data)[] files)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, data) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        return ms.ToArray();
    }

    static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    static byte[] LayerTar()
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "hello") { DataStream = new MemoryStream(Utf8("hi")) });
        return ms.ToArray();
    }

    static byte[] Config(Digest diffId) => Utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}");

    async Task<InvalidInputException> LoadRefusedAsync(byte[] archive)
    {
        var before = StoreState.Of(_store.Root);
        var e = await Assert.ThrowsAnyAsync<InvalidInputException>(() => _store.Engine.Images.LoadAsync(new MemoryStream(archive), "hostile.tar"));
        await StoreState.AssertUnchangedAsync(_store, before);
        Assert.Empty(_store.Engine.Images.ListAll());
        return e;
    }

    [Fact]
    public async Task Path_traversal_in_manifest_json_is_refused_even_when_the_target_exists()
    {
        var layer = LayerTar();
        // Real, valid files outside the archive: a loader that followed the paths would load them.
        System.IO.File.WriteAllBytes(_outside.Combine("config.json"), Config(Digest.Of(layer)));
        System.IO.File.WriteAllBytes(_outside.Combine("layer.tar"), layer);
        string up = string.Concat(Enumerable.Repeat("../", 12)) + _outside.Path.TrimStart('/');
        var configOutside = Archive(("manifest.json", Utf8($$"""[{"Config":"{{up}}/config.json","RepoTags":["evil:1"],"Layers":["layer.tar"]}]""")), ("layer.tar", layer));
        Assert.Contains("points outside the archive", (await LoadRefusedAsync(configOutside)).Message);

        var layerOutside = Archive(("manifest.json", Utf8($$"""[{"Config":"c.json","RepoTags":["evil:1"],"Layers":["{{up}}/layer.tar"]}]""")), ("c.json", Config(Digest.Of(layer))));
        Assert.Contains("points outside the archive", (await LoadRefusedAsync(layerOutside)).Message);

        var absolute = Archive(("manifest.json", Utf8($$"""[{"Config":"{{_outside.Combine("config.json")}}","RepoTags":["evil:1"],"Layers":["layer.tar"]}]""")), ("layer.tar", layer));
        var e = await LoadRefusedAsync(absolute);
        Assert.True(e.Message.Contains("points outside the archive") || e.Message.Contains("not found") || e.Message.Contains("missing"), e.Message);
    }

    [Fact]
    public async Task An_archive_entry_that_climbs_out_is_refused()
    {
        string name = string.Concat(Enumerable.Repeat("../", 12)) + _outside.Path.TrimStart('/') + "/dropped";
        var e = await LoadRefusedAsync(Archive(("manifest.json", Utf8("[]")), (name, Utf8("x"))));
        Assert.False(System.IO.File.Exists(_outside.Combine("dropped")), e.Message);
    }

    [Fact]
    public async Task An_oci_manifest_whose_config_digest_does_not_match_is_refused()
    {
        var layer = LayerTar();
        var layerDigest = Digest.Of(layer);
        var config = Config(layerDigest);
        var claimed = Digest.Of(Utf8("some other config"));
        var manifest = Utf8($$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{claimed}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layerDigest}}","size":{{layer.Length}}}]}""");
        var manifestDigest = Digest.Of(manifest);
        var index = Utf8($$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{manifestDigest}}","size":{{manifest.Length}}}]}""");
        var archive = Archive(("oci-layout", Utf8("""{"imageLayoutVersion":"1.0.0"}""")), ("index.json", index),
            ("blobs/sha256/" + manifestDigest.Hex, manifest), ("blobs/sha256/" + claimed.Hex, config), ("blobs/sha256/" + layerDigest.Hex, layer));
        var e = await LoadRefusedAsync(archive);
        Assert.Contains($"blobs/sha256/{claimed.Hex} does not match its digest {claimed}", e.Message);
    }

    [Fact]
    public async Task An_oci_layer_whose_content_does_not_match_its_digest_is_refused()
    {
        var layer = LayerTar();
        var claimed = Digest.Of(Utf8("not the layer"));
        var config = Config(Digest.Of(layer));
        var configDigest = Digest.Of(config);
        var manifest = Utf8($$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{claimed}}","size":{{layer.Length}}}]}""");
        var manifestDigest = Digest.Of(manifest);
        var index = Utf8($$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{manifestDigest}}","size":{{manifest.Length}}}]}""");
        var archive = Archive(("oci-layout", Utf8("""{"imageLayoutVersion":"1.0.0"}""")), ("index.json", index),
            ("blobs/sha256/" + manifestDigest.Hex, manifest), ("blobs/sha256/" + configDigest.Hex, config), ("blobs/sha256/" + claimed.Hex, layer));
        var e = await LoadRefusedAsync(archive);
        Assert.Contains("digest", e.Message);
    }
}
