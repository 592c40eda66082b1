using System.Globalization;
using System.Text;
using Berth.Engine.Images;

namespace Berth.Engine.Build;

/// <summary>The <c>created_by</c> texts Docker's legacy builder writes into image history, with Go's <c>%q</c> and <c>%v</c> spellings.</summary>
public static class HistoryText
{
    /// <summary>A config-only instruction: <c>/bin/sh -c #(nop)  ENV a=b</c> (the shell in effect, two spaces).</summary>
    public static string Nop(IReadOnlyList<string> shell, string text) => string.Join(' ', shell) + " #(nop)  " + text;

    /// <summary>WORKDIR, COPY, ADD: <c>/bin/sh -c #(nop) WORKDIR /x</c> (one space).</summary>
    public static string NopOneSpace(IReadOnlyList<string> shell, string text) => string.Join(' ', shell) + " #(nop) " + text;

    /// <summary>Go's <c>%q</c> of a string slice: <c>["a" "b"]</c>.</summary>
    public static string QuoteList(IEnumerable<string> items) => "[" + string.Join(' ', items.Select(Quote)) + "]";

    /// <summary>Go's <c>%v</c> of a string slice: <c>[a b]</c>.</summary>
    public static string ValueList(IEnumerable<string> items) => "[" + string.Join(' ', items) + "]";

    /// <summary>Go's strconv.Quote.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (rune.Value < 0x20 || rune.Value == 0x7f) sb.Append("\\x").Append(rune.Value.ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(rune.ToString());
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Go's <c>%q</c> of an int: a quoted rune (<c>'\x00'</c>, <c>'\x03'</c>).</summary>
    public static string QuoteRune(int value)
    {
        if (value is >= 0x20 and < 0x7f) return value == '\'' ? "'\\''" : value == '\\' ? "'\\\\'" : $"'{(char)value}'";
        return value switch
        {
            '\a' => "'\\a'", '\b' => "'\\b'", '\f' => "'\\f'", '\n' => "'\\n'", '\r' => "'\\r'", '\t' => "'\\t'", '\v' => "'\\v'",
            < 0x80 => $"'\\x{value:x2}'",
            < 0x10000 => $"'\\u{value:x4}'",
            _ => $"'\\U{value:x8}'",
        };
    }

    /// <summary>Go's time.Duration.String of nanoseconds: <c>0s</c>, <c>10s</c>, <c>1m30s</c>, <c>500ms</c>.</summary>
    public static string Duration(long nanoseconds)
    {
        if (nanoseconds == 0) return "0s";
        var sb = new StringBuilder();
        if (nanoseconds < 0) { sb.Append('-'); nanoseconds = -nanoseconds; }
        if (nanoseconds < 1_000_000_000)
        {
            if (nanoseconds < 1_000) return sb.Append(nanoseconds).Append("ns").ToString();
            if (nanoseconds < 1_000_000) return sb.Append(Fraction(nanoseconds, 1_000)).Append("µs").ToString();
            return sb.Append(Fraction(nanoseconds, 1_000_000)).Append("ms").ToString();
        }
        long hours = nanoseconds / 3_600_000_000_000;
        long rest = nanoseconds % 3_600_000_000_000;
        long minutes = rest / 60_000_000_000;
        rest %= 60_000_000_000;
        if (hours > 0) sb.Append(hours).Append('h');
        if (hours > 0 || minutes > 0) sb.Append(minutes).Append('m');
        return sb.Append(Fraction(rest, 1_000_000_000)).Append('s').ToString();
    }

    static string Fraction(long value, long unit)
    {
        long whole = value / unit, frac = value % unit;
        if (frac == 0) return whole.ToString(CultureInfo.InvariantCulture);
        string digits = frac.ToString(CultureInfo.InvariantCulture).PadLeft(unit.ToString(CultureInfo.InvariantCulture).Length - 1, '0').TrimEnd('0');
        return whole.ToString(CultureInfo.InvariantCulture) + "." + digits;
    }

    /// <summary><c>HEALTHCHECK &amp;{["CMD-SHELL" "x"] "10s" "0s" "0s" '\x00'}</c> (Docker 20.10's HealthConfig fields).</summary>
    public static string Healthcheck(HealthConfig health) =>
        $"&{{{QuoteList(health.Test ?? [])} {Quote(Duration(health.Interval))} {Quote(Duration(health.Timeout))} {Quote(Duration(health.StartPeriod))} {QuoteRune(health.Retries)}}}";
}
