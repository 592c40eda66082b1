namespace Berth.Cli.Commands.Containers;

/// <summary>
/// `run IMAGE CMD ARGS...` and `exec CONTAINER CMD ARGS...`: everything after the image or container belongs to the
/// container's command, even words that look like options (`sh -c 'exit 3'`). The parser would read them as berth's
/// options, so a `--` is inserted after the first positional argument of these verbs.
/// </summary>
public static class CommandLineSplitter
{
    /// <summary>Options that take a value, per verb (long and short forms), so their values are not taken for the image.</summary>
    static readonly HashSet<string> RunValueOptions =
    [
        "--name", "--hostname", "-h", "--env", "-e", "--env-file", "--workdir", "-w", "--user", "-u", "--entrypoint",
        "--volume", "-v", "--tmpfs", "--network", "--net", "--memory", "-m", "--cpus", "--pids-limit", "--cap-add", "--cap-drop",
        "--label", "-l", "--stop-signal", "--stop-timeout", "--runtime", "--publish", "-p", "--security-opt", "--root",
        "--health-cmd", "--health-interval", "--health-retries", "--health-start-interval", "--health-start-period", "--health-timeout",
        "--add-host", "--dns", "--dns-search", "--dns-option", "--dns-opt", "--ulimit", "--sysctl", "--shm-size", "--cpu-shares", "-c",
        "--cpuset-cpus", "--cpuset-mems", "--pid", "--ipc", "--uts", "--expose", "--memory-swap", "--memory-reservation",
        "--restart", "--mount", "--device", "--device-cgroup-rule", "--blkio-weight", "--blkio-weight-device",
        "--device-read-bps", "--device-write-bps", "--device-read-iops", "--device-write-iops",
    ];

    /// <summary>The options of `run`/`create` this splitter knows to take a value (a test holds it to RunOptions).</summary>
    internal static IReadOnlySet<string> RunOptionsTakingValues => RunValueOptions;

    static readonly HashSet<string> ExecValueOptions = ["--env", "-e", "--env-file", "--user", "-u", "--workdir", "-w", "--root", "--detach-keys"];

    public static string[] Split(string[] args)
    {
        int i = 0;
        // Global options before the verb.
        while (i < args.Length && args[i].StartsWith('-'))
        {
            if (args[i] == "--root") i++;
            i++;
        }
        if (i >= args.Length) return args;
        if (args[i] == "container" && i + 1 < args.Length) i++;
        HashSet<string> valueOptions = args[i] switch
        {
            "run" or "create" => RunValueOptions,
            "exec" => ExecValueOptions,
            "top" => ["--root"], // top CONTAINER [ps OPTIONS]: the ps options are ps's
            _ => [],
        };
        if (valueOptions.Count == 0) return args;
        for (i++; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--") return args;
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                if (!a.Contains('=') && valueOptions.Contains(a)) i++;
                continue;
            }
            if (a.StartsWith('-') && a.Length > 1)
            {
                // A bundle of short flags: a value-taking letter consumes the rest, or the next word when it is last.
                for (int k = 1; k < a.Length; k++)
                {
                    if (!valueOptions.Contains("-" + a[k])) continue;
                    if (k == a.Length - 1) i++;
                    break;
                }
                continue;
            }
            if (i + 1 < args.Length && args[i + 1] == "--") return args;
            return [.. args[..(i + 1)], "--", .. args[(i + 1)..]];
        }
        return args;
    }
}
