using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Cli.Formatting;

/// <summary>
/// How template data maps onto Go values: <see cref="JsonObject"/> and other dictionaries are Go maps (missing key →
/// <c>&lt;no value&gt;</c>), <see cref="IReadOnlyDictionary{TKey,TValue}"/> of <c>string, object?</c> is a struct-like row
/// (unknown field → error, like docker's list contexts), lists/arrays are slices, JSON numbers are int64 when integral.
/// </summary>
internal static class GoValues
{
    /// <summary>Go's invalid reflect.Value: a missing map key; prints as <c>&lt;no value&gt;</c>.</summary>
    public static readonly object NoValue = new NoValueMarker();

    private sealed class NoValueMarker
    {
        public override string ToString() => "<no value>";
    }

    public static object? Normalize(object? v) => v switch
    {
        null => null,
        JsonValue jv => FromJsonValue(jv),
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        uint u => (long)u,
        ulong ul => (double)ul,
        float f => (double)f,
        decimal m => (double)m,
        char c => c.ToString(),
        Enum e => e.ToString(),
        DateTime dt => dt.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF zzz", CultureInfo.InvariantCulture),
        _ => v,
    };

    private static object? FromJsonValue(JsonValue jv)
    {
        switch (jv.GetValueKind())
        {
            case JsonValueKind.String: return jv.GetValue<string>();
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Null: return null;
            case JsonValueKind.Number:
            {
                string s = jv.ToJsonString();
                if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
                return double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
            default: return jv.ToJsonString();
        }
    }

    public static bool IsRow(object? v) => v is IReadOnlyDictionary<string, object?> && v is not JsonObject;

    public static bool IsMap(object? v) => v is JsonObject || (v is IDictionary && !IsRow(v));

    public static bool IsList(object? v) => v is JsonArray || (v is IEnumerable && v is not string && v is not IDictionary && !IsRow(v) && v is not JsonObject);

    public static IEnumerable<object?> ListItems(object? v) => v switch
    {
        JsonArray a => a.Select(n => (object?)n),
        IEnumerable e => e.Cast<object?>(),
        _ => [],
    };

    public static int ListCount(object? v) => v switch
    {
        JsonArray a => a.Count,
        ICollection c => c.Count,
        IEnumerable e => e.Cast<object?>().Count(),
        _ => 0,
    };

    /// <summary>Map entries with keys sorted as Go sorts basic keys.</summary>
    public static List<KeyValuePair<string, object?>> MapEntries(object? v)
    {
        var list = new List<KeyValuePair<string, object?>>();
        switch (v)
        {
            case JsonObject o:
                foreach (var kv in o) list.Add(new(kv.Key, kv.Value));
                break;
            case IDictionary d:
                foreach (DictionaryEntry e in d) list.Add(new(Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", e.Value));
                break;
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    public static bool TryMapLookup(object? map, string key, out object? value)
    {
        value = null;
        switch (map)
        {
            case JsonObject o:
                if (!o.TryGetPropertyValue(key, out var node)) return false;
                value = node;
                return true;
            case IDictionary d:
                if (!d.Contains(key)) return false;
                value = d[key];
                return true;
        }
        return false;
    }

    /// <summary>The zero value <c>index</c> returns for a missing key: "" for string-valued maps, nil otherwise.</summary>
    public static object? MapZero(object? map) => map is IDictionary<string, string> or IReadOnlyDictionary<string, string> ? "" : null;

    /// <summary>Go's <c>truth</c>: false for nil, false, 0, and empty strings, slices and maps.</summary>
    public static bool IsTrue(object? v)
    {
        v = Normalize(v);
        return v switch
        {
            null => false,
            _ when ReferenceEquals(v, NoValue) => false,
            bool b => b,
            long l => l != 0,
            double d => d != 0,
            string s => s.Length > 0,
            _ when IsRow(v) => true,
            _ when IsMap(v) => MapEntries(v).Count > 0,
            _ when IsList(v) => ListCount(v) > 0,
            _ => true,
        };
    }

    /// <summary>Go type names for error messages.</summary>
    public static string TypeName(object? v)
    {
        v = Normalize(v);
        return v switch
        {
            null => "<nil>",
            string => "string",
            bool => "bool",
            long => "int",
            double => "float64",
            _ when IsRow(v) => "struct",
            _ when IsMap(v) => "map[string]interface {}",
            _ when IsList(v) => "[]interface {}",
            _ => v.GetType().Name,
        };
    }

    /// <summary>fmt's <c>%v</c>: maps as <c>map[k:v]</c> with sorted keys, slices as <c>[a b]</c>, nil as <c>&lt;nil&gt;</c>.</summary>
    public static string Print(object? v) => Print(new StringBuilder(), v).ToString();

    /// <summary><see cref="Print(object?)"/> appended to <paramref name="sb"/>, which is returned.</summary>
    public static StringBuilder Print(StringBuilder sb, object? v)
    {
        Print(sb, v, top: true);
        return sb;
    }

    private static void Print(StringBuilder sb, object? v, bool top)
    {
        v = Normalize(v);
        switch (v)
        {
            case null: sb.Append("<nil>"); return;
            case string s: sb.Append(s); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); return;
            case double d: sb.Append(GoNumberFormat.FormatFloat(d, 'g', -1)); return;
        }
        if (ReferenceEquals(v, NoValue)) { sb.Append(top ? "<no value>" : "<nil>"); return; }
        if (v is IReadOnlyDictionary<string, object?> row && IsRow(v))
        {
            sb.Append('{');
            bool first = true;
            foreach (var kv in row)
            {
                if (!first) sb.Append(' ');
                first = false;
                Print(sb, kv.Value, false);
            }
            sb.Append('}');
            return;
        }
        if (IsMap(v))
        {
            sb.Append("map[");
            bool first = true;
            foreach (var kv in MapEntries(v))
            {
                if (!first) sb.Append(' ');
                first = false;
                sb.Append(kv.Key).Append(':');
                Print(sb, kv.Value, false);
            }
            sb.Append(']');
            return;
        }
        if (IsList(v))
        {
            sb.Append('[');
            bool first = true;
            foreach (var item in ListItems(v))
            {
                if (!first) sb.Append(' ');
                first = false;
                Print(sb, item, false);
            }
            sb.Append(']');
            return;
        }
        sb.Append(Convert.ToString(v, CultureInfo.InvariantCulture));
    }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>docker's <c>json</c> template function: compact JSON without HTML escaping.</summary>
    public static string ToJson(object? v)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, WriterOptions)) WriteJson(w, v);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteJson(Utf8JsonWriter w, object? v)
    {
        if (v is JsonNode node)
        {
            if (node is JsonValue jv && jv.GetValueKind() == JsonValueKind.Number) { WriteJson(w, Normalize(jv)); return; }
            node.WriteTo(w);
            return;
        }
        v = Normalize(v);
        switch (v)
        {
            case null: w.WriteNullValue(); return;
            case string s: w.WriteStringValue(s); return;
            case bool b: w.WriteBooleanValue(b); return;
            case long l: w.WriteNumberValue(l); return;
            case double d: w.WriteRawValue(GoJsonFloat(d)); return;
        }
        if (ReferenceEquals(v, NoValue)) { w.WriteNullValue(); return; }
        if (v is IReadOnlyDictionary<string, object?> row && IsRow(v))
        {
            w.WriteStartObject();
            foreach (var kv in row)
            {
                w.WritePropertyName(kv.Key);
                WriteJson(w, kv.Value);
            }
            w.WriteEndObject();
            return;
        }
        if (IsMap(v))
        {
            w.WriteStartObject();
            foreach (var kv in MapEntries(v))
            {
                w.WritePropertyName(kv.Key);
                WriteJson(w, kv.Value);
            }
            w.WriteEndObject();
            return;
        }
        if (IsList(v))
        {
            w.WriteStartArray();
            foreach (var item in ListItems(v)) WriteJson(w, item);
            w.WriteEndArray();
            return;
        }
        w.WriteStringValue(Convert.ToString(v, CultureInfo.InvariantCulture));
    }

    // encoding/json: shortest digits, exponent form only below 1e-6 or from 1e21, with "e-07" cleaned to "e-7".
    private static string GoJsonFloat(double d)
    {
        double abs = Math.Abs(d);
        char fmt = abs != 0 && (abs < 1e-6 || abs >= 1e21) ? 'e' : 'f';
        string s = GoNumberFormat.FormatFloat(d, fmt, -1);
        if (fmt == 'e' && s.Length >= 4 && s[^4] == 'e' && s[^3] == '-' && s[^2] == '0') s = s[..^2] + s[^1];
        return s;
    }
}
