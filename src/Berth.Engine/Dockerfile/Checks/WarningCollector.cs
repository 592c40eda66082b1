namespace Berth.Engine.Dockerfile.Checks;

/// <summary>Collects warnings the configuration lets through, remembering which rules fired (for <c>error=true</c>).</summary>
internal sealed class WarningCollector(LintConfig config)
{
    private readonly List<LintWarning> _warnings = [];
    private readonly List<string> _fired = [];

    public IReadOnlyList<LintWarning> Warnings => _warnings;

    /// <summary>Rule names that fired, first occurrence order.</summary>
    public IReadOnlyList<string> FiredRules => _fired;

    /// <summary>Adds a warning unless the file's config, or a <c># check=</c> comment just above the instruction, skips the rule.</summary>
    public void Add(LintRule rule, string message, int startLine, int endLine, IReadOnlyList<string>? comments = null)
    {
        var effective = comments is { Count: > 0 } ? config.MergedWithComments(comments) : config;
        if (!effective.Runs(rule)) return;
        if (!_fired.Contains(rule.Name)) _fired.Add(rule.Name);
        _warnings.Add(new LintWarning(rule, message, startLine, endLine));
    }
}

/// <summary>Variables in scope while walking a stage, in the order they were set (suggestions depend on it).</summary>
internal sealed class LintEnvironment : Expansion.IExpansionEnvironment
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly List<string> _keys = [];

    public IReadOnlyList<string> Keys => _keys;

    public void Set(string name, string value)
    {
        if (!_values.ContainsKey(name)) _keys.Add(name);
        _values[name] = value;
    }

    public bool Contains(string name) => _values.ContainsKey(name);

    public bool TryGet(string name, out string value) => _values.TryGetValue(name, out value!);

    public LintEnvironment Clone()
    {
        var copy = new LintEnvironment();
        foreach (var k in _keys) copy.Set(k, _values[k]);
        return copy;
    }
}
