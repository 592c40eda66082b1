namespace Berth.Bench.Macro;

/// <summary>What every scenario shares: the berth binary under test, a scratch directory, the busybox rootfs, the Docker reference.</summary>
public sealed class BenchEnvironment : IDisposable
{
    readonly Lazy<(DockerReference? Docker, string? Why)> _docker;
    int _roots;

    public string BerthPath { get; }
    public string RepositoryRoot { get; }
    public string WorkDirectory { get; }
    public string BusyboxTar { get; }
    public PairedTimer Timer { get; }
    public int Repetitions { get; }
    /// <summary>Scale of the big inputs (1 = the sizes the targets name: 500 MB, 1 GB, 20,000 files).</summary>
    public double Scale { get; }

    public BenchEnvironment(string repositoryRoot, string berthPath, string workDirectory, int warmup, int repetitions, double scale)
    {
        RepositoryRoot = repositoryRoot;
        BerthPath = berthPath;
        WorkDirectory = workDirectory;
        Repetitions = repetitions;
        Scale = scale;
        Timer = new PairedTimer(warmup, repetitions);
        Directory.CreateDirectory(workDirectory);
        BusyboxTar = Path.Combine(workDirectory, "busybox-rootfs.tar");
        if (!File.Exists(BusyboxTar))
            CommandRunner.Check("bash", [Path.Combine(repositoryRoot, "scripts", "make-busybox-rootfs.sh"), BusyboxTar]);
        _docker = new(() =>
        {
            var docker = DockerReference.TryStart(Path.Combine(workDirectory, "docker"), out string? why);
            return (docker, why);
        });
    }

    /// <summary>A fresh, empty store root for one scenario.</summary>
    public string NewRoot(string name)
    {
        string root = Path.Combine(WorkDirectory, $"root-{Interlocked.Increment(ref _roots)}-{name}");
        if (Directory.Exists(root)) RemoveRoot(root);
        Directory.CreateDirectory(root);
        return root;
    }

    public static void RemoveRoot(string root)
    {
        foreach (var mount in File.ReadAllLines("/proc/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(root, StringComparison.Ordinal)).Reverse())
            CommandRunner.Run("umount", ["-l", mount]);
        try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public CommandRunner.Outcome Berth(string root, params string[] args) => CommandRunner.Check(BerthPath, ["--root", root, .. args]);

    public CommandRunner.Outcome BerthWithInput(string root, string stdinFile, params string[] args) => CommandRunner.Check(BerthPath, ["--root", root, .. args], stdinFile: stdinFile);

    /// <summary>Whether this berth has a verb (its help exits 0), so a scenario can say "not built yet" instead of failing.</summary>
    public bool HasVerb(params string[] verb) => CommandRunner.Run(BerthPath, [.. verb, "--help"]).ExitCode == 0;

    public DockerReference? Docker(out string? why)
    {
        why = _docker.Value.Why;
        var docker = _docker.Value.Docker;
        if (docker is not null && !docker.IsAlive)
        {
            why = "the reference dockerd stopped during the run";
            return null;
        }
        return docker;
    }

    public void Dispose()
    {
        if (_docker.IsValueCreated) _docker.Value.Docker?.Dispose();
    }
}
