namespace Berth.Engine.Dockerfile.Expansion;

/// <summary>Where the shell-word expander looks variables up.</summary>
public interface IExpansionEnvironment
{
    /// <summary>Looks a variable up by its exact name (Linux rules: case-sensitive).</summary>
    bool TryGet(string name, out string value);
}

/// <summary>An environment built from a <c>KEY=VALUE</c> list (ENV, ARG, --build-arg); later entries win, an entry without <c>=</c> is set to empty.</summary>
public sealed class EnvironmentList : IExpansionEnvironment
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly List<string> _keys = [];

    public EnvironmentList(IEnumerable<string> entries)
    {
        foreach (var entry in entries)
        {
            var eq = entry.IndexOf('=');
            var key = eq < 0 ? entry : entry[..eq];
            var value = eq < 0 ? "" : entry[(eq + 1)..];
            _keys.Add(key);
            _values[key] = value;
        }
    }

    /// <summary>An environment where nothing is set.</summary>
    public static EnvironmentList Empty { get; } = new([]);

    /// <summary>Builds an environment from name/value pairs; a null value leaves the name unset.</summary>
    public static EnvironmentList FromPairs(IEnumerable<KeyValuePair<string, string?>> pairs)
        => new(pairs.Where(p => p.Value is not null).Select(p => p.Key + "=" + p.Value));

    /// <summary>Names in the order they were given, repeats included (as BuildKit's <c>Keys()</c>).</summary>
    public IReadOnlyList<string> Keys => _keys;

    public bool TryGet(string name, out string value)
    {
        if (_values.TryGetValue(name, out var v))
        {
            value = v;
            return true;
        }
        value = "";
        return false;
    }

    /// <summary>The value of <paramref name="name"/>, or the empty string when unset.</summary>
    public string Get(string name) => TryGet(name, out var v) ? v : "";
}
