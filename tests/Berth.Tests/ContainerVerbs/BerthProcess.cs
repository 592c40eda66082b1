using Berth.Engine.Processes;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerVerbs;

/// <summary>Runs the real `berth` binary through bash, for what needs binary stdio (tar streams) or a live process (stats refresh).</summary>
static class BerthProcess
{
    static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>The berth command line (with --root) as a shell word list.</summary>
    public static string Command(string root) =>
        string.Join(' ', new[] { BerthExecutable.Current.FileName }.Concat(BerthExecutable.Current.Arguments("--root", root)).Select(Quote));

    /// <summary>Runs <paramref name="script"/> with bash, where the function <c>berth</c> runs berth on the store.</summary>
    public static ProcessRunner.Result Bash(string root, string script) =>
        ProcessRunner.Run("bash", ["-c", "berth() { " + Command(root) + " \"$@\"; }; " + script], timeout: TimeSpan.FromSeconds(60));
}
