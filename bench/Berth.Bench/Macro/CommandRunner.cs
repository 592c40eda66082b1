using System.Diagnostics;

namespace Berth.Bench.Macro;

/// <summary>Runs one external command to completion and times it; a failure is an exception naming the command and its stderr.</summary>
public static class CommandRunner
{
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr, double Milliseconds);

    public static Outcome Run(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? stdinFile = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdinFile is not null,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        Task copyIn = Task.CompletedTask;
        if (stdinFile is not null)
            copyIn = Task.Run(async () =>
            {
                try
                {
                    await using (var input = File.OpenRead(stdinFile)) await input.CopyToAsync(process.StandardInput.BaseStream).ConfigureAwait(false);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The command stopped reading (it failed): its exit code and stderr say why.
                }
            });
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Task.WaitAll(copyIn, stdout, stderr);
        clock.Stop();
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed.TotalMilliseconds);
    }

    public static Outcome Check(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? stdinFile = null)
    {
        var list = arguments.ToList();
        var outcome = Run(file, list, environment, stdinFile);
        if (outcome.ExitCode != 0)
            throw new BenchmarkFailedException($"{file} {string.Join(' ', list)} exited {outcome.ExitCode}: {outcome.Stderr.Trim()}");
        return outcome;
    }

    /// <summary>Runs a shell pipeline (for floors such as `tar | sha256sum`).</summary>
    public static Outcome Shell(string script) => Check("/bin/bash", ["-o", "pipefail", "-c", script]);
}

/// <summary>A benchmark side that could not complete; the report shows the message instead of a figure.</summary>
public sealed class BenchmarkFailedException(string message) : Exception(message);
