namespace Berth.Bench.Macro;

/// <summary>How a benchmark's target is expressed: a ratio against the reference, an absolute bound, or a bound on Berth minus the reference.</summary>
public enum TargetKind { Ratio, Absolute, Difference }

/// <summary>One row of the report: Berth's median, the reference's median from the same run, and the verdict.</summary>
public sealed record ScenarioResult
{
    public required string Name { get; init; }
    public required string Reference { get; init; }
    public required string Unit { get; init; }
    public double? BerthMedian { get; init; }
    public double? ReferenceMedian { get; init; }
    public required TargetKind TargetKind { get; init; }
    public required double Target { get; init; }
    public int Repetitions { get; init; }
    /// <summary>Why a side could not run; the report prints it instead of a number.</summary>
    public string? Note { get; init; }

    public double? Ratio => BerthMedian is { } b && ReferenceMedian is { } r && r > 0 ? b / r : null;

    public bool? Passed => TargetKind switch
    {
        TargetKind.Ratio => Ratio is { } ratio ? ratio <= Target : null,
        TargetKind.Difference => BerthMedian is { } b && ReferenceMedian is { } r ? b - r <= Target : null,
        _ => BerthMedian is { } b ? b <= Target : null,
    };

    public string TargetText => TargetKind switch
    {
        TargetKind.Ratio => $"≤ {Target:0.##}×",
        TargetKind.Difference => $"≤ +{Target:0.##} {Unit}",
        _ => $"≤ {Target:0.##} {Unit}",
    };

    public static ScenarioResult NotRun(string name, string reference, TargetKind kind, double target, string unit, string why) =>
        new() { Name = name, Reference = reference, TargetKind = kind, Target = target, Unit = unit, Note = why };
}
