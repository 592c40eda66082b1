using System.Security.Cryptography;
using System.Text;

namespace Berth.Tests.Support;

/// <summary>
/// The busybox root file system tar that scripts/make-busybox-rootfs.sh makes. The script's output is deterministic, so
/// it is made once per version of the script and of /bin/busybox and kept in the temp directory under a name that says
/// which (a test host that is killed never runs exit handlers, so a per-process file would be left behind every run).
/// </summary>
public static class BusyboxRootfs
{
    static readonly Lazy<string> Tar = new(() =>
    {
        string script = RepositoryRoot.Combine("scripts", "make-busybox-rootfs.sh");
        var busybox = new FileInfo("/bin/busybox");
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            File.ReadAllText(script) + (busybox.Exists ? $"{busybox.Length}/{busybox.LastWriteTimeUtc.Ticks}" : ""))))[..16];
        string path = Path.Combine(Path.GetTempPath(), $"berth-tests-busybox-{key}.tar");
        if (File.Exists(path)) return path;
        string partial = $"{path}.{Environment.ProcessId}.tmp";
        ProcessRunner.Check("bash", script, partial);
        File.Move(partial, path, overwrite: true); // another test host may have made the same file meanwhile: same bytes
        return path;
    });

    public static string TarPath => Tar.Value;
}
