using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Engine.Runtime;

namespace Berth.Engine.Containers.Processes;

/// <summary>What <c>top</c> shows: ps's column titles and one row per container process (Docker's ContainerTopOKBody).</summary>
public sealed record ContainerTopResult(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes);

/// <summary>
/// <c>docker top</c>: runs the host's <c>ps</c> with the user's options and keeps the rows whose PID belongs to the
/// container (moby daemon/top_unix.go: validatePSArgs, psPidsArg, parsePSOutput).
/// </summary>
public static partial class ContainerTop
{
    /// <summary>Docker's default options when none are given.</summary>
    public const string DefaultPsArgs = "-ef";

    /// <summary>Runs ps and filters its output to <paramref name="pids"/>.</summary>
    /// <param name="psArgs">The options after the container name, joined by spaces (empty: -ef).</param>
    /// <exception cref="InvalidInputException">A <c>KEY=PID…</c> column rename other than <c>pid=</c>, or ps hides the PID column.</exception>
    /// <exception cref="BerthException">ps failed (its first line of stderr).</exception>
    public static async Task<ContainerTopResult> RunAsync(IReadOnlyCollection<int> pids, string? psArgs = null,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(psArgs)) psArgs = DefaultPsArgs;
        ValidatePsArgs(psArgs);
        var args = psArgs.Split(' ');
        string pidArg = "-q" + string.Join(',', pids.Select(p => p.ToString(CultureInfo.InvariantCulture)));
        var (code, output, _) = await PsAsync([.. args, pidArg], cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            // Some options (such as f) cannot be combined with -q: retry without it, as Docker does.
            (code, output, var error) = await PsAsync(args, cancellationToken).ConfigureAwait(false);
            if (code != 0)
            {
                string first = error.Split('\n')[0];
                throw new BerthException("ps: " + (first.Length > 0 ? first : $"exit status {code}"));
            }
        }
        return ParsePsOutput(output, pids);
    }

    /// <summary>Docker refuses renaming another column to PID (e.g. <c>-o user=PID</c>), which would fool the PID lookup.</summary>
    public static void ValidatePsArgs(string psArgs)
    {
        foreach (Match m in RenameToPid().Matches(psArgs))
            if (m.Groups[1].Value != "pid")
                throw new InvalidInputException($"specifying \"{m.Groups[1].Value}={m.Groups[2].Value}\" is not allowed");
    }

    /// <summary>Titles from the header; rows whose PID is the container's (thread rows "-" follow their process).</summary>
    public static ContainerTopResult ParsePsOutput(string output, IReadOnlyCollection<int> pids)
    {
        var set = pids as ISet<int> ?? new HashSet<int>(pids);
        var lines = output.Split('\n');
        var titles = Fields(lines[0]);
        int pidIndex = titles.IndexOf("PID");
        if (pidIndex < 0) throw new InvalidInputException("Couldn't find PID field in ps output");
        var rows = new List<IReadOnlyList<string>>();
        bool previousContained = false;
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0) continue;
            var fields = Fields(line);
            if (fields.Count <= pidIndex) continue;
            if (fields[pidIndex] == "-")
            {
                if (previousContained) rows.Add(Row(titles.Count, fields));
                continue;
            }
            if (!int.TryParse(fields[pidIndex], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int pid))
                throw new BerthException($"Unexpected pid '{fields[pidIndex]}': invalid syntax");
            previousContained = set.Contains(pid);
            if (previousContained) rows.Add(Row(titles.Count, fields));
        }
        return new ContainerTopResult(titles, rows);
    }

    /// <summary>Every pid in a container's cgroup and its sub-cgroups (cgroup.procs), like the runtime's ps.</summary>
    /// <param name="cgroupsPath">The runtime spec's cgroupsPath, e.g. <c>/berth/ID</c>.</param>
    public static IReadOnlyList<int> PidsInCgroup(string cgroupsPath, CgroupMode? mode = null, string cgroupRoot = "/sys/fs/cgroup")
    {
        string rel = cgroupsPath.TrimStart('/');
        string dir = (mode ?? CgroupLayout.Mode) == CgroupMode.Unified ? Path.Combine(cgroupRoot, rel) : Path.Combine(cgroupRoot, "pids", rel);
        var pids = new SortedSet<int>();
        if (!Directory.Exists(dir)) return [];
        foreach (var procs in Directory.EnumerateFiles(dir, "cgroup.procs", SearchOption.AllDirectories))
        {
            try
            {
                foreach (var line in File.ReadLines(procs))
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) pids.Add(pid);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { }
        }
        return [.. pids];
    }

    /// <summary>Merges overhanging fields (a command with spaces) into the last column.</summary>
    private static List<string> Row(int titleCount, List<string> fields)
    {
        if (fields.Count <= titleCount) return fields;
        var row = fields.Take(titleCount - 1).ToList();
        row.Add(string.Join(' ', fields.Skip(titleCount - 1)));
        return row;
    }

    /// <summary>strings.FieldsFunc on ASCII whitespace only, as Docker's fieldsASCII.</summary>
    private static List<string> Fields(string s) =>
        [.. s.Split(['\t', '\n', '\f', '\r', ' '], StringSplitOptions.RemoveEmptyEntries)];

    private static async Task<(int Code, string Output, string Error)> PsAsync(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info) ?? throw new BerthException("cannot run ps");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    [GeneratedRegex(@"\s+([^\s]*)=\s*(PID[^\s]*)")]
    private static partial Regex RenameToPid();
}
