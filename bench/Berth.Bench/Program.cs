using BenchmarkDotNet.Running;
using Berth.Bench.Macro;

// bench/run passes: macro [--filter TEXT] [--repetitions N] [--scale X] [--berth PATH] [--out DIR] [--repo DIR]
//                or: micro [BenchmarkDotNet arguments]
if (args.Length > 0 && args[0] == "micro")
{
    BenchmarkSwitcher.FromAssembly(typeof(MacroSuite).Assembly).Run(args[1..]);
    return 0;
}

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
string repo = Option("--repo") ?? Directory.GetCurrentDirectory();
return MacroSuite.Run(
    repositoryRoot: repo,
    berthPath: Option("--berth") ?? Path.Combine(repo, "bench", ".out", "berth", "berth"),
    outputDirectory: Option("--out") ?? Path.Combine(repo, "bench", "results"),
    filter: Option("--filter"),
    repetitions: int.Parse(Option("--repetitions") ?? "5", System.Globalization.CultureInfo.InvariantCulture),
    scale: double.Parse(Option("--scale") ?? "1", System.Globalization.CultureInfo.InvariantCulture));
