using System.Globalization;

namespace Berth.Engine.Units;

/// <summary>
/// Sizes as docker/go-units' RAMInBytes reads them (--memory, --shm-size, --device-read-bps, RUN --mount size=): a
/// number, one optional space, then an optional k, m, g, t or p (powers of 1024, any case), an optional "i" and an
/// optional "b": "64m", "1.5g", "512 KiB", "100" (bytes). Its regular expression, written out here.
/// </summary>
public static class RamSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        int end = 0;
        while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
        if (end == 0) return false;
        // Go's pattern takes "\d+(\.\d+)*"; the number itself is then read as a float (a second dot makes it fail).
        while (end + 1 < text.Length && text[end] == '.' && char.IsAsciiDigit(text[end + 1]))
            for (end++; end < text.Length && char.IsAsciiDigit(text[end]); end++) { }
        if (!double.TryParse(text.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number)) return false;
        var unit = text.AsSpan(end);
        if (unit.StartsWith(" ")) unit = unit[1..];
        double multiplier = 1;
        if (unit.Length > 0 && "kmgtp".IndexOf(char.ToLowerInvariant(unit[0])) is var power and >= 0)
        {
            multiplier = Math.Pow(1024, power + 1);
            unit = unit[1..];
        }
        if (unit.Length > 0 && unit[0] is 'i' or 'I') unit = unit[1..];
        if (unit.Length > 0 && unit[0] is 'b' or 'B') unit = unit[1..];
        if (unit.Length > 0) return false;
        double value = number * multiplier;
        if (value >= long.MaxValue) return false;
        bytes = (long)value;
        return true;
    }
}
