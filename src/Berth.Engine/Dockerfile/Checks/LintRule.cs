namespace Berth.Engine.Dockerfile.Checks;

/// <summary>One build check, named, described and linked as BuildKit's <c>linter/ruleset.go</c> does.</summary>
public sealed record LintRule(string Name, string Description, string? Url, bool Experimental = false);

/// <summary>A check that fired: the rule, its message, and the lines of the instruction it points at.</summary>
public sealed record LintWarning(LintRule Rule, string Message, int StartLine, int EndLine);

/// <summary>BuildKit's build checks and their message wording.</summary>
public static class LintRules
{
    private const string Docs = "https://docs.docker.com/go/dockerfile/rule/";

    public static readonly LintRule StageNameCasing = new("StageNameCasing", "Stage names should be lowercase", Docs + "stage-name-casing/");
    public static readonly LintRule FromAsCasing = new("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword", Docs + "from-as-casing/");
    public static readonly LintRule NoEmptyContinuation = new("NoEmptyContinuation", "Empty continuation lines will become errors in a future release", Docs + "no-empty-continuation/");
    public static readonly LintRule ConsistentInstructionCasing = new("ConsistentInstructionCasing", "All commands within the Dockerfile should use the same casing (either upper or lower)", Docs + "consistent-instruction-casing/");
    public static readonly LintRule DuplicateStageName = new("DuplicateStageName", "Stage names should be unique", Docs + "duplicate-stage-name/");
    public static readonly LintRule ReservedStageName = new("ReservedStageName", "Reserved words should not be used as stage names", Docs + "reserved-stage-name/");
    public static readonly LintRule JsonArgsRecommended = new("JSONArgsRecommended", "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals", Docs + "json-args-recommended/");
    public static readonly LintRule MaintainerDeprecated = new("MaintainerDeprecated", "The MAINTAINER instruction is deprecated, use a label instead to define an image author", Docs + "maintainer-deprecated/");
    public static readonly LintRule UndefinedArgInFrom = new("UndefinedArgInFrom", "FROM command must use declared ARGs", Docs + "undefined-arg-in-from/");
    public static readonly LintRule WorkdirRelativePath = new("WorkdirRelativePath", "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes", Docs + "workdir-relative-path/");
    public static readonly LintRule UndefinedVar = new("UndefinedVar", "Variables should be defined before their use", Docs + "undefined-var/");
    public static readonly LintRule MultipleInstructionsDisallowed = new("MultipleInstructionsDisallowed", "Multiple instructions of the same type should not be used in the same stage", Docs + "multiple-instructions-disallowed/");
    public static readonly LintRule LegacyKeyValueFormat = new("LegacyKeyValueFormat", "Legacy key/value format with whitespace separator should not be used", Docs + "legacy-key-value-format/");
    public static readonly LintRule RedundantTargetPlatform = new("RedundantTargetPlatform", "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior", Docs + "redundant-target-platform/");
    public static readonly LintRule SecretsUsedInArgOrEnv = new("SecretsUsedInArgOrEnv", "Sensitive data should not be used in the ARG or ENV commands", Docs + "secrets-used-in-arg-or-env/");
    public static readonly LintRule InvalidDefaultArgInFrom = new("InvalidDefaultArgInFrom", "Default value for global ARG results in an empty or invalid base image name", Docs + "invalid-default-arg-in-from/");
    public static readonly LintRule FromPlatformFlagConstDisallowed = new("FromPlatformFlagConstDisallowed", "FROM --platform flag should not use a constant value", Docs + "from-platform-flag-const-disallowed/");
    public static readonly LintRule CopyIgnoredFile = new("CopyIgnoredFile", "Attempting to Copy file that is excluded by .dockerignore", Docs + "copy-ignored-file/");
    public static readonly LintRule ExposeProtoCasing = new("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase", Docs + "expose-proto-casing/");
    public static readonly LintRule ExposeInvalidFormat = new("ExposeInvalidFormat", "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release", Docs + "expose-invalid-format/");

    /// <summary>Every rule Berth runs, in BuildKit's order.</summary>
    public static IReadOnlyList<LintRule> All { get; } =
    [
        StageNameCasing, FromAsCasing, NoEmptyContinuation, ConsistentInstructionCasing, DuplicateStageName, ReservedStageName,
        JsonArgsRecommended, MaintainerDeprecated, UndefinedArgInFrom, WorkdirRelativePath, UndefinedVar, MultipleInstructionsDisallowed,
        LegacyKeyValueFormat, RedundantTargetPlatform, SecretsUsedInArgOrEnv, InvalidDefaultArgInFrom, FromPlatformFlagConstDisallowed,
        CopyIgnoredFile, ExposeProtoCasing, ExposeInvalidFormat,
    ];

    internal static string StageNameCasingMessage(string stageName) => $"Stage name '{stageName}' should be lowercase";
    internal static string FromAsCasingMessage(string from, string @as) => $"'{@as}' and '{from}' keywords' casing do not match";
    internal const string NoEmptyContinuationMessage = "Empty continuation line";
    internal static string ConsistentInstructionCasingMessage(string command, string casing) => $"Command '{command}' should match the case of the command majority ({casing})";
    internal static string DuplicateStageNameMessage(string stageName) => $"Duplicate stage name {GoString(stageName)}, stage names should be unique";
    internal static string ReservedStageNameMessage(string stageName) => $"Stage name should not use the same name as reserved stage {GoString(stageName)}";
    internal static string JsonArgsRecommendedMessage(string instruction) => $"JSON arguments recommended for {instruction} to prevent unintended behavior related to OS signals";
    internal const string MaintainerDeprecatedMessage = "Maintainer instruction is deprecated in favor of using label";
    internal static string UndefinedArgInFromMessage(string arg, string? suggestion) =>
        $"FROM argument '{arg}' is not declared" + (suggestion is null ? "" : $" (did you mean {suggestion}?)");
    internal static string WorkdirRelativePathMessage(string workdir) => $"Relative workdir {GoString(workdir)} can have unexpected results if the base image changes";
    internal static string UndefinedVarMessage(string name, string? suggestion) =>
        $"Usage of undefined variable '${name}'" + (suggestion is null ? "" : $" (did you mean ${suggestion}?)");
    internal static string MultipleInstructionsDisallowedMessage(string instruction) =>
        $"Multiple {instruction} instructions should not be used in the same stage because only the last one will be used";
    internal static string LegacyKeyValueFormatMessage(string command) => $"\"{command} key=value\" should be used instead of legacy \"{command} key value\" format";
    internal static string RedundantTargetPlatformMessage(string platformVar) => $"Setting platform to predefined {platformVar} in FROM is redundant as this is the default behavior";
    internal static string SecretsUsedInArgOrEnvMessage(string instruction, string key) => $"Do not use ARG or ENV instructions for sensitive data ({instruction} {GoString(key)})";
    internal static string InvalidDefaultArgInFromMessage(string baseName) => $"Default value for ARG {baseName} results in empty or invalid base image name";
    internal static string FromPlatformFlagConstDisallowedMessage(string platform) => $"FROM --platform flag should not use constant value {GoString(platform)}";
    internal static string CopyIgnoredFileMessage(string command, string file) => $"Attempting to {command} file {GoString(file)} that is excluded by .dockerignore";
    internal static string ExposeProtoCasingMessage(string port) => $"Defined protocol '{port}' in EXPOSE instruction should be lowercase";
    internal static string ExposeInvalidFormatMessage(string port) => $"EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'";

    private static string GoString(string s) => Syntax.GoQuote.Quote(s);
}
