using BenchmarkDotNet.Attributes;
using Berth.Engine.Content;
using Berth.Engine.Metadata;

namespace Berth.Bench.Micro;

/// <summary>Metadata queries on a store of 10,000 images (3 layers each, one tag each): what `images` and name resolution cost.</summary>
public class MetadataBenchmarks
{
    string _directory = "";
    MetadataStore _store = null!;
    const int Images = 10_000;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine("/var/tmp", "berth-micro-db-" + Environment.ProcessId);
        Directory.CreateDirectory(_directory);
        _store = new MetadataStore(Path.Combine(_directory, "berth.db"));
        _store.Write((c, t) =>
        {
            for (int i = 0; i < Images; i++)
            {
                var layers = new List<LayerRecord>();
                Digest? parent = null;
                for (int l = 0; l < 3; l++)
                {
                    var diff = Digest.Of($"layer {i} {l}");
                    var chain = parent is null ? diff : Digest.Of($"{parent} {diff}");
                    layers.Add(new LayerRecord(chain, diff, parent, 1000));
                    parent = chain;
                }
                var id = Digest.Of($"image {i}");
                _store.AddImage(new ImageRecord(id, "2024-01-01T00:00:00Z", null, DateTimeOffset.UnixEpoch.AddSeconds(i)), layers, c, t);
                _store.SetTag($"docker.io/library/img{i}:latest", id, c, t);
            }
        });
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark]
    public int ListImages() => _store.ListImages().Count;

    [Benchmark]
    public Digest? ResolveTag() => _store.ResolveTag("docker.io/library/img5000:latest");

    [Benchmark]
    public int FindByPrefix() => _store.FindImagesByPrefix(Digest.Of("image 7777").Hex[..8]).Count;
}
