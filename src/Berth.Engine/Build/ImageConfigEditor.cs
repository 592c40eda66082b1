using Berth.Engine.Dockerfile.Expansion;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;
using Berth.Engine.Images;

namespace Berth.Engine.Build;

/// <summary>Applies Dockerfile config instructions (ENV, CMD, EXPOSE, …) to an image's run config, as Docker's builder does; also `--change` of import and commit.</summary>
public static class ImageConfigEditor
{
    public static readonly IReadOnlyList<string> DefaultShell = ["/bin/sh", "-c"];
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    static readonly HashSet<string> ChangeKeywords = new(StringComparer.OrdinalIgnoreCase)
        { "CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR" };

    /// <summary>`--change` lines: each a Dockerfile instruction of the kinds Docker allows there.</summary>
    public static ContainerConfig ApplyChanges(ContainerConfig config, IReadOnlyList<string> changes)
    {
        foreach (var change in changes)
        {
            DockerfileAst ast;
            try { ast = DockerfileParser.Parse(change, "--change"); }
            catch (DockerfileSyntaxException e) { throw new InvalidInputException($"invalid --change \"{change}\": {e.Reason}"); }
            foreach (var node in ast.Instructions)
            {
                if (!ChangeKeywords.Contains(node.Value))
                    throw new InvalidInputException($"{node.Value.ToUpperInvariant()} is not a valid change command");
                var instruction = DockerfileInstructions.ParseInstruction(node, "--change");
                config = Apply(config, instruction, new ShellWordExpander(ast.EscapeToken), new EnvironmentList(config.Env ?? []));
            }
        }
        return config;
    }

    /// <summary>Applies one config-only instruction; <paramref name="env"/> supplies variables for expansion.</summary>
    public static ContainerConfig Apply(ContainerConfig config, Instruction instruction, ShellWordExpander expander, IExpansionEnvironment env)
    {
        string Expand(string word) => expander.ProcessWord(word, env);
        IReadOnlyList<string> Shell() => config.Shell is { Count: > 0 } s ? s : DefaultShell;
        IReadOnlyList<string> CommandOf(CommandLine line) => line.IsExecForm ? line.Arguments : [.. Shell(), string.Join(' ', line.Arguments)];

        switch (instruction)
        {
            case EnvInstruction e:
                var vars = (config.Env ?? []).ToList();
                foreach (var kv in e.Variables) vars = SetVariable(vars, Expand(kv.Key), Expand(kv.Value));
                return config with { Env = vars };
            case LabelInstruction l:
                var labels = new SortedDictionary<string, string>(config.Labels ?? new SortedDictionary<string, string>(), StringComparer.Ordinal);
                foreach (var kv in l.Labels) labels[Expand(kv.Key)] = Expand(kv.Value);
                return config with { Labels = labels };
            case CmdInstruction c:
                return config with { Cmd = CommandOf(c.Command) };
            case EntrypointInstruction ep:
                return config with { Entrypoint = ep.Command.Arguments.Count == 0 && !ep.Command.IsExecForm ? null : CommandOf(ep.Command) };
            case ExposeInstruction x:
                var ports = new SortedDictionary<string, EmptyObject>(config.ExposedPorts ?? new SortedDictionary<string, EmptyObject>(), StringComparer.Ordinal);
                foreach (var word in x.Ports)
                    foreach (var port in ExpandPortSpec(Expand(word))) ports[port] = EmptyObject.Value;
                return config with { ExposedPorts = ports };
            case UserInstruction u:
                return config with { User = Expand(u.User) };
            case WorkdirInstruction w:
                return config with { WorkingDir = ResolveWorkdir(config.WorkingDir, Expand(w.Path)) };
            case VolumeInstruction v:
                var volumes = new SortedDictionary<string, EmptyObject>(config.Volumes ?? new SortedDictionary<string, EmptyObject>(), StringComparer.Ordinal);
                foreach (var path in v.Paths)
                {
                    string expanded = Expand(path);
                    if (expanded.Trim().Length == 0) throw new InvalidInputException("VOLUME specified can not be an empty string");
                    volumes[expanded] = EmptyObject.Value;
                }
                return config with { Volumes = volumes };
            case StopSignalInstruction s:
                return config with { StopSignal = Expand(s.Signal) };
            case ShellInstruction sh:
                return config with { Shell = sh.Shell };
            case OnBuildInstruction o:
                return config with { OnBuild = [.. config.OnBuild ?? [], o.Expression] };
            case HealthcheckInstruction h:
                if (h.Kind == HealthcheckKind.None) return config with { Healthcheck = new HealthConfig { Test = ["NONE"] } };
                return config with
                {
                    Healthcheck = new HealthConfig
                    {
                        Test = h.Test,
                        Interval = Nanoseconds(h.Interval), Timeout = Nanoseconds(h.Timeout),
                        StartPeriod = Nanoseconds(h.StartPeriod), StartInterval = Nanoseconds(h.StartInterval), Retries = h.Retries ?? 0,
                    },
                };
            default:
                throw new InvalidInputException($"{instruction.Keyword.ToUpperInvariant()} does not change the image config");
        }
    }

    static long Nanoseconds(TimeSpan? span) => span is { } s ? s.Ticks * 100 : 0;

    /// <summary>Sets NAME=value keeping the variable's position if it exists (Docker keeps PATH first).</summary>
    public static List<string> SetVariable(List<string> env, string name, string value)
    {
        string entry = name + "=" + value;
        int index = env.FindIndex(e => e.StartsWith(name + "=", StringComparison.Ordinal) || e == name);
        if (index >= 0) env[index] = entry; else env.Add(entry);
        return env;
    }

    /// <summary>WORKDIR: relative paths join the current one; the result is cleaned like Go's filepath.Clean.</summary>
    public static string ResolveWorkdir(string current, string path)
    {
        if (!path.StartsWith('/')) path = (string.IsNullOrEmpty(current) ? "/" : current) + "/" + path;
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>`80`, `80/TCP`, `8000-8002/udp` → `80/tcp`, `8000/udp`, `8001/udp`, `8002/udp` (Docker's nat.ParsePortSpecs).</summary>
    public static IEnumerable<string> ExpandPortSpec(string spec)
    {
        string proto = "tcp";
        string ports = spec;
        int slash = spec.IndexOf('/');
        if (slash >= 0) { proto = spec[(slash + 1)..].ToLowerInvariant(); ports = spec[..slash]; }
        if (proto is not ("tcp" or "udp" or "sctp")) throw new InvalidInputException($"invalid proto: {proto}");
        int dash = ports.IndexOf('-');
        if (!int.TryParse(dash < 0 ? ports : ports[..dash], out int start) || start is < 0 or > 65535)
            throw new InvalidInputException($"invalid containerPort: {ports}");
        int end = start;
        if (dash >= 0 && (!int.TryParse(ports[(dash + 1)..], out end) || end < start || end > 65535))
            throw new InvalidInputException($"invalid range specified for container: {ports}");
        for (int p = start; p <= end; p++) yield return $"{p}/{proto}";
    }
}
