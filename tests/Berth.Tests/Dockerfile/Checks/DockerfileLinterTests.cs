using Berth.Engine.Dockerfile.Checks;

namespace Berth.Tests.Dockerfile.Checks;

/// <summary>Each build check fires where BuildKit's does, with its rule name, wording and line, and stays quiet otherwise.</summary>
public sealed class DockerfileLinterTests
{
    private static readonly Dictionary<string, string> NoArgs = [];

    private static LintReport Lint(string text, Dictionary<string, string>? args = null, LintOptions? options = null) =>
        DockerfileLinter.Lint(text, "Dockerfile", args ?? NoArgs, options);

    private static List<string> Found(string text, Dictionary<string, string>? args = null, LintOptions? options = null)
    {
        var report = Lint(text, args, options);
        Assert.Null(report.Error);
        return report.Warnings.Select(w => $"{w.StartLine} {w.Rule.Name}: {w.Message}").ToList();
    }

    [Fact]
    public void A_clean_Dockerfile_has_no_warnings()
    {
        Assert.Empty(Found("FROM alpine AS build\nARG V=1\nENV A=$V\nWORKDIR /src\nCOPY . .\nRUN make $UNSET_IN_SHELL\nCMD [\"app\"]\n"));
    }

    [Fact]
    public void Shell_form_CMD_and_ENTRYPOINT_get_JSONArgsRecommended()
    {
        Assert.Equal(
        [
            "2 JSONArgsRecommended: JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals",
            "3 JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals",
        ], Found("FROM alpine\nENTRYPOINT my-app --serve\nCMD serve --port 80\n"));
    }

    [Fact]
    public void JSONArgsRecommended_is_silent_after_an_explicit_SHELL_also_in_a_child_stage()
    {
        Assert.Empty(Found("FROM alpine AS base\nSHELL [\"/bin/bash\", \"-c\"]\nCMD echo hi\nFROM base\nENTRYPOINT run\n"));
    }

    [Fact]
    public void Upper_case_stage_name_gets_StageNameCasing()
    {
        Assert.Equal(["1 StageNameCasing: Stage name 'BadStageName' should be lowercase"], Found("FROM scratch AS BadStageName\n"));
    }

    [Fact]
    public void As_keyword_in_other_case_than_FROM_gets_FromAsCasing()
    {
        Assert.Equal(["2 FromAsCasing: 'as' and 'FROM' keywords' casing do not match"], Found("\nFROM scratch as base2\n"));
        Assert.Equal(["1 FromAsCasing: 'AS' and 'from' keywords' casing do not match"], Found("from scratch AS base\nfrom scratch as base2\n"));
    }

    [Fact]
    public void Mixed_case_FROM_is_left_to_ConsistentInstructionCasing()
    {
        Assert.Equal(["1 ConsistentInstructionCasing: Command 'From' should match the case of the command majority (uppercase)"],
            Found("From scratch as base\nFROM scratch AS base2\n"));
    }

    [Fact]
    public void Minority_casing_gets_ConsistentInstructionCasing()
    {
        Assert.Equal(["3 ConsistentInstructionCasing: Command 'copy' should match the case of the command majority (uppercase)"],
            Found("FROM scratch\n\ncopy Dockerfile /foo\nCOPY Dockerfile /bar\n"));
        Assert.Equal(["1 ConsistentInstructionCasing: Command 'FROM' should match the case of the command majority (lowercase)"],
            Found("FROM scratch\ncopy a /foo\ncopy b /bar\ncopy c /baz\n"));
    }

    [Fact]
    public void Undefined_variable_gets_UndefinedVar_with_a_suggestion()
    {
        Assert.Equal(["2 UndefinedVar: Usage of undefined variable '$PAHT' (did you mean $PATH?)"], Found("FROM alpine\nENV PATH=$PAHT:/app/bin\n"));
        Assert.Equal(["2 UndefinedVar: Usage of undefined variable '$foo'"], Found("FROM alpine AS base\nCOPY $foo .\n"));
        Assert.Equal(["2 UndefinedVar: Usage of undefined variable '$foo'"], Found("FROM alpine AS base\nARG VERSION=$foo\n"));
    }

    [Fact]
    public void Declared_ARG_without_value_is_not_undefined()
    {
        Assert.Empty(Found("FROM alpine\nARG foo\nCOPY $foo .\n"));
    }

    [Fact]
    public void Global_ARG_is_undefined_in_a_stage_until_redeclared()
    {
        Assert.Equal(["3 UndefinedVar: Usage of undefined variable '$VERSION'"], Found("ARG VERSION=1\nFROM alpine\nWORKDIR /app/$VERSION\n"));
        Assert.Empty(Found("ARG VERSION=1\nFROM alpine\nARG VERSION\nWORKDIR /app/$VERSION\n"));
    }

    [Fact]
    public void Variables_in_RUN_and_shell_form_CMD_are_left_to_the_shell()
    {
        Assert.Empty(Found("FROM alpine\nRUN echo $NOPE\nCMD [\"sh\", \"-c\", \"$NOPE\"]\n"));
    }

    [Fact]
    public void ENV_values_see_the_environment_before_the_instruction()
    {
        Assert.Equal(["2 UndefinedVar: Usage of undefined variable '$A'"], Found("FROM alpine\nENV A=1 B=$A\nENV C=$A\n"));
    }

    [Fact]
    public void Base_image_env_from_the_options_defines_variables()
    {
        var options = new LintOptions { BaseImageEnv = name => name == "python" ? ["PYTHON_VERSION=3.12"] : null };
        Assert.Empty(Found("FROM python AS base\nARG VERSION=$PYTHON_VERSION\n", options: options));
        Assert.Single(Found("FROM alpine AS base\nARG VERSION=$PYTHON_VERSION\n", options: options));
    }

    [Fact]
    public void A_stage_inherits_the_env_of_the_stage_it_is_based_on()
    {
        Assert.Empty(Found("FROM alpine AS base\nENV APP=/app\nFROM base\nWORKDIR $APP\n"));
    }

    [Fact]
    public void Undeclared_arg_in_FROM_gets_UndefinedArgInFrom_with_suggestion()
    {
        Assert.Equal(["1 UndefinedArgInFrom: FROM argument 'VARIANT' is not declared"], Found("FROM node:22${VARIANT} AS jsbuilder\n"));
        Assert.Equal(["1 UndefinedArgInFrom: FROM argument 'BULIDPLATFORM' is not declared (did you mean BUILDPLATFORM?)"],
            Found("FROM --platform=$BULIDPLATFORM alpine\n"));
        Assert.Empty(Found("ARG VARIANT=\"-alpine3.20\"\nFROM node:22${VARIANT} AS jsbuilder\n"));
    }

    [Fact]
    public void Build_arg_without_ARG_does_not_declare_a_FROM_argument()
    {
        Assert.Contains("1 UndefinedArgInFrom: FROM argument 'TAG' is not declared", Found("FROM alpine:$TAG\n", new() { ["TAG"] = "3" }));
    }

    [Fact]
    public void Repeated_stage_name_gets_DuplicateStageName()
    {
        Assert.Equal(["3 DuplicateStageName: Duplicate stage name \"base\", stage names should be unique"],
            Found("FROM alpine AS base\nRUN x\nFROM debian AS base\n"));
    }

    [Fact]
    public void Reserved_stage_name_gets_ReservedStageName()
    {
        Assert.Equal(["1 ReservedStageName: Stage name should not use the same name as reserved stage \"scratch\""], Found("FROM alpine AS scratch\n"));
        Assert.Equal(["1 ReservedStageName: Stage name should not use the same name as reserved stage \"context\""], Found("FROM alpine AS context\n"));
    }

    [Fact]
    public void Second_CMD_ENTRYPOINT_or_HEALTHCHECK_flags_the_first_one()
    {
        Assert.Equal(
        [
            "2 MultipleInstructionsDisallowed: Multiple CMD instructions should not be used in the same stage because only the last one will be used",
            "4 MultipleInstructionsDisallowed: Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used",
            "6 MultipleInstructionsDisallowed: Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used",
        ], Found("FROM alpine\nCMD [\"a\"]\nCMD [\"b\"]\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\nHEALTHCHECK NONE\nHEALTHCHECK CMD [\"true\"]\n"));
    }

    [Fact]
    public void One_CMD_per_stage_is_fine_across_stages()
    {
        Assert.Empty(Found("FROM alpine AS a\nCMD [\"a\"]\nFROM a\nCMD [\"b\"]\n"));
    }

    [Fact]
    public void Legacy_ENV_and_LABEL_get_LegacyKeyValueFormat()
    {
        Assert.Equal(
        [
            "2 LegacyKeyValueFormat: \"ENV key=value\" should be used instead of legacy \"ENV key value\" format",
            "3 LegacyKeyValueFormat: \"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format",
        ], Found("FROM alpine\nENV DEBUG true\nLABEL maintainer me\nENV OK=1\n"));
    }

    [Fact]
    public void First_relative_WORKDIR_gets_WorkdirRelativePath_only_once()
    {
        Assert.Equal(["2 WorkdirRelativePath: Relative workdir \"app\" can have unexpected results if the base image changes"],
            Found("FROM alpine\nWORKDIR app\nWORKDIR src\n"));
        Assert.Empty(Found("FROM alpine\nWORKDIR /app\nWORKDIR src\n"));
        Assert.Empty(Found("FROM alpine AS a\nWORKDIR /app\nFROM a\nWORKDIR src\n"));
    }

    [Fact]
    public void MAINTAINER_gets_MaintainerDeprecated()
    {
        Assert.Equal(["3 MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label"], Found("\nFROM scratch\nMAINTAINER me@example.org\n"));
    }

    [Fact]
    public void Empty_continuation_line_gets_NoEmptyContinuation_on_the_instructions_last_line()
    {
        Assert.Equal(["6 NoEmptyContinuation: Empty continuation line"],
            Found("\nFROM scratch\n# warning: empty continuation line\nCOPY Dockerfile \\\n\n.\nCOPY Dockerfile \\\n.\n"));
    }

    [Fact]
    public void Platform_set_to_TARGETPLATFORM_gets_RedundantTargetPlatform()
    {
        Assert.Equal(["1 RedundantTargetPlatform: Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"],
            Found("FROM --platform=$TARGETPLATFORM alpine\n"));
        Assert.Empty(Found("FROM --platform=$BUILDPLATFORM alpine\n"));
    }

    [Fact]
    public void Constant_platform_gets_FromPlatformFlagConstDisallowed_unless_the_stage_is_named_for_it()
    {
        Assert.Equal(["1 FromPlatformFlagConstDisallowed: FROM --platform flag should not use constant value \"linux/amd64\""],
            Found("FROM --platform=linux/amd64 alpine AS build\n"));
        Assert.Empty(Found("FROM --platform=linux/amd64 alpine AS build-amd64\n"));
    }

    [Fact]
    public void Secret_looking_ARG_and_ENV_names_get_SecretsUsedInArgOrEnv()
    {
        Assert.Equal(
        [
            "2 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"API_TOKEN\")",
            "3 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV \"DB_PASSWORD\")",
        ], Found("FROM alpine\nARG API_TOKEN\nENV DB_PASSWORD=x\nARG PUBLIC_KEY\nENV TOKENIZER=1\n"));
    }

    [Fact]
    public void Default_ARG_that_leaves_an_invalid_image_name_gets_InvalidDefaultArgInFrom()
    {
        Assert.Equal(["2 InvalidDefaultArgInFrom: Default value for ARG busybox:${TAG} results in empty or invalid base image name"],
            Found("ARG TAG\nFROM busybox:${TAG}\n", new() { ["TAG"] = "1.36" }));
        Assert.Empty(Found("ARG VARIANT\nFROM busybox:stable${VARIANT}\n"));
        Assert.Empty(Found("ARG TAG\nFROM alpine:${TAG:-3.14}\n"));
    }

    [Fact]
    public void Upper_case_or_mapped_EXPOSE_gets_its_checks()
    {
        Assert.Equal(
        [
            "2 ExposeProtoCasing: Defined protocol '80/TCP' in EXPOSE instruction should be lowercase",
            "3 ExposeInvalidFormat: EXPOSE instruction should not define an IP address or host-port mapping, found '8080:80'",
        ], Found("FROM alpine\nEXPOSE 80/TCP\nEXPOSE 8080:80\nEXPOSE 53/udp\n"));
    }

    [Fact]
    public void Check_directive_skips_named_rules_or_all()
    {
        Assert.Empty(Found("# check=skip=JSONArgsRecommended,MaintainerDeprecated\nFROM alpine\nMAINTAINER me\nCMD run\n"));
        Assert.Equal(["4 JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals"],
            Found("# check=skip=MaintainerDeprecated\nFROM alpine\nMAINTAINER me\nCMD run\n"));
        Assert.Empty(Found("# check=skip=all\nFROM alpine\nMAINTAINER me\nCMD run\n"));
    }

    [Fact]
    public void Check_directive_error_true_turns_warnings_into_an_error()
    {
        var report = Lint("# check=error=true\nFROM alpine\nMAINTAINER me\nCMD run\n");
        Assert.True(report.HasErrors);
        Assert.Equal("lint violation found for rules: MaintainerDeprecated, JSONArgsRecommended", report.Error!.Message);
        Assert.Equal(2, report.Warnings.Count);
        Assert.False(Lint("# check=error=true\nFROM alpine\nCMD [\"run\"]\n").HasErrors);
    }

    [Fact]
    public void Invalid_check_directive_is_an_error()
    {
        var report = Lint("# check=skip\nFROM alpine\n");
        Assert.True(report.HasErrors);
        Assert.Equal("failed to parse check options: invalid check option \"skip\"", report.Error!.Message);
        Assert.StartsWith("failed to parse check options: failed to parse check option \"error=maybe\"", Lint("# check=error=maybe\nFROM a\n").Error!.Message);
    }

    [Fact]
    public void A_Dockerfile_that_does_not_parse_is_the_reports_error_with_earlier_warnings_kept()
    {
        var report = Lint("FROM alpine\nMAINTAINER me\nRUNN x\nMAINTAINER you\n");
        Assert.True(report.HasErrors);
        Assert.Equal("Dockerfile:3: unknown instruction: RUNN (did you mean RUN?)", report.Error!.Message);
        Assert.Equal(3, report.Error.StartLine);
        Assert.Equal([2], report.Warnings.Select(w => w.StartLine));
    }

    [Fact]
    public void Expansion_error_stops_the_check_with_an_error_on_its_line()
    {
        var report = Lint("FROM alpine\nARG X\nWORKDIR ${X:?must be set}\n");
        Assert.True(report.HasErrors);
        Assert.StartsWith("Dockerfile:3: failed to process", report.Error!.Message);
    }

    [Fact]
    public void Blank_base_name_is_an_error()
    {
        var report = Lint("ARG IMG=\nFROM $IMG\n");
        Assert.Equal("Dockerfile:2: base name ($IMG) should not be blank", report.Error!.Message);
    }

    [Fact]
    public void Every_rule_has_a_docs_link_named_after_it()
    {
        foreach (var rule in LintRules.All)
        {
            Assert.StartsWith("https://docs.docker.com/go/dockerfile/rule/", rule.Url);
            string slug = string.Concat(rule.Name.Replace("JSON", "Json").Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
            Assert.EndsWith("/" + slug + "/", rule.Url);
        }
    }

    [Fact]
    public void Check_comment_above_an_instruction_skips_rules_for_that_instruction_only()
    {
        Assert.Empty(Found("FROM scratch\n# check=skip=JSONArgsRecommended\nCMD mycommand\n"));
        Assert.Empty(Found("FROM scratch\n# check=skip=MaintainerDeprecated\nMAINTAINER me@example.org\n"));
        Assert.Empty(Found("FROM scratch\n# check=skip=WorkdirRelativePath\nWORKDIR app/\n"));
        Assert.Empty(Found("FROM scratch\n# check=skip=LegacyKeyValueFormat\nENV testkey value\n# check=skip=LegacyKeyValueFormat\nLABEL key value\n"));
        Assert.Empty(Found("# check=skip=RedundantTargetPlatform\nFROM --platform=$TARGETPLATFORM scratch\n"));
        Assert.Equal(["6 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"alternate_password\")"],
            Found("FROM scratch\n# check=skip=SecretsUsedInArgOrEnv // allow secret in environment\nENV password=bar\n# check=skip=all // local to this one\nARG api_key\nARG alternate_password\n"));
    }
}
