using System.Globalization;
using System.Text;

namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>Go's <c>strconv.Quote</c>, used by the AST dump so it matches BuildKit's byte for byte.</summary>
public static class GoQuote
{
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        Append(sb, s);
        return sb.ToString();
    }

    public static void Append(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            int cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                cp = char.ConvertToUtf32(c, s[i + 1]);
                i++;
            }
            else if (SourceText.IsEscapedByte(c))
            {
                // A byte that was not valid UTF-8 in the source file: Go prints it as \xNN.
                sb.Append("\\x").Append(SourceText.EscapedByteValue(c).ToString("x2", CultureInfo.InvariantCulture));
                continue;
            }
            else if (char.IsSurrogate(c))
            {
                cp = 0xFFFD; // a lone surrogate cannot be UTF-8 encoded; Go would see U+FFFD
            }
            AppendRune(sb, cp);
        }
        sb.Append('"');
    }

    private static void AppendRune(StringBuilder sb, int cp)
    {
        switch (cp)
        {
            case '"': sb.Append("\\\""); return;
            case '\\': sb.Append("\\\\"); return;
            case '\a': sb.Append("\\a"); return;
            case '\b': sb.Append("\\b"); return;
            case '\f': sb.Append("\\f"); return;
            case '\n': sb.Append("\\n"); return;
            case '\r': sb.Append("\\r"); return;
            case '\t': sb.Append("\\t"); return;
            case '\v': sb.Append("\\v"); return;
        }
        if (cp < 0x20 || cp == 0x7F)
        {
            sb.Append("\\x").Append(cp.ToString("x2", CultureInfo.InvariantCulture));
            return;
        }
        if (cp < 0x7F)
        {
            sb.Append((char)cp);
            return;
        }
        if (IsPrintable(cp))
        {
            sb.Append(char.ConvertFromUtf32(cp));
            return;
        }
        if (cp < 0x10000)
            sb.Append("\\u").Append(cp.ToString("x4", CultureInfo.InvariantCulture));
        else
            sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
    }

    // Go's unicode.IsPrint: categories L, M, N, P, S, plus U+0020 only among spaces.
    private static bool IsPrintable(int cp)
    {
        var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
        switch (cat)
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.SpacingCombiningMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
            case UnicodeCategory.MathSymbol:
            case UnicodeCategory.CurrencySymbol:
            case UnicodeCategory.ModifierSymbol:
            case UnicodeCategory.OtherSymbol:
                return true;
            default:
                return cp == ' ';
        }
    }
}
