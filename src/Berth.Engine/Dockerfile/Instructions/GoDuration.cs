using System.Globalization;

namespace Berth.Engine.Dockerfile.Instructions;

/// <summary>Go's <c>time.ParseDuration</c> (<c>30s</c>, <c>1m30s</c>, <c>500ms</c>, <c>1.5h</c>, <c>-2s</c>, <c>0</c>) to a <see cref="TimeSpan"/>.</summary>
public static class GoDuration
{
    public static bool TryParse(string s, out TimeSpan value)
    {
        value = default;
        if (!TryParseNanoseconds(s, out long ns)) return false;
        value = TimeSpan.FromTicks(ns / 100);
        return true;
    }

    /// <summary>Parses or throws <see cref="FormatException"/> with Go's message (<c>time: invalid duration "x"</c>).</summary>
    public static TimeSpan Parse(string s) =>
        TryParse(s, out var v) ? v : throw new FormatException($"time: invalid duration \"{s}\"");

    private static bool TryParseNanoseconds(string s, out long result)
    {
        result = 0;
        int i = 0;
        bool neg = false;
        if (i < s.Length && s[i] is '-' or '+') { neg = s[i] == '-'; i++; }
        if (s[i..] == "0") return true;
        if (i == s.Length) return false;
        decimal total = 0;
        while (i < s.Length)
        {
            int start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            int intEnd = i;
            int fracStart = -1, fracEnd = -1;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                fracStart = i;
                while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                fracEnd = i;
            }
            bool hasDigits = intEnd > start || (fracStart >= 0 && fracEnd > fracStart);
            if (!hasDigits) return false;
            int unitStart = i;
            while (i < s.Length && s[i] != '.' && !char.IsAsciiDigit(s[i])) i++;
            string unit = s[unitStart..i];
            decimal scale = unit switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => -1m,
            };
            if (scale < 0) return false;
            if (intEnd - start > 20) return false;
            string number = s[start..intEnd];
            if (fracStart >= 0 && fracEnd > fracStart) number += "." + s[fracStart..Math.Min(fracEnd, fracStart + 20)];
            if (number.Length == 0 || number[0] == '.') number = "0" + number;
            if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
            try
            {
                total += decimal.Truncate(n * scale);
            }
            catch (OverflowException)
            {
                return false;
            }
            if (total > long.MaxValue) return false;
        }
        result = (long)(neg ? -total : total);
        return true;
    }
}
