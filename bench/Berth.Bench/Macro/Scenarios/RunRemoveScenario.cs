using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Bench.Macro.Scenarios;

/// <summary>`run --rm busybox true` against Docker, and against runc alone on the same rootfs (the floor).</summary>
public sealed class RunRemoveScenario(bool againstRuntimeFloor) : IScenario
{
    public string Name => againstRuntimeFloor ? "run --rm busybox true (vs runc floor)" : "run --rm busybox true";

    public ScenarioResult Run(BenchEnvironment env)
    {
        string reference = againstRuntimeFloor ? "runc run" : "docker";
        var kind = againstRuntimeFloor ? TargetKind.Difference : TargetKind.Ratio;
        double target = againstRuntimeFloor ? 40 : 0.25;
        if (!env.HasVerb("run")) return ScenarioResult.NotRun(Name, reference, kind, target, "ms", "berth run not built yet");
        string root = env.NewRoot("run");
        try
        {
            env.Berth(root, "import", env.BusyboxTar, "busybox:bench");
            double Berth() => env.Berth(root, "run", "--rm", "--network", "none", "busybox:bench", "true").Milliseconds;
            Func<double> other;
            if (againstRuntimeFloor)
            {
                string bundle = MakeRuncBundle(env);
                int n = 0;
                other = () => CommandRunner.Check("runc", ["run", "--bundle", bundle, $"bench-floor-{Environment.ProcessId}-{n++}"]).Milliseconds;
            }
            else
            {
                var docker = env.Docker(out string? why);
                if (docker is null) return ScenarioResult.NotRun(Name, reference, kind, target, "ms", why!);
                docker.CheckWithInput(env.BusyboxTar, "import", "-", "busybox:bench");
                other = () => docker.Check("run", "--rm", "--network", "none", "busybox:bench", "true").Milliseconds;
            }
            var (b, r) = env.Timer.Measure(Berth, other);
            return new ScenarioResult
            {
                Name = Name, Reference = reference, Unit = "ms", BerthMedian = b.Median, ReferenceMedian = r!.Median, TargetKind = kind, Target = target,
                Repetitions = env.Repetitions,
            };
        }
        catch (BenchmarkFailedException e)
        {
            return ScenarioResult.NotRun(Name, reference, kind, target, "ms", e.Message);
        }
        finally
        {
            BenchEnvironment.RemoveRoot(root);
        }
    }

    /// <summary>An OCI bundle of the busybox rootfs running `true`, from `runc spec` with no terminal and no network namespace change.</summary>
    static string MakeRuncBundle(BenchEnvironment env)
    {
        string bundle = Path.Combine(env.WorkDirectory, "runc-bundle");
        if (Directory.Exists(bundle)) Directory.Delete(bundle, recursive: true);
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        CommandRunner.Check("tar", ["-xf", env.BusyboxTar, "-C", Path.Combine(bundle, "rootfs")]);
        CommandRunner.Check("runc", ["spec", "--bundle", bundle]);
        string configPath = Path.Combine(bundle, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["process"]!["terminal"] = false;
        config["process"]!["args"] = new JsonArray("true");
        File.WriteAllText(configPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return bundle;
    }
}
