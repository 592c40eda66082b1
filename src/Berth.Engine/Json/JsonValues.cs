using System.Text.Json;

namespace Berth.Engine.Json;

/// <summary>
/// Typed values read from a <see cref="Utf8JsonReader"/> positioned on them, with the serializer's rules: a JSON null
/// for a reference type reads as null, any other token of the wrong kind is a <see cref="JsonException"/>.
/// </summary>
/// <remarks>For the hand-written readers of records read at every container command (see <see cref="Images.ContainerConfigJson"/>).</remarks>
public static class JsonValues
{
    public static string? String(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        _ => throw Unexpected(ref reader, "a string"),
    };

    public static bool Boolean(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Unexpected(ref reader, "true or false"),
    };

    public static long Int64(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value) ? value : throw Unexpected(ref reader, "an integer");

    public static int Int32(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int value) ? value : throw Unexpected(ref reader, "a 32-bit integer");

    public static ushort UInt16(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetUInt16(out ushort value) ? value : throw Unexpected(ref reader, "a 16-bit unsigned integer");

    public static ulong UInt64(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out ulong value) ? value : throw Unexpected(ref reader, "an unsigned integer");

    public static long? NullableInt64(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : Int64(ref reader);

    public static int? NullableInt32(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : Int32(ref reader);

    /// <summary>An array of strings (null elements kept, as the serializer does), or null.</summary>
    public static List<string>? StringList(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) throw Unexpected(ref reader, "an array");
        var list = new List<string>();
        while (Next(ref reader) != JsonTokenType.EndArray) list.Add(String(ref reader)!);
        return list;
    }

    /// <summary>An object of string values, or null.</summary>
    public static SortedDictionary<string, string>? StringMap(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        StartObject(ref reader);
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        while (NextProperty(ref reader) is { } key) map[key] = String(ref reader)!;
        return map;
    }

    /// <summary>Checks that the reader is on an object's start.</summary>
    public static void StartObject(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw Unexpected(ref reader, "an object");
    }

    /// <summary>
    /// The next property's name with the reader moved onto its value, or null at the object's end. Every value reader here
    /// leaves the reader on the value's last token, as <see cref="Utf8JsonReader.Skip"/> does for a value not wanted.
    /// </summary>
    public static string? NextProperty(ref Utf8JsonReader reader)
    {
        if (Next(ref reader) == JsonTokenType.EndObject) return null;
        string name = reader.GetString()!;
        Next(ref reader);
        return name;
    }

    /// <summary>
    /// <see cref="NextProperty"/> for a reader that matches names without case: the name upper-cased (invariant), or null at
    /// the object's end. A name seen before comes from <see cref="UpperNames"/> without allocating (`ps -a` reads some forty
    /// names per container, and the name plus its upper-cased copy were two strings each).
    /// </summary>
    public static string? NextPropertyKey(ref Utf8JsonReader reader)
    {
        if (Next(ref reader) == JsonTokenType.EndObject) return null;
        Span<char> buffer = stackalloc char[64];
        string key;
        if (reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > buffer.Length) key = reader.GetString()!.ToUpperInvariant();
        else
        {
            var name = buffer[..System.Text.Encoding.UTF8.GetChars(reader.ValueSpan, buffer)];
            if (!UpperNamesLookup.TryGetValue(name, out key!))
            {
                key = name.ToString().ToUpperInvariant();
                if (UpperNames.Count < MaxUpperNames) UpperNames.TryAdd(name.ToString(), key);
            }
        }
        Next(ref reader);
        return key;
    }

    /// <summary>Property names as written (ordinal) and their upper-cased forms; bounded, as names come from files.</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> UpperNames = new(StringComparer.Ordinal);
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> UpperNamesLookup =
        UpperNames.GetAlternateLookup<ReadOnlySpan<char>>();
    const int MaxUpperNames = 1024;

    /// <summary>Moves to the next token; the end of the input inside a value is malformed JSON.</summary>
    public static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new JsonException("The JSON value ends early.");

    public static JsonException Unexpected(ref Utf8JsonReader reader, string expected) =>
        new($"Expected {expected} but found {reader.TokenType} at byte {reader.TokenStartIndex}.");
}
