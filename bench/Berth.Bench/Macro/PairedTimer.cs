namespace Berth.Bench.Macro;

/// <summary>
/// Times Berth and its reference alternately (B, R, B, R, …) after warm-up runs of each, so that both sides see
/// the same machine noise; the ratio of their medians is the figure the report judges.
/// </summary>
public sealed class PairedTimer(int warmup, int repetitions)
{
    public int Repetitions => repetitions;

    /// <summary>Each delegate performs one timed run and returns its milliseconds (set-up excluded by the delegate itself).</summary>
    /// <param name="minimumRepetitions">More pairs than the run's setting, for measurements short enough that noise moves their median.</param>
    public (Measurement Berth, Measurement? Reference) Measure(Func<double> berth, Func<double>? reference, int minimumRepetitions = 0)
    {
        int count = Math.Max(repetitions, minimumRepetitions);
        for (int i = 0; i < warmup; i++)
        {
            berth();
            reference?.Invoke();
        }
        var b = new List<double>();
        var r = new List<double>();
        for (int i = 0; i < count; i++)
        {
            b.Add(berth());
            if (reference is not null) r.Add(reference());
        }
        return (new Measurement(b), reference is null ? null : new Measurement(r));
    }
}
