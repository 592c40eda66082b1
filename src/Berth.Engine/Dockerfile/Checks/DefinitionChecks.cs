using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Engine.Dockerfile.Checks;

/// <summary>Checks that need only the syntax tree or the stage list: casing, stage names, MAINTAINER, empty continuations.</summary>
internal static class DefinitionChecks
{
    private static readonly string[] ReservedStageNames = ["context", "scratch"];

    public static void EmptyContinuations(DockerfileAst ast, WarningCollector sink)
    {
        foreach (var w in ast.Warnings)
            if (w.Url == LintRules.NoEmptyContinuation.Url) sink.Add(LintRules.NoEmptyContinuation, LintRules.NoEmptyContinuationMessage, w.Line, w.Line);
    }

    /// <summary>What BuildKit checks as it converts each node (before converting it), for nodes starting at or before <paramref name="lastLine"/>.</summary>
    public static void Nodes(DockerfileAst ast, WarningCollector sink, int lastLine)
    {
        foreach (var node in ast.Instructions)
        {
            if (node.StartLine > lastLine) break;
            if (node.Value.Equals("maintainer", StringComparison.OrdinalIgnoreCase))
            {
                sink.Add(LintRules.MaintainerDeprecated, LintRules.MaintainerDeprecatedMessage, node.StartLine, node.EndLine, node.Comments);
            }
            else if (node.Value.Equals("from", StringComparison.OrdinalIgnoreCase))
            {
                var args = node.Arguments.Select(a => a.Value).ToList();
                if (args.Count != 3) continue;
                if (args[2] != args[2].ToLowerInvariant())
                    sink.Add(LintRules.StageNameCasing, LintRules.StageNameCasingMessage(args[2]), node.StartLine, node.EndLine, node.Comments);
                if (!FromMatchesAsCase(node.Value, args[1]))
                    sink.Add(LintRules.FromAsCasing, LintRules.FromAsCasingMessage(node.Value, args[1]), node.StartLine, node.EndLine, node.Comments);
            }
        }
    }

    // A FROM in mixed case is ConsistentInstructionCasing's business, not this rule's.
    private static bool FromMatchesAsCase(string from, string @as)
    {
        bool lower = from == from.ToLowerInvariant();
        bool upper = from == from.ToUpperInvariant();
        if (!lower && !upper) return true;
        return lower ? @as == @as.ToLowerInvariant() : @as == @as.ToUpperInvariant();
    }

    public static void StageNames(DockerfileModel model, WarningCollector sink)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stage in model.Stages)
        {
            if (stage.Name is not { } name) continue;
            if (ReservedStageNames.Contains(name))
                sink.Add(LintRules.ReservedStageName, LintRules.ReservedStageNameMessage(name), stage.From.StartLine, stage.From.EndLine);
            if (!seen.Add(name))
                sink.Add(LintRules.DuplicateStageName, LintRules.DuplicateStageNameMessage(name), stage.From.StartLine, stage.From.EndLine);
        }
    }

    /// <summary>The majority casing of the stages' keywords (global ARGs not counted, a tie counts as upper case) and every keyword off it.</summary>
    public static void InstructionCasing(DockerfileModel model, WarningCollector sink)
    {
        int lower = 0, upper = 0;
        foreach (var i in StageInstructions(model))
        {
            if (i.Keyword == i.Keyword.ToLowerInvariant()) lower++;
            else if (i.Keyword == i.Keyword.ToUpperInvariant()) upper++;
        }
        bool majorityLower = lower > upper;
        foreach (var i in StageInstructions(model))
        {
            string? casing = null;
            if (majorityLower && i.Keyword != i.Keyword.ToLowerInvariant()) casing = "lowercase";
            else if (!majorityLower && i.Keyword != i.Keyword.ToUpperInvariant()) casing = "uppercase";
            if (casing is not null)
                sink.Add(LintRules.ConsistentInstructionCasing, LintRules.ConsistentInstructionCasingMessage(i.Keyword, casing), i.StartLine, i.EndLine);
        }
    }

    private static IEnumerable<Instruction> StageInstructions(DockerfileModel model)
    {
        foreach (var stage in model.Stages)
        {
            yield return stage.From;
            foreach (var i in stage.Instructions) yield return i;
        }
    }
}
