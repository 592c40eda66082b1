using BenchmarkDotNet.Attributes;
using Berth.Engine.Layers;

namespace Berth.Bench.Micro;

/// <summary>Packing a directory into a layer tar (with its diff ID) and applying a tar to a directory: 64 MB in 512 files.</summary>
[MemoryDiagnoser]
public class LayerTarBenchmarks
{
    string _work = "";
    string _source = "";
    byte[] _tar = [];

    [GlobalSetup]
    public void Setup()
    {
        _work = Path.Combine("/var/tmp", "berth-micro-" + Environment.ProcessId);
        _source = Path.Combine(_work, "source");
        Macro.TestData.WriteTree(_source, files: 512, bytesPerFile: 128 * 1024);
        using var memory = new MemoryStream();
        LayerDiffer.WriteTarAsync(_source, memory).GetAwaiter().GetResult();
        _tar = memory.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_work, recursive: true);

    [Benchmark]
    public async Task<long> Pack()
    {
        var result = await LayerDiffer.WriteTarAsync(_source, Stream.Null);
        return result.Size;
    }

    [Benchmark]
    public async Task Unpack()
    {
        string target = Path.Combine(_work, "unpack");
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.CreateDirectory(target);
        await LayerApplier.ApplyAsync(new MemoryStream(_tar, writable: false), target);
    }
}
