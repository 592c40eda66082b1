using System.Runtime.InteropServices;

namespace Berth.Engine.Identifiers;

/// <summary>
/// Cryptographically secure random bytes straight from the kernel (getrandom(2)), for container, volume and build IDs.
/// </summary>
/// <remarks>
/// Hand-written instead of <see cref="System.Security.Cryptography.RandomNumberGenerator"/>: on Linux that one draws from
/// OpenSSL, and loading and initialising libssl/libcrypto costs a short-lived berth process several milliseconds
/// (measured on `berth run --rm`); the kernel's generator is what OpenSSL seeds from anyway.
/// </remarks>
public static partial class KernelRandom
{
    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint getrandom(byte* buffer, nuint length, uint flags);

    /// <summary>Fills <paramref name="buffer"/>; blocks only until the kernel's pool is initialised at boot.</summary>
    public static unsafe void Fill(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = getrandom(p + done, (nuint)(buffer.Length - done), 0);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == 4) continue; // EINTR
                    throw new IOException($"getrandom failed: errno {errno}");
                }
                done += (int)n;
            }
        }
    }

    /// <summary><paramref name="bytes"/> random bytes as lower-case hex (64 characters for 32 bytes, like Docker's IDs).</summary>
    public static string Hex(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        Fill(buffer);
        return Convert.ToHexStringLower(buffer);
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>) (rejection sampling: no modulo bias).</summary>
    public static int Below(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        uint limit = uint.MaxValue - (uint.MaxValue % (uint)maxExclusive);
        Span<byte> buffer = stackalloc byte[4];
        while (true)
        {
            Fill(buffer);
            uint value = BitConverter.ToUInt32(buffer);
            if (value < limit) return (int)(value % (uint)maxExclusive);
        }
    }
}
