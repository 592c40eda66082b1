using System.Runtime.InteropServices;

namespace Berth.Engine.Runtime;

/// <summary>
/// Whether the kernel runs x32 programs (x86-64's ILP32 ABI). Docker's seccomp profile lists SCMP_ARCH_X32 beside x86-64 and
/// x86, and each architecture in a filter costs runc about 7 ms to compile at every container start. Most kernels have x32
/// disabled (Debian's: `syscall.x32=y` turns it on); there no x32 process can exist, so a filter without SCMP_ARCH_X32
/// behaves exactly as one with it, and Berth leaves it out. Where x32 works, or cannot be probed safely, it stays in.
/// </summary>
public static partial class X32Abi
{
    /// <summary>The x32 syscall number bit (__X32_SYSCALL_BIT) and getpid's number, which x32 shares with x86-64.</summary>
    const long X32GetPid = 0x40000000 | 39;
    const int ENOSYS = 38;

    static readonly Lazy<bool> Probed = new(Probe);

    /// <summary>False only when this is an x86-64 kernel that answered an x32 syscall with ENOSYS.</summary>
    public static bool Enabled => Probed.Value;

    static bool Probe()
    {
        if (RuntimeInformation.OSArchitecture != Architecture.X64) return false;
        // Under a seccomp filter (Berth itself in a container), an x32 syscall may hit the filter's "bad architecture"
        // action, which can kill the process: only probe when no filter is installed.
        if (!NoSeccompFilter()) return true;
        long result = Syscall(X32GetPid);
        return !(result == -1 && Marshal.GetLastPInvokeError() == ENOSYS);
    }

    static bool NoSeccompFilter()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Seccomp:", StringComparison.Ordinal)) return line.AsSpan(8).Trim().SequenceEqual("0");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return false;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number);
}
