namespace Berth.Engine.Dockerfile.Instructions;

/// <summary>
/// The <c>--name[=value]</c> options of one instruction, checked against what it accepts
/// (BuildKit's <c>BFlags</c>: booleans, strings, repeatable strings). Errors are <see cref="FormatException"/>.
/// </summary>
internal sealed class InstructionFlags
{
    private enum Kind { Bool, String, Strings }

    private readonly string _instruction;
    private readonly List<(string Name, Kind Kind)> _defined = [];
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _lists = new(StringComparer.Ordinal);

    public InstructionFlags(string instruction) => _instruction = instruction;

    public InstructionFlags Bool(string name) { _defined.Add((name, Kind.Bool)); return this; }
    public InstructionFlags String(string name) { _defined.Add((name, Kind.String)); return this; }
    public InstructionFlags Strings(string name) { _defined.Add((name, Kind.Strings)); return this; }

    public void Parse(IReadOnlyList<string> args)
    {
        foreach (var a in args)
        {
            if (a == "--") return; // end of options (POSIX)
            if (!a.StartsWith("--", StringComparison.Ordinal))
                throw new FormatException($"{_instruction}: arg should start with -- : {a}");
            int eq = a.IndexOf('=');
            string flagName = eq < 0 ? a : a[..eq];
            string? value = eq < 0 ? null : a[(eq + 1)..];
            string name = flagName[2..];
            int idx = _defined.FindIndex(d => d.Name == name);
            if (idx < 0)
            {
                if (_defined.Count == 0)
                    throw new FormatException($"{_instruction}: unknown flag: {flagName} ({_instruction} takes no flags)");
                string? match = Suggest.Closest(name, _defined.Select(d => d.Name), caseSensitive: true);
                throw new FormatException($"{_instruction}: unknown flag: {flagName}" + (match is null ? "" : $" (did you mean --{match}?)"));
            }
            var kind = _defined[idx].Kind;
            if (kind != Kind.Strings && _values.ContainsKey(name))
                throw new FormatException($"{_instruction}: duplicate flag specified: {flagName}");
            switch (kind)
            {
                case Kind.Bool:
                    if (value is { Length: 0 })
                        throw new FormatException($"{_instruction}: missing a value on flag: {flagName}");
                    string v = (value ?? "").ToLowerInvariant();
                    _values[name] = v switch
                    {
                        "true" or "" => "true",
                        "false" => "false",
                        _ => throw new FormatException($"{_instruction}: expecting boolean value for flag {flagName}, not: {value}"),
                    };
                    break;
                case Kind.String:
                    _values[name] = value ?? throw new FormatException($"{_instruction}: missing a value on flag: {flagName}");
                    break;
                default:
                    if (value is null) throw new FormatException($"{_instruction}: missing a value on flag: {flagName}");
                    if (!_lists.TryGetValue(name, out var list)) _lists[name] = list = [];
                    list.Add(value);
                    break;
            }
        }
    }

    public string? GetString(string name) => _values.GetValueOrDefault(name);

    public bool? GetBool(string name) => _values.TryGetValue(name, out var v) ? v == "true" : null;

    public IReadOnlyList<string> GetStrings(string name) => _lists.TryGetValue(name, out var l) ? l : [];
}

/// <summary>"Did you mean …?" by edit distance, as BuildKit's <c>suggest</c> package (distance below 3).</summary>
internal static class Suggest
{
    public static string? Closest(string value, IEnumerable<string> options, bool caseSensitive)
    {
        string val = caseSensitive ? value : value.ToLowerInvariant();
        string? match = null;
        int best = 3;
        foreach (var option in options)
        {
            string opt = caseSensitive ? option : option.ToLowerInvariant();
            if (opt == val) return null; // exact match: the error is about something else
            int d = Levenshtein(val, opt);
            if (d < best)
            {
                best = d;
                match = caseSensitive ? opt : MatchCase(opt, value);
            }
        }
        return match;
    }

    private static string MatchCase(string option, string original)
    {
        if (original == original.ToLowerInvariant()) return option.ToLowerInvariant();
        if (original == original.ToUpperInvariant()) return option.ToUpperInvariant();
        return option;
    }

    private static int Levenshtein(string a, string b)
    {
        if (a.Length == 0) return b.Length;
        if (b.Length == 0) return a.Length;
        if (a.Length > 256 || b.Length > 256) return Math.Abs(a.Length - b.Length) + 3; // hopeless; stay cheap
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
