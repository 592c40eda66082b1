namespace Berth.Cli.Formatting;

/// <summary>docker/cli's sortorder.NaturalLess: runs of digits compare by value ("vol2" before "vol10"), the rest byte by byte.</summary>
public sealed class NaturalOrder : IComparer<string>
{
    public static readonly NaturalOrder Instance = new();

    public int Compare(string? a, string? b)
    {
        a ??= ""; b ??= "";
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                int si = i, sj = j;
                while (si < a.Length && a[si] == '0') si++;
                while (sj < b.Length && b[sj] == '0') sj++;
                int ei = si, ej = sj;
                while (ei < a.Length && char.IsAsciiDigit(a[ei])) ei++;
                while (ej < b.Length && char.IsAsciiDigit(b[ej])) ej++;
                if (ei - si != ej - sj) return (ei - si).CompareTo(ej - sj);
                int c = string.CompareOrdinal(a, si, b, sj, ei - si);
                if (c != 0) return c;
                if (ei - i != ej - j) return (ei - i).CompareTo(ej - j); // fewer leading zeros first
                i = ei; j = ej;
                continue;
            }
            if (a[i] != b[j]) return a[i].CompareTo(b[j]);
            i++; j++;
        }
        return (a.Length - i).CompareTo(b.Length - j);
    }
}
