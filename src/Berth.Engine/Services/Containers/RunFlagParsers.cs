using System.Globalization;
using Berth.Engine.Units;

namespace Berth.Engine.Services.Containers;

/// <summary>Parsers for `run`/`create` flag values, with Docker's error wording.</summary>
public static class RunFlagParsers
{
    /// <summary>`-m, --memory`: <see cref="SizeInBytes"/>, at least 6 MB when not 0.</summary>
    public static long MemoryBytes(string value)
    {
        long bytes = SizeInBytes(value, "-m, --memory");
        if (bytes is > 0 and < 6 * 1024 * 1024)
            throw new InvalidInputException("Minimum memory limit allowed is 6MB");
        return bytes;
    }

    /// <summary>
    /// `--memory-swap` (a size or -1 for unlimited) and `--memory-reservation` against the memory limit, with the Docker
    /// daemon's checks: swap needs a memory limit and at least as much; a reservation at most the limit.
    /// </summary>
    public static (long Swap, long Reservation) MemorySwapAndReservation(long memory, string? swapValue, string? reservationValue)
    {
        long swap = swapValue is null ? 0 : MemorySwapBytes(swapValue);
        long reservation = reservationValue is null ? 0 : SizeInBytes(reservationValue, "--memory-reservation");
        CheckMemory(memory, swap, reservation);
        return (swap, reservation);
    }

    /// <summary>`--memory-swap`: a size, or -1 for unlimited swap.</summary>
    public static long MemorySwapBytes(string value) => value.Trim() == "-1" ? -1 : SizeInBytes(value, "--memory-swap");

    /// <summary>The Docker daemon's checks of a memory limit, its memory+swap limit and its reservation (0 for unset).</summary>
    public static void CheckMemory(long memory, long swap, long reservation)
    {
        if (swap != 0 && memory == 0)
            throw new InvalidInputException("You should always set the Memory limit when using Memoryswap limit, see usage");
        if (swap > 0 && swap < memory)
            throw new InvalidInputException("Minimum memoryswap limit should be larger than memory limit, see usage");
        if (reservation > 0 && reservation < 6 * 1024 * 1024)
            throw new InvalidInputException("Minimum memory reservation allowed is 6MB");
        if (memory > 0 && reservation > memory)
            throw new InvalidInputException("Minimum memory limit can not be less than memory reservation limit, see usage");
    }

    /// <summary>docker/go-units RAMInBytes: "64m", "1g", "512k", "100" (bytes); units are powers of 1024.</summary>
    public static long SizeInBytes(string value, string flag) =>
        RamSize.TryParse(value, out long bytes) ? bytes
        : throw new InvalidInputException($"invalid argument \"{value}\" for \"{flag}\" flag: invalid size: '{value}'");

    /// <summary>`--cpus 1.5` as billionths of a CPU.</summary>
    public static long NanoCpus(string value)
    {
        if (!decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal cpus) || cpus < 0)
            throw new InvalidInputException($"invalid argument \"{value}\" for \"--cpus\" flag: failed to parse {value} as a rational number");
        long nanos = (long)(cpus * 1_000_000_000m);
        if (nanos > (long)Environment.ProcessorCount * 1_000_000_000)
            throw new InvalidInputException($"range of CPUs is from 0.01 to {Environment.ProcessorCount}.00, as there are only {Environment.ProcessorCount} CPUs available");
        return nanos;
    }

    /// <summary>An --env-file: KEY=VALUE lines, `#` comments and blank lines skipped, a bare KEY takes the value from our environment.</summary>
    public static IReadOnlyList<string> EnvFile(string path)
    {
        if (!File.Exists(path)) throw new NotFoundException($"open {path}: no such file or directory");
        var result = new List<string>();
        foreach (var raw in File.ReadAllLines(path))
        {
            string line = raw.TrimStart();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            result.AddRange(Env(line));
        }
        return result;
    }

    /// <summary>One -e value: KEY=VALUE as is; a bare KEY takes our environment's value, or is dropped when unset (as Docker).</summary>
    public static IEnumerable<string> Env(string value)
    {
        int eq = value.IndexOf('=');
        if (eq == 0) throw new InvalidInputException($"invalid environment variable: {value}");
        if (eq > 0) { yield return value; yield break; }
        if (Environment.GetEnvironmentVariable(value) is { } v) yield return value + "=" + v;
    }

    /// <summary>`--tmpfs /path[:options]`.</summary>
    public static (string Destination, string Options) Tmpfs(string value)
    {
        int colon = value.IndexOf(':');
        string dest = colon < 0 ? value : value[..colon];
        if (!dest.StartsWith('/')) throw new InvalidInputException($"invalid mount path {dest}: must be absolute");
        return (dest, colon < 0 ? "" : value[(colon + 1)..]);
    }

    /// <summary>A `-v` value: SOURCE:DEST[:OPTIONS] (a host path or volume name) or DEST alone (an anonymous volume).</summary>
    public static (string? Source, string Destination, bool ReadWrite, string Options) Volume(string value)
    {
        var parts = value.Split(':');
        string? source = null;
        string dest;
        string options = "";
        switch (parts.Length)
        {
            case 1: dest = parts[0]; break;
            case 2 when parts[1].StartsWith('/'): source = parts[0]; dest = parts[1]; break;
            case 2: dest = parts[0]; options = parts[1]; break;
            case 3: source = parts[0]; dest = parts[1]; options = parts[2]; break;
            default: throw new InvalidInputException($"invalid volume specification: '{value}'");
        }
        if (source is { Length: 0 } || dest.Length == 0) throw new InvalidInputException($"invalid volume specification: '{value}'");
        if (!dest.StartsWith('/')) throw new InvalidInputException($"invalid volume specification: '{value}': invalid mount config for type \"volume\": invalid mount path: '{dest}' mount path must be absolute");
        bool rw = true;
        foreach (var o in options.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            switch (o)
            {
                case "ro": rw = false; break;
                case "rw": rw = true; break;
                case "z" or "Z" or "shared" or "rshared" or "slave" or "rslave" or "private" or "rprivate" or "nocopy" or "consistent" or "cached" or "delegated": break;
                default: throw new InvalidInputException($"invalid mode: {o}");
            }
        }
        return (source, dest, rw, options);
    }
}
