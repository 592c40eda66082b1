namespace Berth.Bench.Macro.Scenarios;

/// <summary>CLI start-up: `berth version`, judged against an absolute bound (there is no reference for a daemonless CLI).</summary>
public sealed class StartupScenario : IScenario
{
    public string Name => "CLI start-up (berth version)";

    public ScenarioResult Run(BenchEnvironment env)
    {
        var (berth, _) = env.Timer.Measure(() => CommandRunner.Check(env.BerthPath, ["version"]).Milliseconds, null);
        return new ScenarioResult
        {
            Name = Name, Reference = "—", Unit = "ms", BerthMedian = berth.Median, TargetKind = TargetKind.Absolute, Target = 60,
            Repetitions = env.Repetitions,
        };
    }
}
