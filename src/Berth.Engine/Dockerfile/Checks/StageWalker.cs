using System.Text.RegularExpressions;
using Berth.Engine.Dockerfile.Expansion;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.References;

namespace Berth.Engine.Dockerfile.Checks;

/// <summary>
/// Walks every stage as BuildKit's dispatcher does, without building: tracks the variables in scope (base image ENV, ENV, ARG),
/// expands each word BuildKit expands, and runs the checks that depend on that state.
/// </summary>
internal sealed partial class StageWalker
{
    // Never put into the environment, so never "undefined" either.
    private static readonly HashSet<string> NonEnvArgs = new(StringComparer.Ordinal) { "BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE" };

    private readonly DockerfileModel _model;
    private readonly IReadOnlyDictionary<string, string> _buildArgs;
    private readonly LintOptions _options;
    private readonly WarningCollector _sink;
    private readonly ShellWordExpander _expander;
    private readonly ShellWordExpander _rawExpander = new('\\') { SkipProcessQuotes = true };
    private readonly Dictionary<string, StageState> _finished = new(StringComparer.Ordinal);
    private readonly Ignore.PatternMatcher? _ignore;

    public StageWalker(DockerfileModel model, IReadOnlyDictionary<string, string> buildArgs, LintOptions options, WarningCollector sink)
    {
        _model = model;
        _buildArgs = buildArgs;
        _options = options;
        _sink = sink;
        _expander = new ShellWordExpander(model.EscapeToken);
        _ignore = IgnoreMatcher(options.IgnorePatterns);
    }

    // BuildKit skips the check when there is no ignore file or when it has exceptions (too hard to decide statically).
    private static Ignore.PatternMatcher? IgnoreMatcher(IReadOnlyList<string>? patterns)
    {
        if (patterns is null) return null;
        try
        {
            var matcher = new Ignore.PatternMatcher(patterns);
            return matcher.HasExceptions ? null : matcher;
        }
        catch (Ignore.IgnorePatternException)
        {
            return null;
        }
    }

    /// <summary>The state of one stage while walking it.</summary>
    private sealed class StageState
    {
        public LintEnvironment Env = new();
        public List<string> DeclaredArgs = [];
        public IReadOnlyList<string> Shell = [];
        public bool WorkdirSet;
        public Instruction? Cmd, Entrypoint, Healthcheck;

        public StageState Inherit() => new() { Env = Env.Clone(), DeclaredArgs = [.. DeclaredArgs], Shell = Shell, WorkdirSet = WorkdirSet };
    }

    /// <summary>Thrown to stop the walk where BuildKit's build would fail.</summary>
    internal sealed class StopException(string message, Instruction at) : Exception(message)
    {
        public Instruction At { get; } = at;
    }

    /// <summary>
    /// The predefined platform ARGs (build args may override them) plus the global ARGs, whose values come from the build args
    /// or, with <paramref name="defaultsOnly"/> (the InvalidDefaultArgInFrom check), from their defaults alone.
    /// </summary>
    private (LintEnvironment Env, HashSet<string> Declared) GlobalArgs(bool defaultsOnly)
    {
        var env = new LintEnvironment();
        var platforms = new BuildPlatformArgs(_options.TargetPlatform, _options.BuildPlatform).ToDictionary();
        string target = _model.Stages[^1].Name ?? "default";
        // BuildKit's defaultArgs, in its order (suggestions take the first closest name).
        string[] names =
        [
            "BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT",
            "TARGETPLATFORM", "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE",
        ];
        foreach (var k in names)
        {
            string v = k == "TARGETSTAGE" ? target : platforms.GetValueOrDefault(k, "");
            env.Set(k, _buildArgs.TryGetValue(k, out var given) ? given : v);
        }
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var arg in _model.GlobalArgs)
        {
            foreach (var def in arg.Args)
            {
                declared.Add(def.Name);
                string? value = !defaultsOnly && _buildArgs.TryGetValue(def.Name, out var given) ? given
                    : def.DefaultValue is null ? null
                    : Expand(_expander, def.DefaultValue, env, arg).Result;
                if (value is not null) env.Set(def.Name, value);
            }
        }
        return (env, declared);
    }

    /// <summary>InvalidDefaultArgInFrom: every base name must be a valid reference with the ARG defaults alone.</summary>
    public void CheckDefaultBaseNames()
    {
        LintEnvironment env;
        try
        {
            env = GlobalArgs(defaultsOnly: true).Env;
        }
        catch (StopException)
        {
            return; // the real walk reports it
        }
        foreach (var stage in _model.Stages)
        {
            string result;
            try
            {
                result = _expander.ProcessWord(stage.BaseName, env);
            }
            catch (ShellExpansionException)
            {
                return;
            }
            if (!ReferenceParser.TryParseNormalizedNamed(result, out _))
                _sink.Add(LintRules.InvalidDefaultArgInFrom, LintRules.InvalidDefaultArgInFromMessage(stage.BaseName), stage.From.StartLine, stage.From.EndLine);
        }
    }

    public void Run()
    {
        var (globals, declaredGlobals) = GlobalArgs(defaultsOnly: false);
        var fromKeys = new HashSet<string>(declaredGlobals, StringComparer.Ordinal);
        fromKeys.UnionWith(globals.Keys);
        var fromKeyList = fromKeys.ToList();

        foreach (var stage in _model.Stages)
        {
            var from = stage.From;
            var nameMatch = Expand(_expander, stage.BaseName, globals, from);
            ReportUndeclaredFromArgs(nameMatch, fromKeys, fromKeyList, from);
            if (nameMatch.Result.Length == 0)
                throw new StopException($"base name ({stage.BaseName}) should not be blank", from);

            if (stage.Platform is { } platform)
            {
                var platMatch = Expand(_expander, platform, globals, from);
                ReportUndeclaredFromArgs(platMatch, fromKeys, fromKeyList, from);
                if (platMatch.Matched.Count == 1 && platMatch.Unmatched.Count == 0 && platMatch.Matched.Contains("TARGETPLATFORM")
                    && globals.TryGet("TARGETPLATFORM", out var tp) && platMatch.Result == tp)
                    _sink.Add(LintRules.RedundantTargetPlatform, LintRules.RedundantTargetPlatformMessage(platform), from.StartLine, from.EndLine, from.Comments);
                if (platMatch.Matched.Count == 0 && platMatch.Unmatched.Count == 0 && ConstantPlatform(platMatch.Result) is var (os, arch)
                    && !(stage.Name ?? "").Contains(os, StringComparison.Ordinal) && !(stage.Name ?? "").Contains(arch, StringComparison.Ordinal))
                    _sink.Add(LintRules.FromPlatformFlagConstDisallowed, LintRules.FromPlatformFlagConstDisallowedMessage(platMatch.Result), from.StartLine, from.EndLine, from.Comments);
            }

            var state = _finished.TryGetValue(nameMatch.Result.ToLowerInvariant(), out var parent) ? parent.Inherit() : BaseImageState(nameMatch.Result);
            foreach (var instruction in stage.Instructions) Dispatch(instruction, state, globals);
            if (stage.Name is not null) _finished[stage.Name] = state;
        }
    }

    private StageState BaseImageState(string imageName)
    {
        var state = new StageState();
        var env = imageName == "scratch" ? null : _options.BaseImageEnv?.Invoke(imageName);
        foreach (var e in env ?? [])
        {
            int eq = e.IndexOf('=');
            state.Env.Set(eq < 0 ? e : e[..eq], eq < 0 ? "" : e[(eq + 1)..]);
        }
        // BuildKit always sets PATH.
        if (!state.Env.Contains("PATH")) state.Env.Set("PATH", LintOptions.DefaultPath);
        return state;
    }

    private static (string Os, string Arch)? ConstantPlatform(string value)
    {
        try
        {
            var p = Images.Platform.Parse(value);
            return (p.Os, p.Architecture);
        }
        catch (InvalidInputException)
        {
            return null;
        }
    }

    private void ReportUndeclaredFromArgs(ExpansionResult match, HashSet<string> keys, List<string> keyList, FromInstruction from)
    {
        foreach (var name in match.Unmatched)
        {
            if (keys.Contains(name)) continue;
            _sink.Add(LintRules.UndefinedArgInFrom, LintRules.UndefinedArgInFromMessage(name, Suggest.Closest(name, keyList, caseSensitive: true)), from.StartLine, from.EndLine, from.Comments);
        }
    }

    private void Dispatch(Instruction instruction, StageState state, LintEnvironment globals)
    {
        if (instruction is not ArgInstruction)
        {
            foreach (var word in ExpandedWords(instruction))
                if (!string.IsNullOrEmpty(word)) ExpandAndReport(_expander, word, state, instruction);
            if (instruction is FileTransferInstruction transfer)
                foreach (var inline in transfer.InlineSources.Where(s => s.Expand))
                    ExpandAndReport(_rawExpander, inline.Content, state, instruction);
        }

        switch (instruction)
        {
            case EnvInstruction env:
                var values = env.Variables.Select(v => (Key: ExpandQuiet(v.Key, state), Value: ExpandQuiet(v.Value, state), v.LegacyForm)).ToList();
                foreach (var (key, value, legacy) in values)
                {
                    if (legacy) Warn(LintRules.LegacyKeyValueFormat, LintRules.LegacyKeyValueFormatMessage(env.Keyword), env);
                    CheckSecret("ENV", key, env);
                    state.Env.Set(key, value);
                }
                break;
            case LabelInstruction label:
                foreach (var l in label.Labels)
                    if (l.LegacyForm) Warn(LintRules.LegacyKeyValueFormat, LintRules.LegacyKeyValueFormatMessage(label.Keyword), label);
                break;
            case CmdInstruction cmd:
                UsedOnce(cmd, ref state.Cmd);
                if (!cmd.Command.IsExecForm && state.Shell.Count == 0)
                    Warn(LintRules.JsonArgsRecommended, LintRules.JsonArgsRecommendedMessage(cmd.Keyword), cmd);
                break;
            case EntrypointInstruction entrypoint:
                UsedOnce(entrypoint, ref state.Entrypoint);
                if (!entrypoint.Command.IsExecForm && state.Shell.Count == 0)
                    Warn(LintRules.JsonArgsRecommended, LintRules.JsonArgsRecommendedMessage(entrypoint.Keyword), entrypoint);
                break;
            case HealthcheckInstruction healthcheck:
                UsedOnce(healthcheck, ref state.Healthcheck);
                break;
            case ShellInstruction shell:
                state.Shell = shell.Shell;
                break;
            case WorkdirInstruction workdir:
                string path = ExpandQuiet(workdir.Path, state);
                if (!state.WorkdirSet && !path.StartsWith('/'))
                    Warn(LintRules.WorkdirRelativePath, LintRules.WorkdirRelativePathMessage(path), workdir);
                state.WorkdirSet = true;
                break;
            case ArgInstruction arg:
                DispatchArg(arg, state, globals);
                break;
            case CopyInstruction { From: null } copy:
                CheckIgnoredSources("Copy", copy, state);
                break;
            case AddInstruction add:
                CheckIgnoredSources("Add", add, state);
                break;
            case ExposeInstruction expose:
                foreach (var raw in expose.Ports)
                    foreach (var port in Expand(_expander, raw, state.Env, expose).Words)
                        CheckExposedPort(port, expose);
                break;
        }
    }

    private void DispatchArg(ArgInstruction arg, StageState state, LintEnvironment globals)
    {
        foreach (var def in arg.Args)
        {
            CheckSecret("ARG", def.Name, arg);
            string? value = null;
            if (_buildArgs.TryGetValue(def.Name, out var given)) value = given;
            else if (def.DefaultValue is not null) value = ExpandAndReport(_expander, def.DefaultValue, state, arg);
            else if (globals.TryGet(def.Name, out var global)) value = global;
            if (value is not null && !NonEnvArgs.Contains(def.Name)) state.Env.Set(def.Name, value);
            state.DeclaredArgs.Add(def.Name);
        }
    }

    /// <summary>The words BuildKit expands for an instruction (ARG and EXPOSE are handled on their own).</summary>
    private static IEnumerable<string?> ExpandedWords(Instruction instruction) => instruction switch
    {
        EnvInstruction e => e.Variables.SelectMany(v => new[] { v.Key, v.Value }),
        LabelInstruction l => l.Labels.SelectMany(v => new[] { v.Key, v.Value }),
        AddInstruction a => new[] { a.Chown, a.Chmod, a.Checksum }.Concat(a.Sources).Append(a.Destination),
        CopyInstruction c => new[] { c.Chown, c.Chmod }.Concat(c.Sources).Append(c.Destination),
        WorkdirInstruction w => [w.Path],
        UserInstruction u => [u.User],
        VolumeInstruction v => v.Paths,
        StopSignalInstruction s => [s.Signal],
        RunInstruction r => r.Mounts.Where(m => m.NeedsExpansion).Select(m => m.Raw),
        _ => [],
    };

    private string ExpandAndReport(ShellWordExpander expander, string word, StageState state, Instruction at)
    {
        var result = Expand(expander, word, state.Env, at);
        foreach (var name in result.Unmatched)
        {
            if (state.DeclaredArgs.Contains(name) || NonEnvArgs.Contains(name)) continue;
            Warn(LintRules.UndefinedVar, LintRules.UndefinedVarMessage(name, Suggest.Closest(name, state.Env.Keys, caseSensitive: true)), at);
        }
        return result.Result;
    }

    private string ExpandQuiet(string word, StageState state)
    {
        try
        {
            return _expander.ProcessWord(word, state.Env);
        }
        catch (ShellExpansionException)
        {
            return word; // already reported by ExpandAndReport
        }
    }

    private static ExpansionResult Expand(ShellWordExpander expander, string word, IExpansionEnvironment env, Instruction at)
    {
        try
        {
            return expander.ProcessWordWithMatches(word, env);
        }
        catch (ShellExpansionException e)
        {
            throw new StopException(e.Message, at);
        }
    }

    private void UsedOnce(Instruction instruction, ref Instruction? previous)
    {
        // The earlier one is reported: it is the one that has no effect.
        if (previous is not null)
            Warn(LintRules.MultipleInstructionsDisallowed, LintRules.MultipleInstructionsDisallowedMessage(instruction.Keyword), previous, configuredBy: instruction);
        previous = instruction;
    }

    private void Warn(LintRule rule, string message, Instruction at, Instruction? configuredBy = null) =>
        _sink.Add(rule, message, at.StartLine, at.EndLine, (configuredBy ?? at).Comments);

    private void CheckSecret(string instruction, string key, Instruction at)
    {
        if (SecretName().IsMatch(key) && !AllowedName().IsMatch(key))
            Warn(LintRules.SecretsUsedInArgOrEnv, LintRules.SecretsUsedInArgOrEnvMessage(instruction, key), at);
    }

    [GeneratedRegex("(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex("(?:_|^)(?:public|file|version)(?:_|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AllowedName();

    private void CheckIgnoredSources(string command, FileTransferInstruction transfer, StageState state)
    {
        if (_ignore is null) return;
        foreach (var raw in transfer.Sources)
        {
            string src = ExpandQuiet(raw, state);
            if (src.Contains("://", StringComparison.Ordinal) || src.StartsWith("git@", StringComparison.Ordinal)) continue;
            src = Ignore.GoPath.Clean(src);
            if ((src == "." || src == "/") && !_ignore.Patterns.Any(p => !p.IsException && p.Text is "*" or "**" or "**/*")) continue;
            if (_ignore.MatchesOrParentMatches(src))
                Warn(LintRules.CopyIgnoredFile, LintRules.CopyIgnoredFileMessage(command, src), transfer);
        }
    }

    // [ip:]hostPort:containerPort[/proto], split as BuildKit's EXPOSE parser does; invalid ports fail the build, not the check.
    private void CheckExposedPort(string raw, ExposeInstruction at)
    {
        var parts = raw.Split(':');
        string containerPort = parts[^1];
        bool mapped = parts.Length > 1; // a host port (and maybe an IP) before the container port
        int slash = containerPort.IndexOf('/');
        string port = slash < 0 ? containerPort : containerPort[..slash];
        string proto = slash < 0 ? "" : containerPort[(slash + 1)..];
        if (port.Length == 0 || proto.ToLowerInvariant() is not ("" or "tcp" or "udp" or "sctp")) return;
        if (proto != proto.ToLowerInvariant())
            Warn(LintRules.ExposeProtoCasing, LintRules.ExposeProtoCasingMessage(raw), at);
        if (mapped)
            Warn(LintRules.ExposeInvalidFormat, LintRules.ExposeInvalidFormatMessage(raw), at);
    }
}
