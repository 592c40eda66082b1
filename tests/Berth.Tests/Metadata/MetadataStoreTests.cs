using Berth.Engine.Content;
using Berth.Engine.Metadata;
using Berth.Engine.Snapshots;
using Berth.Tests.Support;

namespace Berth.Tests.Metadata;

public class MetadataStoreTests
{
    static (ImageRecord, List<LayerRecord>) Image(string configText, params string[] layerTexts)
    {
        var layers = new List<LayerRecord>();
        Digest? parent = null;
        foreach (var text in layerTexts)
        {
            var diff = Digest.Of(text);
            var chain = ChainId.Next(parent, diff);
            layers.Add(new LayerRecord(chain, diff, parent, text.Length));
            parent = chain;
        }
        return (new ImageRecord(Digest.Of(configText), "2024-01-01T00:00:00Z", null, DateTimeOffset.UtcNow), layers);
    }

    [Fact]
    public void Image_size_is_the_sum_of_its_layers_and_tags_list_with_it()
    {
        using var dir = new TempDirectory();
        var store = new MetadataStore(dir.Combine("berth.db"));
        var (image, layers) = Image("config", "aaaa", "bb");
        store.AddImage(image, layers);
        store.SetTag("docker.io/library/busybox:latest", image.Id);
        var row = Assert.Single(store.ListImages());
        Assert.Equal(6, row.Size);
        Assert.Equal(["docker.io/library/busybox:latest"], row.Tags);
        Assert.Equal(layers.Select(l => l.ChainId), store.ImageLayers(image.Id).Select(l => l.ChainId));
    }

    [Fact]
    public void Deleting_an_image_frees_only_layers_no_other_image_shares()
    {
        using var dir = new TempDirectory();
        var store = new MetadataStore(dir.Combine("berth.db"));
        var (a, aLayers) = Image("a", "base", "a-top");
        var (b, bLayers) = Image("b", "base", "b-top");
        store.AddImage(a, aLayers);
        store.AddImage(b, bLayers);
        var freed = store.Write((c, t) => store.DeleteImage(a.Id, c, t));
        Assert.Equal([aLayers[1].ChainId], freed.Select(l => l.ChainId));
        freed = store.Write((c, t) => store.DeleteImage(b.Id, c, t));
        Assert.Equal(new[] { bLayers[1].ChainId, bLayers[0].ChainId }.Order(), freed.Select(l => l.ChainId).Order());
        Assert.Empty(store.ListImages());
    }

    [Fact]
    public void Retagging_returns_the_image_the_tag_pointed_at_before()
    {
        using var dir = new TempDirectory();
        var store = new MetadataStore(dir.Combine("berth.db"));
        var (a, al) = Image("a", "x");
        var (b, bl) = Image("b", "y");
        store.AddImage(a, al);
        store.AddImage(b, bl);
        Assert.Null(store.SetTag("r:1", a.Id));
        Assert.Equal(a.Id, store.SetTag("r:1", b.Id));
        Assert.Equal(b.Id, store.ResolveTag("r:1"));
    }

    [Fact]
    public void Short_id_prefix_finds_images_by_hex_prefix()
    {
        using var dir = new TempDirectory();
        var store = new MetadataStore(dir.Combine("berth.db"));
        var (a, al) = Image("a", "x");
        store.AddImage(a, al);
        Assert.Equal([a.Id], store.FindImagesByPrefix(a.Id.Hex[..4]));
        Assert.Empty(store.FindImagesByPrefix("zz"));
    }

    [Fact]
    public async Task Concurrent_tag_writers_from_many_connections_lose_no_update()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("berth.db");
        var store = new MetadataStore(path);
        var (a, al) = Image("a", "x");
        store.AddImage(a, al);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            var own = new MetadataStore(path);
            for (int i = 0; i < 25; i++) own.SetTag($"docker.io/library/t{w}:{i}", a.Id);
        })));
        Assert.Equal(200, store.TagsOf(a.Id).Count);
    }
    [Fact]
    public void The_queries_of_one_read_see_one_state_of_the_database()
    {
        using var dir = new TempDirectory();
        var store = new MetadataStore(dir.Combine("berth.db"));
        var (image, layers) = Image("config", "aaaa");
        store.AddImage(image, layers);
        var (before, after) = store.Read(c =>
        {
            long first = (long)c.Scalar("SELECT count(*) FROM tags")!;
            store.SetTag("docker.io/library/busybox:latest", image.Id); // another connection's commit, meanwhile
            return (first, (long)c.Scalar("SELECT count(*) FROM tags")!);
        });
        Assert.Equal((0L, 0L), (before, after));
        Assert.Equal(["docker.io/library/busybox:latest"], Assert.Single(store.ListImages()).Tags);
    }
}
