namespace Berth.Engine.Dockerfile.Expansion;

/// <summary>The automatic platform ARG values of a build (<c>TARGETPLATFORM</c>, <c>BUILDARCH</c>, …).</summary>
public sealed record BuildPlatformArgs(string TargetPlatform, string BuildPlatform)
{
    /// <summary>Name → value for the eight automatic platform ARGs, from platforms such as <c>linux/arm/v7</c>.</summary>
    public IReadOnlyDictionary<string, string> ToDictionary()
    {
        var (tos, tarch, tvariant) = Split(TargetPlatform);
        var (bos, barch, bvariant) = Split(BuildPlatform);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["TARGETPLATFORM"] = TargetPlatform, ["TARGETOS"] = tos, ["TARGETARCH"] = tarch, ["TARGETVARIANT"] = tvariant,
            ["BUILDPLATFORM"] = BuildPlatform, ["BUILDOS"] = bos, ["BUILDARCH"] = barch, ["BUILDVARIANT"] = bvariant,
        };
    }

    private static (string Os, string Arch, string Variant) Split(string platform)
    {
        var parts = platform.Split('/');
        return (parts[0], parts.Length > 1 ? parts[1] : "", parts.Length > 2 ? parts[2] : "");
    }
}

/// <summary>
/// Build-wide ARG state: <c>--build-arg</c> values, global ARGs (declared before the first FROM, visible only to FROM
/// lines unless a stage redeclares them) and the automatic platform ARGs. Hands out one <see cref="StageEnvironment"/> per stage.
/// </summary>
public sealed class BuildArgScope
{
    /// <summary>ARGs every stage may use without declaring them (their values come from --build-arg).</summary>
    public static IReadOnlySet<string> PredefinedArgNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    };

    private readonly IReadOnlyDictionary<string, string> _buildArgs;
    private readonly IReadOnlyDictionary<string, string> _platformArgs;
    private readonly Dictionary<string, string?> _globals = new(StringComparer.Ordinal);
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    private readonly ShellWordExpander _expander;

    public BuildArgScope(IReadOnlyDictionary<string, string> buildArgs, BuildPlatformArgs platforms, ShellWordExpander? expander = null)
    {
        _buildArgs = buildArgs;
        _platformArgs = platforms.ToDictionary();
        _expander = expander ?? new ShellWordExpander();
    }

    /// <summary>The --build-arg values.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs => _buildArgs;

    /// <summary><c>ARG name[=default]</c> before the first FROM: --build-arg wins, else the default expanded against earlier global ARGs.</summary>
    public void DeclareGlobal(string name, string? defaultValue)
    {
        _declared.Add(name);
        if (_buildArgs.TryGetValue(name, out var given)) _globals[name] = given;
        else if (defaultValue is not null) _globals[name] = _expander.ProcessWord(defaultValue, GlobalEnvironment);
        else _globals[name] = _platformArgs.TryGetValue(name, out var platform) ? platform : null;
    }

    /// <summary>What FROM lines see: the automatic platform ARGs and the global ARGs.</summary>
    public IExpansionEnvironment GlobalEnvironment => EnvironmentList.FromPairs(
        _platformArgs.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)).Concat(_globals));

    /// <summary>The global value of <paramref name="name"/> a stage's bare <c>ARG name</c> inherits (platform ARGs included).</summary>
    internal bool TryGetGlobal(string name, out string? value)
    {
        if (_globals.TryGetValue(name, out value)) return value is not null;
        return _platformArgs.TryGetValue(name, out value);
    }

    internal void MarkDeclared(string name) => _declared.Add(name);

    /// <summary>Starts a stage: it sees no global ARG until it redeclares it.</summary>
    public StageEnvironment BeginStage() => new(this, _expander);

    /// <summary>--build-arg names no ARG declared and that are not predefined (Docker warns that they "were not consumed").</summary>
    public IReadOnlyList<string> UnconsumedBuildArgs()
        => _buildArgs.Keys.Where(k => !_declared.Contains(k) && !PredefinedArgNames.Contains(k)).Order(StringComparer.Ordinal).ToList();
}

/// <summary>
/// The variables of one stage for expansion and for RUN: ENV values (which always override an ARG of the same name),
/// declared ARGs, and the build args a step uses (cache key and the <c>|N K=V</c> history prefix).
/// </summary>
public sealed class StageEnvironment : IExpansionEnvironment
{
    private readonly BuildArgScope _scope;
    private readonly ShellWordExpander _expander;
    private readonly Dictionary<string, string> _env = new(StringComparer.Ordinal);
    private readonly List<string> _envOrder = [];
    private readonly Dictionary<string, string?> _args = new(StringComparer.Ordinal);

    internal StageEnvironment(BuildArgScope scope, ShellWordExpander expander)
    {
        _scope = scope;
        _expander = expander;
    }

    /// <summary>Seeds ENV from the base image config (<c>KEY=VALUE</c> list).</summary>
    public void AddImageEnv(IEnumerable<string> entries)
    {
        foreach (var e in entries)
        {
            var eq = e.IndexOf('=');
            SetEnv(eq < 0 ? e : e[..eq], eq < 0 ? "" : e[(eq + 1)..]);
        }
    }

    /// <summary><c>ENV name=value</c> (value already expanded).</summary>
    public void SetEnv(string name, string value)
    {
        if (!_env.ContainsKey(name)) _envOrder.Add(name);
        _env[name] = value;
    }

    /// <summary>
    /// <c>ARG name[=default]</c> inside the stage: --build-arg wins; else the default, expanded against the stage;
    /// else (no default) the global ARG or automatic platform value; else declared without a value.
    /// </summary>
    public void DeclareArg(string name, string? defaultValue)
    {
        _scope.MarkDeclared(name);
        if (_scope.BuildArgs.TryGetValue(name, out var given)) _args[name] = given;
        else if (defaultValue is not null) _args[name] = _expander.ProcessWord(defaultValue, this);
        else _args[name] = _scope.TryGetGlobal(name, out var global) ? global : null;
    }

    /// <summary>True once <paramref name="name"/> was declared with ARG in this stage.</summary>
    public bool IsDeclared(string name) => _args.ContainsKey(name);

    /// <summary>ENV first, then a declared ARG that has a value.</summary>
    public bool TryGet(string name, out string value)
    {
        if (_env.TryGetValue(name, out var env))
        {
            value = env;
            return true;
        }
        if (_args.TryGetValue(name, out var arg) && arg is not null)
        {
            value = arg;
            return true;
        }
        value = "";
        return false;
    }

    /// <summary>The ENV list in first-set order (<c>KEY=VALUE</c>), as it goes into the image config.</summary>
    public IReadOnlyList<string> EnvList => _envOrder.Select(k => k + "=" + _env[k]).ToList();

    /// <summary>
    /// Build args a step uses, sorted by name: declared ARGs that have a value and are not overridden by ENV, plus predefined
    /// proxy args given with --build-arg (used even without ARG). These go into the RUN environment and the cache key.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> UsedBuildArgs()
    {
        var used = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in _args)
            if (v is not null && !_env.ContainsKey(k)) used[k] = v;
        foreach (var (k, v) in _scope.BuildArgs)
            if (BuildArgScope.PredefinedArgNames.Contains(k) && !_args.ContainsKey(k) && !_env.ContainsKey(k)) used[k] = v;
        return used.ToList();
    }

    /// <summary>
    /// The <c>|N K=V …</c> prefix Docker puts before a RUN command in history and the cache key; predefined proxy args are left
    /// out unless declared with ARG, so changing a proxy does not bust the cache. Empty when no build arg is used.
    /// </summary>
    public string HistoryPrefix()
    {
        var used = UsedBuildArgs();
        if (used.Count == 0) return "";
        var shown = used.Where(p => !BuildArgScope.PredefinedArgNames.Contains(p.Key) || _args.ContainsKey(p.Key))
            .Select(p => p.Key + "=" + p.Value).ToList();
        return string.Join(' ', shown.Prepend("|" + shown.Count));
    }
}
