namespace Berth.Engine.Dockerfile.Checks;

/// <summary>
/// Which checks run and whether warnings fail the check: the <c># check=skip=A,B;error=true;experimental=all</c> directive,
/// parsed with BuildKit's rules (<c>linter.ParseLintOptions</c>).
/// </summary>
public sealed record LintConfig
{
    public static LintConfig Default { get; } = new();

    public bool SkipAll { get; init; }
    public IReadOnlySet<string> SkippedRules { get; init; } = new HashSet<string>(StringComparer.Ordinal);
    public bool ExperimentalAll { get; init; }
    public IReadOnlySet<string> ExperimentalRules { get; init; } = new HashSet<string>(StringComparer.Ordinal);
    /// <summary><c>error=true</c>: any warning makes the check fail.</summary>
    public bool ErrorOnWarnings { get; init; }

    /// <summary>True when <paramref name="rule"/> should be reported under this configuration.</summary>
    public bool Runs(LintRule rule)
    {
        if (rule.Experimental) return ExperimentalAll || ExperimentalRules.Contains(rule.Name);
        return !SkipAll && !SkippedRules.Contains(rule.Name);
    }

    /// <summary>Parses the directive's value. Throws <see cref="FormatException"/> with BuildKit's message.</summary>
    public static LintConfig Parse(string value)
    {
        value = value.Trim();
        if (value.Length == 0) return Default;
        var config = new LintConfig();
        // Go's strings.SplitN(s, ";", 3): the third part keeps any further ';'.
        foreach (var part in SplitN(value, ';', 3))
        {
            int eq = part.IndexOf('=');
            if (eq < 0) throw new FormatException($"invalid check option {Syntax.GoQuote.Quote(part)}");
            string key = part[..eq].Trim();
            string v = part[(eq + 1)..].Trim();
            switch (key)
            {
                case "skip":
                    config = v == "all" ? config with { SkipAll = true } : config with { SkippedRules = RuleSet(v) };
                    break;
                case "experimental":
                    config = v == "all" ? config with { ExperimentalAll = true } : config with { ExperimentalRules = RuleSet(v) };
                    break;
                case "error":
                    config = config with
                    {
                        ErrorOnWarnings = ParseGoBool(v)
                            ?? throw new FormatException($"failed to parse check option {Syntax.GoQuote.Quote(part)}: strconv.ParseBool: parsing {Syntax.GoQuote.Quote(v)}: invalid syntax"),
                    };
                    break;
                default:
                    throw new FormatException($"invalid check option {Syntax.GoQuote.Quote(key)}");
            }
        }
        return config;
    }

    /// <summary>
    /// This configuration plus the first <c>check=…</c> among the comments above an instruction (BuildKit's
    /// <c>WithMergedConfigFromComments</c>): skips and experiments add up; <c>error</c> stays the file's. Text after a space is a remark.
    /// </summary>
    public LintConfig MergedWithComments(IReadOnlyList<string> comments)
    {
        foreach (var comment in comments)
        {
            Syntax.Directive? d;
            try
            {
                d = new Syntax.ParserDirectives("").ParseLine(comment);
            }
            catch (FormatException)
            {
                continue;
            }
            if (d is null || d.Name != "check") continue;
            int space = d.Value.IndexOf(' ');
            LintConfig local;
            try
            {
                local = Parse(space < 0 ? d.Value : d.Value[..space]);
            }
            catch (FormatException)
            {
                return this;
            }
            return this with
            {
                SkipAll = SkipAll || local.SkipAll,
                SkippedRules = new HashSet<string>(SkippedRules.Concat(local.SkippedRules), StringComparer.Ordinal),
                ExperimentalAll = ExperimentalAll || local.ExperimentalAll,
                ExperimentalRules = new HashSet<string>(ExperimentalRules.Concat(local.ExperimentalRules), StringComparer.Ordinal),
            };
        }
        return this;
    }

    private static HashSet<string> RuleSet(string v) => new(v.Split(',').Select(r => r.Trim()), StringComparer.Ordinal);

    private static bool? ParseGoBool(string v) => v switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };

    private static IEnumerable<string> SplitN(string s, char sep, int n)
    {
        int start = 0;
        for (int i = 1; i < n; i++)
        {
            int at = s.IndexOf(sep, start);
            if (at < 0) break;
            yield return s[start..at];
            start = at + 1;
        }
        yield return s[start..];
    }
}
