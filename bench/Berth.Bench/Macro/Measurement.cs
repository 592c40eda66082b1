namespace Berth.Bench.Macro;

/// <summary>Wall times of repeated runs of one side of a benchmark, in milliseconds, warm-up excluded.</summary>
public sealed record Measurement(IReadOnlyList<double> Samples)
{
    public double Median
    {
        get
        {
            if (Samples.Count == 0) return double.NaN;
            var sorted = Samples.Order().ToArray();
            int mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }
}
