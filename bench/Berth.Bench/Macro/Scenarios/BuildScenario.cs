namespace Berth.Bench.Macro.Scenarios;

/// <summary>The build benchmarks, each against Docker's legacy builder (DOCKER_BUILDKIT=0) on the same context.</summary>
public enum BuildKind { NoChangeRebuild, EditRebuild, BigCopy, BigCopyPeakMemory }

public sealed class BuildScenario(BuildKind kind) : IScenario
{
    public string Name => kind switch
    {
        BuildKind.NoChangeRebuild => "no-change rebuild, 10-step Dockerfile",
        BuildKind.EditRebuild => "rebuild after editing a late-copied file",
        BuildKind.BigCopy => "COPY of a 20,000-file, 500 MB context",
        _ => "peak memory, build of the 500 MB context",
    };

    double Target => kind switch { BuildKind.NoChangeRebuild => 0.3, BuildKind.BigCopyPeakMemory => 1.0, _ => 0.5 };
    string Unit => kind == BuildKind.BigCopyPeakMemory ? "MiB" : "ms";
    string Reference => kind == BuildKind.BigCopyPeakMemory ? "dockerd + client" : "docker (legacy builder)";

    const string TenSteps = """
        FROM busybox:bench
        ENV A=1
        WORKDIR /app
        COPY a.txt /app/
        RUN echo one > /one
        COPY b.txt /app/
        RUN echo two > /two
        LABEL bench=yes
        COPY late.txt /app/
        CMD ["sh"]

        """;

    public ScenarioResult Run(BenchEnvironment env)
    {
        if (!env.HasVerb("build")) return ScenarioResult.NotRun(Name, Reference, TargetKind.Ratio, Target, Unit, "berth build not built yet");
        var docker = env.Docker(out string? why);
        if (docker is null) return ScenarioResult.NotRun(Name, Reference, TargetKind.Ratio, Target, Unit, why!);
        string root = env.NewRoot("build");
        string context = Path.Combine(env.WorkDirectory, "build-context-" + kind);
        try
        {
            env.Berth(root, "import", env.BusyboxTar, "busybox:bench");
            docker.CheckWithInput(env.BusyboxTar, "import", "-", "busybox:bench");
            PrepareContext(env, context);
            var legacy = new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" };
            string[] berthBuild = ["build", "-q", "-t", "bench/built:v1", .. kind is BuildKind.BigCopy or BuildKind.BigCopyPeakMemory ? ["--no-cache"] : Array.Empty<string>(), context];
            string[] dockerBuild = ["-H", "unix://" + docker.Socket, .. berthBuild];
            double BerthBuild() => CommandRunner.Check(env.BerthPath, ["--root", root, .. berthBuild]).Milliseconds;
            double DockerBuild() => CommandRunner.Check("/usr/bin/docker", dockerBuild, legacy).Milliseconds;
            int edits = 0;
            void Edit() => File.WriteAllText(Path.Combine(context, "late.txt"), $"edit {edits++}\n");
            Measurement b, r;
            switch (kind)
            {
                case BuildKind.NoChangeRebuild:
                    BerthBuild();
                    DockerBuild();
                    (b, var rr) = env.Timer.Measure(BerthBuild, DockerBuild);
                    r = rr!;
                    break;
                case BuildKind.EditRebuild:
                    BerthBuild();
                    DockerBuild();
                    (b, rr) = env.Timer.Measure(() => { Edit(); return BerthBuild(); }, () => { Edit(); return DockerBuild(); });
                    r = rr!;
                    break;
                case BuildKind.BigCopy:
                    (b, rr) = env.Timer.Measure(BerthBuild, DockerBuild);
                    r = rr!;
                    break;
                default:
                    (b, rr) = env.Timer.Measure(
                        () => PeakMemory.WhileRunning(env.BerthPath, ["--root", root, .. berthBuild], null, null),
                        () => PeakMemory.WhileRunning("/usr/bin/docker", dockerBuild, legacy, docker.DaemonPid));
                    r = rr!;
                    break;
            }
            return new ScenarioResult
            {
                Name = Name, Reference = Reference, Unit = Unit, BerthMedian = b.Median, ReferenceMedian = r.Median, TargetKind = TargetKind.Ratio,
                Target = Target, Repetitions = env.Repetitions,
            };
        }
        catch (BenchmarkFailedException e)
        {
            return ScenarioResult.NotRun(Name, Reference, TargetKind.Ratio, Target, Unit, e.Message);
        }
        finally
        {
            docker.Run("rmi", "-f", "bench/built:v1");
            docker.Run("builder", "prune", "-a", "-f");
            BenchEnvironment.RemoveRoot(root);
            if (Directory.Exists(context)) Directory.Delete(context, recursive: true);
        }
    }

    void PrepareContext(BenchEnvironment env, string context)
    {
        if (Directory.Exists(context)) Directory.Delete(context, recursive: true);
        Directory.CreateDirectory(context);
        if (kind is BuildKind.BigCopy or BuildKind.BigCopyPeakMemory)
        {
            TestData.WriteTree(Path.Combine(context, "data"), files: (int)(20000 * env.Scale), bytesPerFile: 25 * 1024);
            File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM busybox:bench\nCOPY data /data/\n");
            return;
        }
        File.WriteAllText(Path.Combine(context, "Dockerfile"), TenSteps);
        foreach (var name in new[] { "a.txt", "b.txt", "late.txt" }) File.WriteAllText(Path.Combine(context, name), name + "\n");
    }
}
