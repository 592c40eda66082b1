using System.Reflection;
using Berth.Engine.Images;

namespace Berth.Tests.Support;

/// <summary>
/// Values of Berth's records with every property (or constructor parameter) set to something other than its default,
/// found by reflection: a property added later is filled too, so tests of hand-written JSON notice what it leaves out.
/// </summary>
public static class RecordFiller
{
    public static T Filled<T>() => (T)Fill(typeof(T), typeof(T).Name);

    static object Fill(Type type, string name)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying) return Fill(underlying, name);
        if (type == typeof(string)) return $"{name} <é&'\"\\>";
        if (type == typeof(bool)) return true;
        if (type == typeof(int)) return name.Length + 7;
        if (type == typeof(ushort)) return (ushort)(name.Length + 60_000);
        if (type == typeof(uint)) return (uint)name.Length + 3_000_000_000u;
        if (type == typeof(long)) return (long)name.Length * 1_000_000_007L;
        if (type == typeof(ulong)) return (ulong)name.Length + 18_000_000_000_000_000_000UL;
        if (type == typeof(SortedDictionary<string, EmptyObject>))
            return new SortedDictionary<string, EmptyObject>(StringComparer.Ordinal) { ["443/tcp"] = EmptyObject.Value, ["80/udp"] = EmptyObject.Value };
        // Map keys start lower-case: tests that rewrite names tell maps from records by that.
        if (type == typeof(SortedDictionary<string, string>) || type == typeof(IReadOnlyDictionary<string, string>))
            return new SortedDictionary<string, string>(StringComparer.Ordinal) { ["a.label"] = "1", ["b"] = "<x>" };
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var element = type.GetGenericArguments()[0];
            var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            list.Add(Fill(element, name + "-1"));
            list.Add(Fill(element, name + " 2"));
            return list;
        }
        if (!type.IsClass || type.Namespace?.StartsWith("Berth.Engine", StringComparison.Ordinal) != true)
            throw new InvalidOperationException($"no filler for {type} ({name})");
        var parameterless = type.GetConstructor(Type.EmptyTypes);
        if (parameterless is null)
        {
            var constructor = type.GetConstructors().Single(c => c.GetParameters().Length > 0);
            return constructor.Invoke(constructor.GetParameters().Select(p => Fill(p.ParameterType, p.Name!)).ToArray());
        }
        object value = parameterless.Invoke(null);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            property.SetValue(value, Fill(property.PropertyType, property.Name));
        return value;
    }
}
