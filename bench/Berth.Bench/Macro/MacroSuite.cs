using Berth.Bench.Macro.Scenarios;

namespace Berth.Bench.Macro;

/// <summary>Every whole-command benchmark, in the order of the target table.</summary>
public static class MacroSuite
{
    public static IReadOnlyList<IScenario> All { get; } =
    [
        new RunRemoveScenario(RunReference.Docker),
        new RunRemoveScenario(RunReference.RuncSameSpec),
        new RunRemoveScenario(RunReference.RuncDefaultSpec),
        new RunRemoveScenario(RunReference.CrunSameSpec),
        new ListingScenario(containers: false),
        new ListingScenario(containers: true),
        new BuildScenario(BuildKind.NoChangeRebuild),
        new BuildScenario(BuildKind.EditRebuild),
        new BuildScenario(BuildKind.BigCopy),
        new CommitFloorScenario(),
        new SaveLoadScenario(load: false),
        new SaveLoadScenario(load: true),
        new RegistryScenario(pull: false),
        new RegistryScenario(pull: true),
        new StartupScenario(),
        new BuildScenario(BuildKind.BigCopyPeakMemory),
    ];

    /// <summary>Runs the scenarios whose names contain <paramref name="filter"/> (all when null) and writes the report files.</summary>
    public static int Run(string repositoryRoot, string berthPath, string outputDirectory, string? filter, int repetitions, double scale)
    {
        Directory.CreateDirectory(outputDirectory);
        var results = new List<ScenarioResult>();
        using (var env = new BenchEnvironment(repositoryRoot, berthPath, "/var/tmp/berth-bench", warmup: 1, repetitions, scale))
        {
            foreach (var scenario in All.Where(s => filter is null || s.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
            {
                Console.Error.WriteLine($"bench: {scenario.Name} …");
                ScenarioResult result;
                try
                {
                    result = scenario.Run(env);
                }
                catch (Exception e) when (e is BenchmarkFailedException or IOException or InvalidOperationException or AggregateException)
                {
                    // One broken benchmark (a reference daemon that died, a full disk) must not lose the others' figures.
                    result = ScenarioResult.NotRun(scenario.Name, "?", TargetKind.Ratio, 0, "ms", e.GetBaseException().Message);
                }
                Console.Error.WriteLine($"bench: {scenario.Name}: berth {result.BerthMedian:0.0} / {result.Reference} {result.ReferenceMedian:0.0} {result.Unit} {result.Note}");
                results.Add(result);
            }
        }
        string machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion.VersionString}";
        var report = new BenchReport(results, DateTimeOffset.UtcNow, machine);
        string table = report.Table();
        Console.WriteLine(table);
        File.WriteAllText(Path.Combine(outputDirectory, "results.md"), table);
        report.WriteJson(Path.Combine(outputDirectory, "results.json"));
        if (report.WritePng(Path.Combine(outputDirectory, "results.png")) is { } chartProblem) Console.Error.WriteLine("bench: chart: " + chartProblem);
        return 0;
    }
}
