using Berth.Tests.Support;

namespace Berth.Tests.Published;

/// <summary>
/// The Native AOT `berth` binary that scripts/main.sh installs: the path in BERTH_NATIVE_BINARY (scripts/test.sh publishes
/// it before the tests), or published here once per test run. The rest of the suite runs the CLI in-process on the JIT,
/// so only these tests see what trimming and AOT compilation do to the shipped program.
/// </summary>
public static class NativeBinary
{
    static readonly Lazy<string> Published = new(() =>
    {
        if (Environment.GetEnvironmentVariable("BERTH_NATIVE_BINARY") is { Length: > 0 } given)
        {
            if (!File.Exists(given)) throw new InvalidOperationException($"BERTH_NATIVE_BINARY={given} does not exist");
            return given;
        }
        string output = Path.Combine(Path.GetTempPath(), $"berth-tests-native-{Environment.ProcessId}");
        var result = ProcessRunner.Run("dotnet", ["publish", RepositoryRoot.Combine("src", "Berth.Cli", "Berth.Cli.csproj"), "-c", "Release", "-r", "linux-x64",
            "-o", output, "--nologo", "-v", "quiet"], timeout: TimeSpan.FromMinutes(10));
        if (result.ExitCode != 0) throw new InvalidOperationException($"publishing the native berth failed: {result.Stdout}{result.Stderr}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(output, recursive: true); } catch (IOException) { } };
        return Path.Combine(output, "berth");
    });

    public static string FilePath => Published.Value;

    /// <summary>Runs the native berth on <paramref name="root"/>.</summary>
    public static ProcessRunner.Result Run(string root, params string[] args) =>
        ProcessRunner.Run(Published.Value, ["--root", root, .. args], timeout: TimeSpan.FromMinutes(2));

    /// <summary>Runs it and fails with its output when it exits non-zero.</summary>
    public static string Check(string root, params string[] args)
    {
        var r = Run(root, args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"berth {string.Join(' ', args)} exited {r.ExitCode}: {r.Stderr}{r.Stdout}");
        return r.Stdout;
    }
}
