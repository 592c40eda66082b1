namespace Berth.Bench.Macro.Scenarios;

/// <summary>One benchmark: sets up both sides, times them with the environment's paired timer, and says how it went.</summary>
public interface IScenario
{
    string Name { get; }
    ScenarioResult Run(BenchEnvironment env);
}
