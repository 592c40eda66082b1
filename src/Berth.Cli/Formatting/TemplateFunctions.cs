using System.Globalization;
using System.Text;

namespace Berth.Cli.Formatting;

internal sealed class TemplateFunctionException(string message) : Exception(message);

/// <summary>Go's template builtins and docker/cli's template functions, with Go's argument checks and messages.</summary>
internal static class TemplateFunctions
{
    public static object? Call(string name, List<object?> a)
    {
        switch (name)
        {
            case "not": Arity(name, a, 1); return !GoValues.IsTrue(a[0]);
            case "len": Arity(name, a, 1); return Len(a[0]);
            case "index": AtLeast(name, a, 1); return Index(a);
            case "slice": AtLeast(name, a, 1); return Slice(a);
            case "print": return Sprint(a);
            case "println": return string.Join(' ', a.Select(GoValues.Print)) + "\n";
            case "printf":
                AtLeast(name, a, 1);
                return GoPrintf.Sprintf(Str(a[0]), a.Skip(1).ToList());
            case "eq":
                AtLeast(name, a, 1);
                if (a.Count < 2) throw Calling(name, "missing argument for comparison");
                for (int i = 1; i < a.Count; i++) if (Compare(name, a[0], a[i], equalityOnly: true) == 0) return true;
                return false;
            case "ne": Arity(name, a, 2); return Compare(name, a[0], a[1], equalityOnly: true) != 0;
            case "lt": Arity(name, a, 2); return Compare(name, a[0], a[1], false) < 0;
            case "le": Arity(name, a, 2); return Compare(name, a[0], a[1], false) <= 0;
            case "gt": Arity(name, a, 2); return Compare(name, a[0], a[1], false) > 0;
            case "ge": Arity(name, a, 2); return Compare(name, a[0], a[1], false) >= 0;
            case "json": Arity(name, a, 1); return GoValues.ToJson(a[0]);
            case "split":
            {
                Arity(name, a, 2);
                string s = Str(a[0]), sep = Str(a[1]);
                if (sep.Length == 0) return s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList();
                return s.Split(sep).Select(x => (object?)x).ToList();
            }
            case "join": Arity(name, a, 2); return Join(a[0], Str(a[1]));
            case "title": Arity(name, a, 1); return Title(Str(a[0]));
            case "lower": Arity(name, a, 1); return Str(a[0]).ToLowerInvariant();
            case "upper": Arity(name, a, 1); return Str(a[0]).ToUpperInvariant();
            case "pad":
            {
                Arity(name, a, 3);
                string s = Str(a[0]);
                return s.Length == 0 ? s : new string(' ', (int)Int(a[1])) + s + new string(' ', (int)Int(a[2]));
            }
            case "truncate":
            {
                Arity(name, a, 2);
                string s = Str(a[0]);
                long n = Int(a[1]);
                if (s.Length < n) return s;
                if (n < 0) throw Calling(name, $"runtime error: slice bounds out of range [:{n}]");
                return s[..(int)n];
            }
        }
        throw new TemplateFunctionException($"function \"{name}\" not defined");
    }

    private static TemplateFunctionException Calling(string name, string message) => new($"error calling {name}: {message}");

    private static void Arity(string name, List<object?> a, int want)
    {
        if (a.Count != want) throw new TemplateFunctionException($"wrong number of args for {name}: want {want} got {a.Count}");
    }

    private static void AtLeast(string name, List<object?> a, int want)
    {
        if (a.Count < want) throw new TemplateFunctionException($"wrong number of args for {name}: want at least {want} got {a.Count}");
    }

    private static string Str(object? v) => GoValues.Normalize(v) as string
        ?? throw new TemplateFunctionException($"wrong type for value; expected string; got {GoValues.TypeName(v)}");

    private static long Int(object? v) => GoValues.Normalize(v) switch
    {
        long l => l,
        double d when d == Math.Floor(d) => (long)d,
        _ => throw new TemplateFunctionException($"wrong type for value; expected int; got {GoValues.TypeName(v)}"),
    };

    // fmt.Sprint: a space between operands when neither side is a string.
    private static string Sprint(List<object?> a)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < a.Count; i++)
        {
            if (i > 0 && GoValues.Normalize(a[i]) is not string && GoValues.Normalize(a[i - 1]) is not string) sb.Append(' ');
            sb.Append(GoValues.Print(a[i]));
        }
        return sb.ToString();
    }

    private static long Len(object? v)
    {
        v = GoValues.Normalize(v);
        if (v is string s) return Encoding.UTF8.GetByteCount(s);
        if (GoValues.IsMap(v)) return GoValues.MapEntries(v).Count;
        if (GoValues.IsList(v)) return GoValues.ListCount(v);
        throw Calling("len", $"len of type {GoValues.TypeName(v)}");
    }

    private static object? Index(List<object?> a)
    {
        object? item = a[0];
        foreach (var key in a.Skip(1))
        {
            item = GoValues.Normalize(item);
            if (item is null) throw Calling("index", "index of untyped nil");
            if (GoValues.IsMap(item))
            {
                string k = GoValues.Normalize(key) as string ?? GoValues.Print(key);
                item = GoValues.TryMapLookup(item, k, out var found) ? found : GoValues.MapZero(item);
            }
            else if (GoValues.IsList(item) || item is string)
            {
                long i = IndexArg(key);
                if (item is string s)
                {
                    byte[] bytes = Encoding.UTF8.GetBytes(s);
                    if (i < 0 || i >= bytes.Length) throw Calling("index", $"index out of range: {i}");
                    item = (long)bytes[i];
                }
                else
                {
                    var list = GoValues.ListItems(item).ToList();
                    if (i < 0 || i >= list.Count) throw Calling("index", $"index out of range: {i}");
                    item = list[(int)i];
                }
            }
            else if (GoValues.IsRow(item))
            {
                string k = GoValues.Normalize(key) as string ?? GoValues.Print(key);
                item = ((IReadOnlyDictionary<string, object?>)item!).TryGetValue(k, out var found) ? found : null;
            }
            else throw Calling("index", $"can't index item of type {GoValues.TypeName(item)}");
        }
        return item;
    }

    private static long IndexArg(object? key) => GoValues.Normalize(key) switch
    {
        long l => l,
        _ => throw Calling("index", $"cannot index slice/array with type {GoValues.TypeName(key)}"),
    };

    private static object? Slice(List<object?> a)
    {
        object? item = GoValues.Normalize(a[0]);
        var idx = a.Skip(1).Select(IndexArg).ToList();
        if (idx.Count > 2) throw Calling("slice", "too many slice indexes: " + idx.Count);
        if (item is string s)
        {
            long lo = idx.Count > 0 ? idx[0] : 0, hi = idx.Count > 1 ? idx[1] : s.Length;
            if (lo < 0 || hi < lo || hi > s.Length) throw Calling("slice", $"index out of range: {(lo < 0 ? lo : hi)}");
            return s[(int)lo..(int)hi];
        }
        if (GoValues.IsList(item))
        {
            var list = GoValues.ListItems(item).ToList();
            long lo = idx.Count > 0 ? idx[0] : 0, hi = idx.Count > 1 ? idx[1] : list.Count;
            if (lo < 0 || hi < lo || hi > list.Count) throw Calling("slice", $"index out of range: {(lo < 0 ? lo : hi)}");
            return list.GetRange((int)lo, (int)(hi - lo));
        }
        throw Calling("slice", $"can't slice item of type {GoValues.TypeName(item)}");
    }

    private static int Compare(string name, object? x, object? y, bool equalityOnly)
    {
        x = GoValues.Normalize(x);
        y = GoValues.Normalize(y);
        switch (x, y)
        {
            case (long a, long b): return a.CompareTo(b);
            case (long a, double b): return ((double)a).CompareTo(b);
            case (double a, long b): return a.CompareTo(b);
            case (double a, double b): return a.CompareTo(b);
            case (string a, string b): return string.CompareOrdinal(a, b);
            case (bool a, bool b) when equalityOnly: return a == b ? 0 : 1;
            case (null, null) when equalityOnly: return 0;
            case (null, _) or (_, null) when equalityOnly: return 1;
        }
        if (!equalityOnly && (x is bool || x is null)) throw Calling(name, "invalid type for comparison");
        throw Calling(name, "incompatible types for comparison");
    }

    private static string Join(object? elems, string sep)
    {
        elems = GoValues.Normalize(elems);
        if (elems is null) return "";
        if (GoValues.IsMap(elems))
        {
            var values = GoValues.MapEntries(elems).Select(kv => GoValues.Print(kv.Value)).ToList();
            values.Sort(string.CompareOrdinal);
            return string.Join(sep, values);
        }
        if (GoValues.IsList(elems)) return string.Join(sep, GoValues.ListItems(elems).Select(GoValues.Print));
        throw Calling("join", $"expected slice, got {GoValues.TypeName(elems)}");
    }

    // strings.Title: upper-case the first letter of each word; letters, digits, '_' and '\'' do not separate words.
    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevSeparator = true;
        foreach (char c in s)
        {
            sb.Append(prevSeparator ? char.ToUpperInvariant(c) : c);
            prevSeparator = !(char.IsLetterOrDigit(c) || c == '_' || c == '\'');
        }
        return sb.ToString();
    }
}

/// <summary>Go's <c>fmt.Sprintf</c> for the common verbs (<c>%s %v %d %q %f %e %g %t %x %X %%</c>) with flags, width and precision.</summary>
internal static class GoPrintf
{
    public static string Sprintf(string format, List<object?> args)
    {
        var sb = new StringBuilder();
        int argi = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%') { sb.Append(c); continue; }
            if (++i >= format.Length) { sb.Append("%!(NOVERB)"); break; }
            bool minus = false, plus = false, zero = false, space = false, sharp = false;
            for (; i < format.Length; i++)
            {
                char f = format[i];
                if (f == '-') minus = true;
                else if (f == '+') plus = true;
                else if (f == '0') zero = !minus;
                else if (f == ' ') space = true;
                else if (f == '#') sharp = true;
                else break;
            }
            int width = -1, prec = -1;
            if (i < format.Length && format[i] == '*') { width = (int)(GoValues.Normalize(argi < args.Count ? args[argi++] : 0L) as long? ?? 0); i++; }
            else width = ReadInt(format, ref i);
            if (i < format.Length && format[i] == '.')
            {
                i++;
                if (i < format.Length && format[i] == '*') { prec = (int)(GoValues.Normalize(argi < args.Count ? args[argi++] : 0L) as long? ?? 0); i++; }
                else prec = Math.Max(ReadInt(format, ref i), 0);
            }
            if (i >= format.Length) { sb.Append("%!(NOVERB)"); break; }
            char verb = format[i];
            if (verb == '%') { sb.Append('%'); continue; }
            if (argi >= args.Count) { sb.Append("%!").Append(verb).Append("(MISSING)"); continue; }
            object? arg = GoValues.Normalize(args[argi++]);
            string body = FormatOne(verb, arg, prec, plus, space, sharp, out bool numeric);
            if (width > body.Length)
            {
                int pad = width - body.Length;
                if (minus) body += new string(' ', pad);
                else if (zero && numeric)
                {
                    int signLen = body.Length > 0 && body[0] is '-' or '+' ? 1 : 0;
                    body = body[..signLen] + new string('0', pad) + body[signLen..];
                }
                else body = new string(' ', pad) + body;
            }
            sb.Append(body);
        }
        if (argi < args.Count)
        {
            sb.Append("%!(EXTRA ");
            sb.Append(string.Join(", ", args.Skip(argi).Select(a => GoValues.TypeName(a) + "=" + GoValues.Print(a))));
            sb.Append(')');
        }
        return sb.ToString();
    }

    private static int ReadInt(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        return i > start ? int.Parse(s.AsSpan(start, i - start), CultureInfo.InvariantCulture) : -1;
    }

    private static string FormatOne(char verb, object? arg, int prec, bool plus, bool space, bool sharp, out bool numeric)
    {
        numeric = arg is long or double;
        string Bad() => $"%!{verb}({GoValues.TypeName(arg)}={GoValues.Print(arg)})";
        string Sign(string s, bool negative) => negative ? s : plus ? "+" + s : space ? " " + s : s;
        switch (verb)
        {
            case 'v':
                if (arg is long lv) return Sign(lv.ToString(CultureInfo.InvariantCulture), lv < 0);
                if (arg is double dv) return Sign(GoNumberFormat.FormatFloat(dv, 'g', prec), dv < 0);
                return GoValues.Print(arg);
            case 's':
            {
                if (arg is long or double) return Bad();
                string s = arg is string str ? str : GoValues.Print(arg);
                return prec >= 0 && prec < s.Length ? s[..prec] : s;
            }
            case 'q':
                if (arg is string q) return sharp && !q.Contains('`') ? "`" + q + "`" : GoQuote.Quote(q);
                if (arg is long r) return "'" + char.ConvertFromUtf32((int)r) + "'";
                return Bad();
            case 'd':
                if (arg is long d) return Sign(d.ToString(CultureInfo.InvariantCulture), d < 0);
                return Bad();
            case 't':
                if (arg is bool b) return b ? "true" : "false";
                return Bad();
            case 'x' or 'X':
            {
                string hex;
                if (arg is long x) hex = (x < 0 ? "-" : "") + Math.Abs(x).ToString(verb == 'x' ? "x" : "X", CultureInfo.InvariantCulture);
                else if (arg is string hs)
                {
                    hex = Convert.ToHexString(Encoding.UTF8.GetBytes(hs));
                    if (verb == 'x') hex = hex.ToLowerInvariant();
                }
                else return Bad();
                return sharp ? (verb == 'x' ? "0x" : "0X") + hex : hex;
            }
            case 'f' or 'F' or 'e' or 'E' or 'g' or 'G':
            {
                if (arg is not double v) return Bad();
                char f = verb == 'F' ? 'f' : verb;
                int p = prec >= 0 ? prec : f is 'g' or 'G' ? -1 : 6;
                return Sign(GoNumberFormat.FormatFloat(v, f, p), v < 0);
            }
        }
        return $"%!{verb}({GoValues.TypeName(arg)}={GoValues.Print(arg)})";
    }
}
