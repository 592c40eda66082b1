using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Bench.Macro;

/// <summary>The run's results as a text table (stdout and README), JSON, and a PNG bar chart of ratio against target.</summary>
public sealed class BenchReport(IReadOnlyList<ScenarioResult> results, DateTimeOffset date, string machine)
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public string Table()
    {
        var rows = new List<string[]> { new[] { "benchmark", "berth", "reference", "ref. median", "ratio", "target", "result" } };
        foreach (var r in results)
        {
            rows.Add([
                r.Name,
                Figure(r.BerthMedian, r.Unit),
                r.Reference,
                Figure(r.ReferenceMedian, r.Unit),
                r.Ratio is { } ratio ? ratio.ToString("0.00", Invariant) + "×" : "—",
                r.TargetText,
                r.Passed switch { true => "pass", false => "MISS", null => "not run: " + r.Note },
            ]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Berth benchmarks, {date:yyyy-MM-dd HH:mm} UTC, {machine}; medians of paired runs");
        for (int i = 0; i < rows.Count; i++)
        {
            text.AppendLine("| " + string.Join(" | ", rows[i].Select((cell, c) => cell.PadRight(widths[c]))) + " |");
            if (i == 0) text.AppendLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        }
        foreach (var r in results.Where(r => r.Passed is not null && r.Note is not null))
            text.AppendLine(CultureInfo.InvariantCulture, $"note on {r.Name}: {r.Note}");
        return text.ToString();
    }

    static string Figure(double? value, string unit) => value is { } v ? $"{v.ToString(v >= 100 ? "0" : "0.0", Invariant)} {unit}" : "—";

    public void WriteJson(string path)
    {
        var document = new BenchDocument(date, machine, results.Select(r => new BenchRow(r.Name, r.Reference, r.Unit, r.BerthMedian, r.ReferenceMedian, r.Ratio,
            r.TargetKind.ToString(), r.Target, r.Passed, r.Repetitions, r.Note)).ToList());
        File.WriteAllText(path, JsonSerializer.Serialize(document, BenchJsonContext.Default.BenchDocument));
    }

    /// <summary>
    /// Draws the chart with gnuplot (Debian's gnuplot-nox, installed by bench/run): a bar per benchmark of its
    /// figure relative to its target (1.0 = exactly on target; below 1 passes). No charting package is in the
    /// NuGet mirror here, and a hand-written PNG rasteriser would need its own font code.
    /// </summary>
    public string? WritePng(string path)
    {
        var judged = results.Where(r => r.Passed is not null).ToList();
        if (judged.Count == 0) return "no benchmark produced a figure";
        string data = path + ".dat";
        var lines = judged.Select(r => $"\"{r.Name.Replace("\"", "'", StringComparison.Ordinal)}\" {RelativeToTarget(r).ToString("0.0000", Invariant)} {(r.Passed == true ? 0x2e7d32 : 0xc62828)}");
        File.WriteAllLines(data, lines);
        string script = $"""
            set terminal pngcairo size {Math.Max(900, 120 * judged.Count)},700 font "DejaVu Sans,10"
            set output '{path}'
            set title "Berth benchmarks {date:yyyy-MM-dd} ({machine}): figure / target, at or below 1.0 meets the target"
            set style fill solid 0.8
            set boxwidth 0.6
            set yrange [0:*]
            set xtics rotate by -30
            set bmargin 14
            set rmargin 34
            set grid y
            set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb "#333333"
            unset key
            plot '{data}' using 0:2:3:xtic(1) with boxes lc rgb variable
            """;
        var outcome = CommandRunner.Run("gnuplot", ["-e", script.Replace("\n", "; ", StringComparison.Ordinal)]);
        File.Delete(data);
        return outcome.ExitCode == 0 ? null : "gnuplot failed: " + outcome.Stderr.Trim();
    }

    /// <summary>Figure over target: the ratio over the target ratio, Berth minus reference over the allowed difference, or the absolute figure over its bound.</summary>
    static double RelativeToTarget(ScenarioResult r) => r.TargetKind switch
    {
        TargetKind.Ratio => r.Ratio!.Value / r.Target,
        TargetKind.Difference => Math.Max(0, r.BerthMedian!.Value - r.ReferenceMedian!.Value) / r.Target,
        _ => r.BerthMedian!.Value / r.Target,
    };
}

public sealed record BenchDocument(DateTimeOffset Date, string Machine, IReadOnlyList<BenchRow> Results);

public sealed record BenchRow(string Name, string Reference, string Unit, double? BerthMedian, double? ReferenceMedian, double? Ratio, string TargetKind,
    double Target, bool? Passed, int Repetitions, string? Note);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BenchDocument))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
