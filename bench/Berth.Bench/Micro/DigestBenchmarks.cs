using BenchmarkDotNet.Attributes;
using Berth.Engine.Content;

namespace Berth.Bench.Micro;

/// <summary>sha256 of a 64 MB stream, as every blob ingest computes it.</summary>
public class DigestBenchmarks
{
    byte[] _data = [];

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[64 << 20];
        new Random(1).NextBytes(_data);
    }

    [Benchmark]
    public Task<Digest> Sha256OfStream() => Digest.OfStreamAsync(new MemoryStream(_data, writable: false));
}
