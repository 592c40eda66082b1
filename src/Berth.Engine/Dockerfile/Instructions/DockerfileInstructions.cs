using System.Globalization;
using System.Text;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Engine.Dockerfile.Instructions;

/// <summary>
/// AST → typed instructions and stages, with BuildKit's checks and messages (<c>instructions/parse.go</c>):
/// argument counts, flags each instruction accepts, JSON-only SHELL, HEALTHCHECK durations, ONBUILD triggers.
/// Every failure is a <see cref="DockerfileSyntaxException"/> carrying the instruction's start line.
/// </summary>
public static class DockerfileInstructions
{
    /// <summary>Every instruction keyword, upper case.</summary>
    public static readonly IReadOnlyList<string> Keywords =
    [
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    ];

    /// <summary>Converts a parsed Dockerfile into global ARGs and stages.</summary>
    public static DockerfileModel Build(DockerfileAst ast)
    {
        var globalArgs = new List<ArgInstruction>();
        var stages = new List<Stage>();
        List<Instruction>? current = null;
        FromInstruction? currentFrom = null;

        void Close()
        {
            if (currentFrom is null) return;
            stages.Add(new Stage
            {
                Index = stages.Count,
                BaseName = currentFrom.BaseName,
                Name = currentFrom.StageName,
                Platform = currentFrom.Platform,
                From = currentFrom,
                Instructions = current!,
            });
        }

        foreach (var node in ast.Instructions)
        {
            var instruction = ParseInstruction(node, ast.FileName);
            switch (instruction)
            {
                case FromInstruction from:
                    Close();
                    currentFrom = from;
                    current = [];
                    break;
                case ArgInstruction arg when currentFrom is null:
                    globalArgs.Add(arg);
                    break;
                default:
                    if (current is null)
                    {
                        throw new DockerfileSyntaxException(ast.FileName, node.StartLine,
                            $"{node.Value.ToUpperInvariant()} before the first FROM: a Dockerfile must begin with FROM or ARG (no build stage in current context)",
                            node.ErrorText());
                    }
                    current.Add(instruction);
                    break;
            }
        }
        Close();
        if (stages.Count == 0)
            throw new DockerfileSyntaxException(ast.FileName, ast.Root.EndLine, "dockerfile contains no stages to build: no FROM instruction");

        return new DockerfileModel
        {
            Directives = ast.Directives,
            GlobalArgs = globalArgs,
            Stages = stages,
            EscapeToken = ast.EscapeToken,
            Warnings = ast.Warnings,
        };
    }

    /// <summary>Converts one instruction node (a root child) into its typed record.</summary>
    public static Instruction ParseInstruction(Node node, string fileName = "Dockerfile")
    {
        try
        {
            return Convert(node, fileName);
        }
        catch (FormatException e)
        {
            throw new DockerfileSyntaxException(fileName, node.StartLine, e.Message, e is InstructionFormatException ? node.ErrorText() : null);
        }
    }

    private static Instruction Convert(Node node, string fileName)
    {
        var args = NodeArgs(node);
        string keyword = node.Value.ToUpperInvariant();
        switch (keyword)
        {
            case "FROM": return ParseFrom(node, args);
            case "RUN": return ParseRun(node, args);
            case "CMD":
                NoFlags(node);
                return new CmdInstruction { Command = ToCommandLine(node, args) }.WithSource(node);
            case "ENTRYPOINT":
                NoFlags(node);
                return new EntrypointInstruction { Command = ToCommandLine(node, args) }.WithSource(node);
            case "SHELL": return ParseShell(node, args);
            case "LABEL":
                NoFlags(node);
                return new LabelInstruction { Labels = KeyValues(args, "LABEL") }.WithSource(node);
            case "ENV":
                NoFlags(node);
                return new EnvInstruction { Variables = KeyValues(args, "ENV") }.WithSource(node);
            case "MAINTAINER":
                ExactlyOne(args, "MAINTAINER");
                NoFlags(node);
                return new MaintainerInstruction { Maintainer = args[0] }.WithSource(node);
            case "EXPOSE":
                AtLeastOne(args, "EXPOSE");
                NoFlags(node);
                return new ExposeInstruction { Ports = args }.WithSource(node);
            case "ADD": return ParseAdd(node, args);
            case "COPY": return ParseCopy(node, args);
            case "WORKDIR":
                ExactlyOne(args, "WORKDIR");
                NoFlags(node);
                return new WorkdirInstruction { Path = args[0] }.WithSource(node);
            case "ARG": return ParseArg(node, args);
            case "USER":
                ExactlyOne(args, "USER");
                NoFlags(node);
                return new UserInstruction { User = args[0] }.WithSource(node);
            case "VOLUME": return ParseVolume(node, args);
            case "STOPSIGNAL":
                ExactlyOne(args, "STOPSIGNAL");
                NoFlags(node);
                return new StopSignalInstruction { Signal = args[0] }.WithSource(node);
            case "HEALTHCHECK": return ParseHealthcheck(node, args);
            case "ONBUILD": return ParseOnBuild(node, args, fileName);
            default:
                var match = Suggest.Closest(node.Value, Keywords, caseSensitive: false);
                throw new FormatException($"unknown instruction: {node.Value}" + (match is null ? "" : $" (did you mean {match}?)"));
        }
    }

    private static T WithSource<T>(this T instruction, Node node) where T : Instruction => instruction with
    {
        Keyword = node.Value,
        StartLine = node.StartLine,
        EndLine = node.EndLine,
        Original = node.Original,
        Comments = node.Comments,
    };

    private static List<string> NodeArgs(Node node)
    {
        var result = new List<string>();
        for (var n = node.Next; n is not null; n = n.Next)
        {
            if (n.Children.Count == 0) result.Add(n.Value);
            else if (n.Children.Count == 1)
            {
                result.Add(n.Children[0].Value);
                result.AddRange(NodeArgs(n.Children[0]));
            }
        }
        return result;
    }

    private static void NoFlags(Node node)
    {
        if (node.Flags.Count > 0) new InstructionFlags(node.Value.ToUpperInvariant()).Parse(node.Flags);
    }

    private static void AtLeastOne(List<string> args, string command)
    {
        if (args.Count == 0) throw new InstructionFormatException($"{command} requires at least one argument");
    }

    private static void ExactlyOne(List<string> args, string command)
    {
        if (args.Count != 1) throw new InstructionFormatException($"{command} requires exactly one argument");
    }

    private static CommandLine ToCommandLine(Node node, List<string> args)
    {
        if (args.Count == 0) return new CommandLine([], node.IsJson);
        return node.IsJson ? new CommandLine(args, true) : new CommandLine([string.Join(' ', args)], false);
    }

    private static FromInstruction ParseFrom(Node node, List<string> args)
    {
        string? stageName = null;
        if (args.Count == 3 && args[1].Equals("as", StringComparison.OrdinalIgnoreCase))
        {
            stageName = args[2].ToLowerInvariant();
            if (!IsValidStageName(stageName))
                throw new FormatException($"invalid name for build stage: {GoQuote.Quote(args[2])}, name can't start with a number or contain symbols");
        }
        else if (args.Count != 1)
        {
            throw new InstructionFormatException("FROM requires either one or three arguments");
        }
        var flags = new InstructionFlags("FROM").String("platform");
        flags.Parse(node.Flags);
        return new FromInstruction { BaseName = args[0], StageName = stageName, Platform = flags.GetString("platform") }.WithSource(node);
    }

    // ^[a-z][a-z0-9-_.]*$
    private static bool IsValidStageName(string name)
    {
        if (name.Length == 0 || name[0] is < 'a' or > 'z') return false;
        foreach (char c in name)
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.')) return false;
        return true;
    }

    private static RunInstruction ParseRun(Node node, List<string> args)
    {
        var flags = new InstructionFlags("RUN").Strings("mount").String("network").String("security");
        flags.Parse(node.Flags);
        if (args.Count == 0) throw new InstructionFormatException("RUN requires at least one argument");

        var mounts = new List<RunMount>();
        foreach (var raw in flags.GetStrings("mount"))
        {
            if (raw.Contains('$'))
            {
                // 'from' is the one field BuildKit checks before expansion.
                foreach (var field in raw.Split(','))
                {
                    if (!field.StartsWith("from=", StringComparison.OrdinalIgnoreCase)) continue;
                    string v = field[5..];
                    int d = v.IndexOf('$');
                    if (d >= 0 && d != v.Length - 1)
                        throw new FormatException("'from' doesn't support variable expansion, define alias stage instead");
                }
                mounts.Add(new RunMount { Raw = raw, NeedsExpansion = true });
                continue;
            }
            mounts.Add(RunMount.Parse(raw));
        }

        NetworkMode? network = flags.GetString("network") switch
        {
            null => null,
            "default" => NetworkMode.Default,
            "none" => NetworkMode.None,
            "host" => NetworkMode.Host,
            var v => throw new FormatException($"invalid network mode {GoQuote.Quote(v)}"),
        };
        SecurityMode? security = flags.GetString("security") switch
        {
            null => null,
            "sandbox" => SecurityMode.Sandbox,
            "insecure" => SecurityMode.Insecure,
            var v => throw new FormatException($"security {GoQuote.Quote(v)} is not valid"),
        };

        return new RunInstruction
        {
            Command = ToCommandLine(node, args),
            Mounts = mounts,
            Network = network,
            Security = security,
            Heredocs = node.Heredocs,
        }.WithSource(node);
    }

    private static ShellInstruction ParseShell(Node node, List<string> args)
    {
        NoFlags(node);
        if (args.Count == 0) throw new InstructionFormatException("SHELL requires at least one argument");
        if (!node.IsJson) throw new InstructionFormatException("SHELL requires the arguments to be in JSON form");
        return new ShellInstruction { Shell = args }.WithSource(node);
    }

    private static List<KeyValue> KeyValues(List<string> args, string command)
    {
        if (args.Count == 0) throw new InstructionFormatException($"{command} requires at least one argument");
        if (args.Count % 3 != 0) throw new InstructionFormatException($"Bad input to {command}, too many arguments");
        var result = new List<KeyValue>(args.Count / 3);
        for (int i = 0; i < args.Count; i += 3)
        {
            if (args[i].Length == 0) throw new InstructionFormatException($"{command} names can not be blank");
            result.Add(new KeyValue(args[i], args[i + 1], args[i + 2].Length == 0));
        }
        return result;
    }

    private static (List<string> Sources, List<InlineSource> Inline, string Dest) SourcesAndDest(Node node, List<string> args, string command)
    {
        string dest = args[^1];
        if (!node.IsJson && SafeHeredocWord(dest) is not null)
            throw new InstructionFormatException($"{command} cannot accept a heredoc as a destination");
        var sources = new List<string>();
        var inline = new List<InlineSource>();
        foreach (var src in args.Take(args.Count - 1))
        {
            var h = node.IsJson || node.Heredocs.Count == 0 ? null : SafeHeredocWord(src);
            if (h is null)
            {
                sources.Add(src);
                continue;
            }
            var body = node.Heredocs.FirstOrDefault(x => x.Name == h.Name);
            string content = body?.Content ?? "";
            if (h.Chomp) content = HeredocSyntax.ChompContent(content);
            inline.Add(new InlineSource(h.Name, content, h.Expand));
        }
        return (sources, inline, dest);
    }

    private static Heredoc? SafeHeredocWord(string word)
    {
        try
        {
            return HeredocSyntax.ParseWord(word);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static CopyInstruction ParseCopy(Node node, List<string> args)
    {
        if (args.Count < 2)
            throw new InstructionFormatException("COPY requires at least two arguments, but only one was provided. Destination could not be determined");
        var flags = new InstructionFlags("COPY").String("chown").String("from").String("chmod").Bool("link").Strings("exclude").Bool("parents");
        flags.Parse(node.Flags);
        var (sources, inline, dest) = SourcesAndDest(node, args, "COPY");
        return new CopyInstruction
        {
            Sources = sources,
            InlineSources = inline,
            Destination = dest,
            From = flags.GetString("from"),
            Chown = flags.GetString("chown"),
            Chmod = flags.GetString("chmod"),
            Link = flags.GetBool("link") ?? false,
            Parents = flags.GetBool("parents") ?? false,
            Excludes = flags.GetStrings("exclude"),
            IsJsonForm = node.IsJson,
        }.WithSource(node);
    }

    private static AddInstruction ParseAdd(Node node, List<string> args)
    {
        if (args.Count < 2)
            throw new InstructionFormatException("ADD requires at least two arguments, but only one was provided. Destination could not be determined");
        var flags = new InstructionFlags("ADD").String("chown").String("chmod").Bool("link").Bool("keep-git-dir")
            .String("checksum").Bool("unpack").Strings("exclude");
        flags.Parse(node.Flags);
        var (sources, inline, dest) = SourcesAndDest(node, args, "ADD");
        return new AddInstruction
        {
            Sources = sources,
            InlineSources = inline,
            Destination = dest,
            Chown = flags.GetString("chown"),
            Chmod = flags.GetString("chmod"),
            Link = flags.GetBool("link") ?? false,
            KeepGitDir = flags.GetBool("keep-git-dir"),
            Checksum = flags.GetString("checksum"),
            Unpack = flags.GetBool("unpack"),
            Excludes = flags.GetStrings("exclude"),
            IsJsonForm = node.IsJson,
        }.WithSource(node);
    }

    private static ArgInstruction ParseArg(Node node, List<string> args)
    {
        AtLeastOne(args, "ARG");
        NoFlags(node);
        var defs = new List<ArgDefinition>(args.Count);
        foreach (var a in args)
        {
            int eq = a.IndexOf('=');
            if (eq < 0)
            {
                defs.Add(new ArgDefinition(a, null));
                continue;
            }
            if (eq == 0) throw new InstructionFormatException("ARG names can not be blank");
            defs.Add(new ArgDefinition(a[..eq], a[(eq + 1)..]));
        }
        return new ArgInstruction { Args = defs }.WithSource(node);
    }

    private static VolumeInstruction ParseVolume(Node node, List<string> args)
    {
        AtLeastOne(args, "VOLUME");
        NoFlags(node);
        var paths = new List<string>(args.Count);
        foreach (var v in args)
        {
            string t = v.Trim();
            if (t.Length == 0) throw new InstructionFormatException("VOLUME specified can not be an empty string");
            paths.Add(t);
        }
        return new VolumeInstruction { Paths = paths, IsJsonForm = node.IsJson }.WithSource(node);
    }

    private static HealthcheckInstruction ParseHealthcheck(Node node, List<string> args)
    {
        AtLeastOne(args, "HEALTHCHECK");
        string type = args[0].ToUpperInvariant();
        var rest = args.Skip(1).ToList();
        if (type == "NONE")
        {
            if (rest.Count != 0) throw new InstructionFormatException("HEALTHCHECK NONE takes no arguments");
            NoFlags(node);
            return new HealthcheckInstruction { Kind = HealthcheckKind.None, Test = ["NONE"] }.WithSource(node);
        }
        var flags = new InstructionFlags("HEALTHCHECK").String("interval").String("timeout").String("start-period").String("start-interval").String("retries");
        flags.Parse(node.Flags);
        if (type != "CMD")
            throw new FormatException($"Unknown type {GoQuote.Quote(type)} in HEALTHCHECK (try CMD)");
        var cmd = ToCommandLine(node, rest);
        if (cmd.Arguments.Count == 0) throw new InstructionFormatException("Missing command after HEALTHCHECK CMD");
        var kind = node.IsJson ? HealthcheckKind.Cmd : HealthcheckKind.CmdShell;
        var test = new List<string> { node.IsJson ? "CMD" : "CMD-SHELL" };
        test.AddRange(cmd.Arguments);

        int? retries = null;
        string? r = flags.GetString("retries");
        if (!string.IsNullOrEmpty(r))
        {
            if (!int.TryParse(r, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n))
                throw new FormatException($"--retries: strconv.ParseInt: parsing {GoQuote.Quote(r)}: invalid syntax");
            if (n < 0) throw new FormatException($"--retries cannot be negative ({n})");
            retries = n;
        }
        return new HealthcheckInstruction
        {
            Kind = kind,
            Test = test,
            Interval = Interval(flags, "interval"),
            Timeout = Interval(flags, "timeout"),
            StartPeriod = Interval(flags, "start-period"),
            StartInterval = Interval(flags, "start-interval"),
            Retries = retries,
        }.WithSource(node);
    }

    // Empty means "not set"; 0 is allowed (use the default); otherwise at least 1ms.
    private static TimeSpan? Interval(InstructionFlags flags, string name)
    {
        string? s = flags.GetString(name);
        if (string.IsNullOrEmpty(s)) return null;
        if (!GoDuration.TryParse(s, out var d))
            throw new FormatException($"--{name}: time: invalid duration {GoQuote.Quote(s)}");
        if (d == TimeSpan.Zero) return TimeSpan.Zero;
        if (d < TimeSpan.FromMilliseconds(1))
            throw new FormatException($"Interval {GoQuote.Quote(name)} cannot be less than 1ms");
        return d;
    }

    private static OnBuildInstruction ParseOnBuild(Node node, List<string> args, string fileName)
    {
        AtLeastOne(args, "ONBUILD");
        NoFlags(node);
        string trigger = args[0].Trim().ToUpperInvariant();
        switch (trigger)
        {
            case "ONBUILD":
                throw new FormatException("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            case "MAINTAINER":
            case "FROM":
                throw new FormatException($"{trigger} isn't allowed as an ONBUILD trigger");
        }
        var inner = node.Next!.Children[0];
        // The trigger sits on the ONBUILD line; give it the same location and the ONBUILD node's heredocs.
        inner.StartLine = node.StartLine;
        inner.EndLine = node.EndLine;
        inner.Heredocs = node.Heredocs;
        var parsed = Convert(inner, fileName);

        var expression = new StringBuilder(StripOnBuildKeyword(node.Original));
        foreach (var h in node.Heredocs)
            expression.Append('\n').Append(h.Content).Append(h.Name);
        return new OnBuildInstruction { Trigger = parsed, Expression = expression.ToString() }.WithSource(node);
    }

    // (?i)^\s*ONBUILD\s*
    private static string StripOnBuildKeyword(string original)
    {
        int i = 0;
        while (i < original.Length && IsReSpace(original[i])) i++;
        if (string.Compare(original, i, "ONBUILD", 0, 7, StringComparison.OrdinalIgnoreCase) != 0) return original;
        i += 7;
        while (i < original.Length && IsReSpace(original[i])) i++;
        return original[i..];
    }

    private static bool IsReSpace(char c) => c is ' ' or '\t' or '\n' or '\f' or '\r';
}
