using System.Globalization;
using System.Numerics;
using System.Text;

namespace Berth.Cli.Formatting;

/// <summary>Go's <c>strconv.FormatFloat</c> for the verbs Docker's output relies on (<c>%g</c>, <c>%e</c>, <c>%f</c>, <c>%v</c>), digit for digit.</summary>
internal static class GoNumberFormat
{
    /// <summary>Formats like <c>strconv.FormatFloat(v, fmt, prec, 64)</c>; <paramref name="prec"/> -1 means the shortest exact round-trip digits.</summary>
    public static string FormatFloat(double v, char fmt, int prec)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsPositiveInfinity(v)) return "+Inf";
        if (double.IsNegativeInfinity(v)) return "-Inf";
        bool neg = v < 0 || (v == 0 && double.IsNegative(v));
        v = Math.Abs(v);

        bool shortest = prec < 0;
        string digits;
        int dp;
        if (shortest)
        {
            (digits, dp) = ShortestDigits(v);
            prec = fmt switch { 'e' or 'E' => Math.Max(digits.Length - 1, 0), 'f' => Math.Max(digits.Length - dp, 0), _ => digits.Length };
        }
        else
        {
            (digits, dp) = ExactDigits(v);
            int keep = fmt switch { 'e' or 'E' => prec + 1, 'f' => dp + prec, _ => prec == 0 ? 1 : prec };
            if (fmt is 'g' or 'G' && prec == 0) prec = 1;
            (digits, dp) = Round(digits, dp, keep);
        }

        var sb = new StringBuilder();
        if (neg) sb.Append('-');
        switch (fmt)
        {
            case 'e' or 'E':
                AppendE(sb, digits, dp, prec, fmt);
                break;
            case 'f':
                AppendF(sb, digits, dp, prec);
                break;
            default:
            {
                int eprec = prec;
                if (eprec > digits.Length && digits.Length >= dp) eprec = digits.Length;
                if (shortest) eprec = 6;
                int exp = dp - 1;
                if (exp < -4 || exp >= eprec)
                {
                    if (prec > digits.Length) prec = digits.Length;
                    AppendE(sb, digits, dp, prec - 1, fmt == 'G' ? 'E' : 'e');
                }
                else
                {
                    if (prec > dp) prec = digits.Length;
                    AppendF(sb, digits, dp, Math.Max(prec - dp, 0));
                }
                break;
            }
        }
        return sb.ToString();
    }

    private static void AppendE(StringBuilder sb, string digits, int dp, int prec, char e)
    {
        sb.Append(digits.Length > 0 ? digits[0] : '0');
        if (prec > 0)
        {
            sb.Append('.');
            for (int i = 1; i <= prec; i++) sb.Append(i < digits.Length ? digits[i] : '0');
        }
        int exp = digits.Length == 0 ? 0 : dp - 1;
        sb.Append(e).Append(exp < 0 ? '-' : '+');
        exp = Math.Abs(exp);
        if (exp < 10) sb.Append('0');
        sb.Append(exp.ToString(CultureInfo.InvariantCulture));
    }

    private static void AppendF(StringBuilder sb, string digits, int dp, int prec)
    {
        if (dp > 0)
        {
            for (int i = 0; i < dp; i++) sb.Append(i < digits.Length ? digits[i] : '0');
        }
        else sb.Append('0');
        if (prec > 0)
        {
            sb.Append('.');
            for (int i = 0; i < prec; i++)
            {
                int j = dp + i;
                sb.Append(j >= 0 && j < digits.Length ? digits[j] : '0');
            }
        }
    }

    // Digits of the shortest round-trip representation: value = 0.digits × 10^dp.
    private static (string Digits, int Dp) ShortestDigits(double v)
    {
        if (v == 0) return ("", 0);
        // .NET's "R" is the shortest round-trip form; reparse it into digits and exponent.
        string s = v.ToString("R", CultureInfo.InvariantCulture);
        int ePos = s.IndexOfAny(['E', 'e']);
        int exp10 = 0;
        string mant = s;
        if (ePos >= 0)
        {
            exp10 = int.Parse(s[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mant = s[..ePos];
        }
        int dot = mant.IndexOf('.');
        string intPart = dot >= 0 ? mant[..dot] : mant;
        string frac = dot >= 0 ? mant[(dot + 1)..] : "";
        string all = intPart + frac;
        int dp = intPart.Length + exp10;
        int lead = 0;
        while (lead < all.Length && all[lead] == '0') { lead++; dp--; }
        all = all[lead..].TrimEnd('0');
        return (all, dp);
    }

    // The exact decimal expansion of a finite double: value = 0.digits × 10^dp, trailing zeros trimmed.
    private static (string Digits, int Dp) ExactDigits(double v)
    {
        if (v == 0) return ("", 0);
        long bits = BitConverter.DoubleToInt64Bits(v);
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0) exponent = 1; else mantissa |= 1L << 52;
        exponent -= 1075;
        string digits;
        int dp;
        if (exponent >= 0)
        {
            digits = (new BigInteger(mantissa) << exponent).ToString(CultureInfo.InvariantCulture);
            dp = digits.Length;
        }
        else
        {
            int k = -exponent;
            digits = (new BigInteger(mantissa) * BigInteger.Pow(5, k)).ToString(CultureInfo.InvariantCulture);
            dp = digits.Length - k;
        }
        int lead = 0;
        while (lead < digits.Length && digits[lead] == '0') { lead++; dp--; }
        return (digits[lead..].TrimEnd('0'), dp);
    }

    // Rounds exact digits to `keep` digits, half to even on an exact tie (as Go does).
    private static (string Digits, int Dp) Round(string digits, int dp, int keep)
    {
        if (keep < 0) return ("", dp);
        if (keep >= digits.Length) return (digits, dp);
        bool up;
        if (digits[keep] == '5' && keep + 1 == digits.Length)
            up = keep > 0 && (digits[keep - 1] - '0') % 2 == 1;
        else
            up = digits[keep] >= '5';
        if (!up) return (digits[..keep].TrimEnd('0'), dp);
        var chars = digits[..keep].ToCharArray();
        int i = keep - 1;
        while (i >= 0 && chars[i] == '9') i--;
        if (i < 0) return ("1", dp + 1);
        chars[i]++;
        return (new string(chars, 0, i + 1), dp);
    }
}
