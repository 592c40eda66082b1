namespace Berth.Tests.Support;

/// <summary>The busybox root file system tar that scripts/make-busybox-rootfs.sh makes, built once per test run.</summary>
public static class BusyboxRootfs
{
    static readonly Lazy<string> Tar = new(() =>
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"berth-tests-busybox-{Environment.ProcessId}.tar");
        ProcessRunner.Check("bash", RepositoryRoot.Combine("scripts", "make-busybox-rootfs.sh"), path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    });

    public static string TarPath => Tar.Value;
}
