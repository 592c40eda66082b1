namespace Berth.Bench.Macro.Scenarios;

/// <summary>`save` or `load` of a 1 GB image (busybox plus a 1 GB layer of random files), against Docker.</summary>
public sealed class SaveLoadScenario(bool load) : IScenario
{
    public string Name => load ? "load of a 1 GB image" : "save of a 1 GB image";

    public ScenarioResult Run(BenchEnvironment env)
    {
        var docker = env.Docker(out string? why);
        if (docker is null) return ScenarioResult.NotRun(Name, "docker", TargetKind.Ratio, 0.7, "ms", why!);
        string root = env.NewRoot(load ? "load" : "save");
        // Named by its size: the work directory outlives a run, and a --scale 1 run must never reuse a smaller one.
        string archive = Path.Combine(env.WorkDirectory, $"big-image-{(int)(1000 * env.Scale)}MiB.tar");
        string berthOut = Path.Combine(env.WorkDirectory, "berth-save.tar");
        string dockerOut = Path.Combine(env.WorkDirectory, "docker-save.tar");
        try
        {
            PrepareImage(env, root, archive);
            docker.CheckWithInput(archive, "load");
            ScenarioResult result;
            if (load)
            {
                var (b, r) = env.Timer.Measure(
                    () =>
                    {
                        env.Berth(root, "rmi", "-f", "bench/big:v1");
                        return env.BerthWithInput(root, archive, "load").Milliseconds;
                    },
                    () =>
                    {
                        docker.Run("rmi", "-f", "bench/big:v1");
                        return docker.CheckWithInput(archive, "load").Milliseconds;
                    });
                result = Result(env, b, r!);
            }
            else
            {
                var (b, r) = env.Timer.Measure(
                    () => env.Berth(root, "save", "-o", berthOut, "bench/big:v1").Milliseconds,
                    () => docker.Check("save", "-o", dockerOut, "bench/big:v1").Milliseconds);
                result = Result(env, b, r!);
            }
            return result;
        }
        catch (BenchmarkFailedException e)
        {
            return ScenarioResult.NotRun(Name, "docker", TargetKind.Ratio, 0.7, "ms", e.Message);
        }
        finally
        {
            docker.Run("rmi", "-f", "bench/big:v1");
            foreach (var f in new[] { berthOut, dockerOut }) File.Delete(f);
            BenchEnvironment.RemoveRoot(root);
        }
    }

    ScenarioResult Result(BenchEnvironment env, Measurement b, Measurement r) => new()
    {
        Name = Name, Reference = "docker", Unit = "ms", BerthMedian = b.Median, ReferenceMedian = r.Median, TargetKind = TargetKind.Ratio, Target = 0.7,
        Repetitions = env.Repetitions,
    };

    /// <summary>Makes (once per work directory) an archive of busybox plus the big tree as one image, and loads it into <paramref name="root"/>.</summary>
    static void PrepareImage(BenchEnvironment env, string root, string archive)
    {
        if (!File.Exists(archive)) WriteArchive(env, archive);
        env.BerthWithInput(root, archive, "load");
    }

    static void WriteArchive(BenchEnvironment env, string archive)
    {
        string scratch = env.NewRoot("big-image");
        string tree = Path.Combine(env.WorkDirectory, "big-tree");
        string rootfsTar = Path.Combine(env.WorkDirectory, "big-rootfs.tar");
        try
        {
            TestData.WriteTree(Path.Combine(tree, "data"), files: (int)(1000 * env.Scale), bytesPerFile: 1024 * 1024);
            CommandRunner.Check("tar", ["-xf", env.BusyboxTar, "-C", tree]);
            CommandRunner.Check("tar", ["-cf", rootfsTar, "-C", tree, "."]);
            env.Berth(scratch, "import", rootfsTar, "bench/big:v1");
            env.Berth(scratch, "save", "-o", archive, "bench/big:v1");
        }
        finally
        {
            BenchEnvironment.RemoveRoot(scratch);
            File.Delete(rootfsTar);
            if (Directory.Exists(tree)) Directory.Delete(tree, recursive: true);
        }
    }
}
