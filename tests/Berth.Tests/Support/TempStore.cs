using Berth.Engine.Services;

namespace Berth.Tests.Support;

/// <summary>A Berth store in a temp directory, with helpers to run the CLI against it.</summary>
public sealed class TempStore : IDisposable
{
    readonly TempDirectory _dir = new();

    public TempStore() => Engine = BerthEngine.Open(_dir.Path);

    public string Root => _dir.Path;
    public BerthEngine Engine { get; }

    public async Task<(int ExitCode, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await Berth.Cli.BerthCli.RunAsync(["--root", Root, .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Every file and directory under the store that holds data (blobs, snapshots), for "store unchanged" checks.</summary>
    public IReadOnlyList<string> DataFiles() =>
        new[] { "blobs", "snapshots" }.Select(d => System.IO.Path.Combine(Root, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "*", SearchOption.TopDirectoryOnly).Concat(
                Directory.EnumerateFileSystemEntries(System.IO.Path.Combine(Root, "blobs"), "*", SearchOption.AllDirectories)))
            .Distinct().Order().ToList();

    public void Dispose() => _dir.Dispose();
}
