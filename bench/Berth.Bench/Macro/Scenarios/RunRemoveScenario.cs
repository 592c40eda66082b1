using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Bench.Macro.Scenarios;

/// <summary>What `berth run --rm` (`run --rm busybox true`) is compared with.</summary>
public enum RunReference
{
    /// <summary>`docker run --rm` of the same image.</summary>
    Docker,
    /// <summary>
    /// `runc run` of the very container Berth runs: the config.json Berth generated (Docker's seccomp profile, capabilities,
    /// masked paths, its own namespaces) over the image's files unpacked in a plain directory. The runtime's own time for
    /// the same work, so the difference is what Berth adds (store, overlay mount, conmon, create/start/delete).
    /// </summary>
    RuncSameSpec,
    /// <summary>`runc run` of `runc spec`'s default bundle: no seccomp filter (compiling Docker's profile for x86-64, x86 and
    /// x32 is about half of runc's own time here), shown so the cost of the security defaults is visible.</summary>
    RuncDefaultSpec,
    /// <summary>
    /// `crun run` of the config.json Berth generated for a crun container, against `berth run --runtime crun`: the same
    /// floor for Berth's other runtime. On a hybrid cgroup layout crun runs through the launcher Berth uses there
    /// (<see cref="Berth.Engine.Runtime.CgroupV1ViewLauncher"/>), as it cannot run otherwise.
    /// </summary>
    CrunSameSpec,
}

public sealed class RunRemoveScenario(RunReference against) : IScenario
{
    public string Name => against switch
    {
        RunReference.Docker => "run --rm busybox true",
        RunReference.RuncSameSpec => "run --rm busybox true (vs runc, same spec)",
        RunReference.CrunSameSpec => "run --rm busybox true (crun, vs crun, same spec)",
        _ => "run --rm busybox true (vs runc spec default)",
    };

    string? Runtime => against == RunReference.CrunSameSpec ? "crun" : null;

    public ScenarioResult Run(BenchEnvironment env)
    {
        string reference = against switch
        {
            RunReference.Docker => "docker",
            RunReference.RuncSameSpec => "runc run, Berth's config.json",
            RunReference.CrunSameSpec => "crun run, Berth's config.json",
            _ => "runc run, runc spec",
        };
        var kind = against == RunReference.Docker ? TargetKind.Ratio : TargetKind.Difference;
        double target = against == RunReference.Docker ? 0.25 : 40;
        if (!env.HasVerb("run")) return ScenarioResult.NotRun(Name, reference, kind, target, "ms", "berth run not built yet");
        string root = env.NewRoot("run");
        try
        {
            env.Berth(root, "import", env.BusyboxTar, "busybox:bench");
            double Berth()
            {
                string[] runtime = Runtime is { } name ? ["--runtime", name] : [];
                double ms = env.Berth(root, ["run", "--rm", .. runtime, "--network", "none", "busybox:bench", "true"]).Milliseconds;
                SettleAfter(root);
                return ms;
            }
            Func<double> other;
            if (against == RunReference.Docker)
            {
                var docker = env.Docker(out string? why);
                if (docker is null) return ScenarioResult.NotRun(Name, reference, kind, target, "ms", why!);
                docker.CheckWithInput(env.BusyboxTar, "import", "-", "busybox:bench");
                other = () => docker.Check("run", "--rm", "--network", "none", "busybox:bench", "true").Milliseconds;
            }
            else if (against == RunReference.CrunSameSpec)
            {
                string bundle = MakeBundleFromBerthSpec(env, root, "crun");
                string crun = CrunCommand(env);
                string state = Path.Combine(env.WorkDirectory, "crun-state");
                int n = 0;
                other = () => CommandRunner.Check(crun, ["--root", state, "run", "--bundle", bundle, $"bench-floor-{Environment.ProcessId}-{n++}"]).Milliseconds;
            }
            else
            {
                string bundle = against == RunReference.RuncSameSpec ? MakeBundleFromBerthSpec(env, root, "runc") : MakeDefaultBundle(env);
                int n = 0;
                other = () => CommandRunner.Check("runc", ["run", "--bundle", bundle, $"bench-floor-{Environment.ProcessId}-{n++}"]).Milliseconds;
            }
            // A run takes tens of milliseconds and this machine's noise moves single runs by as much: 21 pairs at least.
            const int MinimumPairs = 21;
            var (b, r) = env.Timer.Measure(Berth, other, MinimumPairs);
            return new ScenarioResult
            {
                Name = Name, Reference = reference, Unit = "ms", BerthMedian = b.Median, ReferenceMedian = r!.Median, TargetKind = kind, Target = target,
                Repetitions = Math.Max(env.Repetitions, MinimumPairs),
            };
        }
        catch (BenchmarkFailedException e)
        {
            return ScenarioResult.NotRun(Name, reference, kind, target, "ms", e.Message);
        }
        finally
        {
            // The container kept for its config.json (MakeBundleFromBerthSpec) is removed by berth, not only with the
            // store's folder: its removal also takes conmon's socket link in /run/berth/socket, which is outside the store.
            CommandRunner.Run(env.BerthPath, ["--root", root, "container", "prune", "-f"]);
            BenchEnvironment.RemoveRoot(root);
        }
    }

    /// <summary>
    /// Waits (untimed) until no process of the run just measured is left (conmon ends after its exit command, a moment
    /// after berth has returned), so that the next timed run, Berth's or the reference's, does not share the CPU with it.
    /// </summary>
    static void SettleAfter(string root)
    {
        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < deadline && Directory.EnumerateDirectories("/proc").Any(p => CommandLineMentions(p, root)))
            Thread.Sleep(1);
    }

    static bool CommandLineMentions(string procDir, string text)
    {
        if (!int.TryParse(Path.GetFileName(procDir), out _)) return false;
        try { return File.ReadAllText(Path.Combine(procDir, "cmdline")).Contains(text, StringComparison.Ordinal); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    static string NewBundle(BenchEnvironment env, string name)
    {
        string bundle = Path.Combine(env.WorkDirectory, name);
        if (Directory.Exists(bundle)) Directory.Delete(bundle, recursive: true);
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        CommandRunner.Check("tar", ["-xf", env.BusyboxTar, "-C", Path.Combine(bundle, "rootfs")]);
        return bundle;
    }

    static string MakeDefaultBundle(BenchEnvironment env)
    {
        string bundle = NewBundle(env, "runc-bundle");
        CommandRunner.Check("runc", ["spec", "--bundle", bundle]);
        string configPath = Path.Combine(bundle, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["process"]!["terminal"] = false;
        config["process"]!["args"] = new JsonArray("true");
        File.WriteAllText(configPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return bundle;
    }

    /// <summary>
    /// Runs the container once with Berth (kept, not --rm), takes the config.json Berth wrote into its bundle
    /// (store layout: containers/ID/config.json) and points its root at a plain unpacked copy of the image. The bind mounts
    /// of /etc/hosts, /etc/hostname and /etc/resolv.conf keep their sources in the kept container's directory.
    /// </summary>
    static string MakeBundleFromBerthSpec(BenchEnvironment env, string root, string runtime)
    {
        string id = env.Berth(root, "create", "--runtime", runtime, "--network", "none", "busybox:bench", "true").Stdout.Trim();
        env.Berth(root, "start", "-a", id);
        string bundle = NewBundle(env, runtime + "-bundle-berth-spec");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "containers", id, "config.json")))!;
        config["root"] = new JsonObject { ["path"] = Path.Combine(bundle, "rootfs"), ["readonly"] = false };
        config["linux"]!.AsObject().Remove("cgroupsPath");
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return bundle;
    }

    /// <summary>crun itself, or on a hybrid cgroup layout the launcher that lets it run there (as Berth runs it).</summary>
    static string CrunCommand(BenchEnvironment env)
    {
        string crun = Berth.Engine.Runtime.OciRuntime.FindBinary("crun") ?? throw new BenchmarkFailedException("crun is not installed");
        return Berth.Engine.Runtime.CgroupLayout.Mode == Berth.Engine.Runtime.CgroupMode.Hybrid
            ? Berth.Engine.Runtime.CgroupV1ViewLauncher.Ensure(Path.Combine(env.WorkDirectory, "crun-v1-view.sh"), crun)
            : crun;
    }
}
