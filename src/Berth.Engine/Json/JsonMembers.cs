using System.Text.Json;

namespace Berth.Engine.Json;

/// <summary>
/// Members written to a <see cref="Utf8JsonWriter"/> with the serializer's null rules: the <c>UnlessNull</c> forms leave
/// a null member out (WhenWritingNull), the others write it as <c>null</c> (a member marked to be always written).
/// </summary>
/// <remarks>For the hand-written writers on `run`'s path (see <see cref="Images.ContainerConfigJson"/>).</remarks>
public static class JsonMembers
{
    public static void StringUnlessNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    public static void BooleanUnlessNull(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v) w.WriteBoolean(name, v);
    }

    public static void NumberUnlessNull(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
    }

    public static void NumberUnlessNull(Utf8JsonWriter w, string name, uint? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
    }

    public static void NumberUnlessNull(Utf8JsonWriter w, string name, ulong? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
    }

    /// <summary>An array of strings, or <c>null</c>.</summary>
    public static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartArray(name);
        foreach (string value in values) w.WriteStringValue(value);
        w.WriteEndArray();
    }

    /// <summary>An array of objects, each written by <paramref name="write"/>; nothing when <paramref name="items"/> is null.</summary>
    public static void Objects<T>(Utf8JsonWriter w, string name, IReadOnlyList<T>? items, Action<Utf8JsonWriter, T> write)
    {
        if (items is null) return;
        w.WriteStartArray(name);
        foreach (var item in items) write(w, item);
        w.WriteEndArray();
    }

    public static void StringsUnlessNull(Utf8JsonWriter w, string name, IReadOnlyList<string>? values)
    {
        if (values is not null) Strings(w, name, values);
    }

    /// <summary>An object of string values, or <c>null</c>.</summary>
    public static void Map(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>>? map)
    {
        if (map is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartObject(name);
        foreach (var (key, value) in map) w.WriteString(key, value);
        w.WriteEndObject();
    }

    public static void MapUnlessNull(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>>? map)
    {
        if (map is not null) Map(w, name, map);
    }
}
