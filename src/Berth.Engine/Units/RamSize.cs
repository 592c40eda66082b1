using System.Globalization;

namespace Berth.Engine.Units;

/// <summary>
/// Sizes as docker/go-units' RAMInBytes (v0.5, parseSize) reads them (--memory, --shm-size, --device-read-bps, RUN
/// --mount size=): the text up to its last digit, dot or space is a number (Go's ParseFloat: "1.5", ".5", "1e3", "+2";
/// a space there is dropped), the rest an optional unit of at most three letters, any case: "b", or k, m, g, t or p
/// (powers of 1024) alone or followed by "b" or "ib" ("64m", "512 KiB", "1.5gb"). Negative sizes are refused.
/// </summary>
public static class RamSize
{
    const string NumberEnds = "0123456789. ";

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        int separator = text.LastIndexOfAny(NumberEnds.ToCharArray());
        if (separator < 0) return false;
        string number = text[separator] == ' ' ? text[..separator] : text[..(separator + 1)];
        string suffix = text[(separator + 1)..].ToLowerInvariant();
        // Go's ParseFloat: no white space around, a sign, a point, an exponent.
        if (!double.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out double size) || size < 0)
            return false;
        if (suffix.Length > 3) return false;
        if (suffix.Length > 0 && suffix[0] != 'b')
        {
            int power = "kmgtp".IndexOf(suffix[0]);
            if (power < 0 || suffix.Length == 2 && suffix[1] != 'b' || suffix.Length == 3 && suffix[1..] != "ib") return false;
            size *= Math.Pow(1024, power + 1);
        }
        else if (suffix.Length > 1) return false; // nothing may follow "b"
        if (size >= long.MaxValue) return false;
        bytes = (long)size;
        return true;
    }
}
