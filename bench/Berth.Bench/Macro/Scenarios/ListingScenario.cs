using System.Formats.Tar;

namespace Berth.Bench.Macro.Scenarios;

/// <summary>`images` with 500 images, or `ps -a` with 500 containers, against Docker with the same population.</summary>
public sealed class ListingScenario(bool containers) : IScenario
{
    const int Count = 500;
    public string Name => containers ? $"ps -a with {Count} containers" : $"images with {Count} images";

    public ScenarioResult Run(BenchEnvironment env)
    {
        if (containers && !env.HasVerb("create")) return ScenarioResult.NotRun(Name, "docker", TargetKind.Ratio, 0.5, "ms", "berth create not built yet");
        var docker = env.Docker(out string? why);
        if (docker is null) return ScenarioResult.NotRun(Name, "docker", TargetKind.Ratio, 0.5, "ms", why!);
        string root = env.NewRoot(containers ? "ps" : "images");
        try
        {
            if (containers)
            {
                env.Berth(root, "import", env.BusyboxTar, "busybox:bench");
                docker.CheckWithInput(env.BusyboxTar, "import", "-", "busybox:bench");
                docker.Run("container", "prune", "-f");
                for (int i = 0; i < Count; i++)
                {
                    env.Berth(root, "create", "--network", "none", "busybox:bench", "true");
                    docker.Check("create", "--network", "none", "busybox:bench", "true");
                }
            }
            else
            {
                string tar = Path.Combine(env.WorkDirectory, "tiny.tar");
                for (int i = 0; i < Count; i++)
                {
                    WriteTinyRootfs(tar, i);
                    env.Berth(root, "import", tar, $"bench/img{i}:v1");
                    docker.CheckWithInput(tar, "import", "-", $"bench/img{i}:v1");
                }
            }
            string[] verb = containers ? ["ps", "-a"] : ["images"];
            var (b, r) = env.Timer.Measure(() => env.Berth(root, verb).Milliseconds, () => docker.Check(verb).Milliseconds);
            return new ScenarioResult
            {
                Name = Name, Reference = "docker", Unit = "ms", BerthMedian = b.Median, ReferenceMedian = r!.Median, TargetKind = TargetKind.Ratio,
                Target = 0.5, Repetitions = env.Repetitions,
            };
        }
        catch (BenchmarkFailedException e)
        {
            return ScenarioResult.NotRun(Name, "docker", TargetKind.Ratio, 0.5, "ms", e.Message);
        }
        finally
        {
            if (containers) docker.Run("container", "prune", "-f");
            BenchEnvironment.RemoveRoot(root);
        }
    }

    /// <summary>A one-file root file system whose content differs per index, so each import is a distinct image.</summary>
    static void WriteTinyRootfs(string path, int index)
    {
        using var file = File.Create(path);
        using var writer = new TarWriter(file, TarEntryFormat.Pax);
        var entry = new PaxTarEntry(TarEntryType.RegularFile, "etc/bench-id") { DataStream = new MemoryStream(System.Text.Encoding.ASCII.GetBytes($"{index}\n")) };
        writer.WriteEntry(entry);
    }
}
