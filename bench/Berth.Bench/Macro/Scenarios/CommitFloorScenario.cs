using System.Diagnostics;
using Berth.Engine.Layers;

namespace Berth.Bench.Macro.Scenarios;

/// <summary>
/// Packing a 500 MB layer: Berth's layer writer (what `commit` and the builder run: tar + sha256 in one pass, to a file)
/// against the floor `tar -cf - | tee layer.tar | sha256sum`.
/// </summary>
public sealed class CommitFloorScenario : IScenario
{
    public string Name => "commit of a 500 MB layer (tar + sha256)";

    public ScenarioResult Run(BenchEnvironment env)
    {
        string dir = Path.Combine(env.WorkDirectory, "commit-source");
        string output = Path.Combine(env.WorkDirectory, "commit-layer.tar");
        try
        {
            TestData.WriteTree(dir, files: (int)(2000 * env.Scale), bytesPerFile: 256 * 1024);
            var (b, r) = env.Timer.Measure(
                () =>
                {
                    var clock = Stopwatch.StartNew();
                    using (var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
                        LayerDiffer.WriteTarAsync(dir, file).GetAwaiter().GetResult();
                    return clock.Elapsed.TotalMilliseconds;
                },
                () => CommandRunner.Shell($"tar -cf - -C '{dir}' . | tee '{output}' | sha256sum >/dev/null").Milliseconds);
            return new ScenarioResult
            {
                Name = Name, Reference = "tar + sha256sum", Unit = "ms", BerthMedian = b.Median, ReferenceMedian = r!.Median,
                TargetKind = TargetKind.Ratio, Target = 1.3, Repetitions = env.Repetitions,
            };
        }
        finally
        {
            File.Delete(output);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
