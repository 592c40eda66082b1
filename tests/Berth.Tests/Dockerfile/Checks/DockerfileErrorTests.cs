using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Tests.Dockerfile.Checks;

/// <summary>Every error the issue lists reads <c>Dockerfile:LINE: message</c> and shows the offending text.</summary>
public sealed class DockerfileErrorTests
{
    private static DockerfileSyntaxException Fails(string text, string fileName = "Dockerfile") =>
        Assert.Throws<DockerfileSyntaxException>(() => DockerfileModel.Parse(text, fileName));

    [Fact]
    public void Unknown_instruction_names_the_keyword_and_suggests_the_closest_one()
    {
        var e = Fails("FROM alpine\nRUNN echo hi\n");
        Assert.Equal("Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)", e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Unknown_instruction_without_a_close_keyword_has_no_suggestion()
    {
        Assert.Equal("Dockerfile:2: unknown instruction: FROBNICATE", Fails("FROM alpine\nFROBNICATE x\n").Message);
    }

    [Fact]
    public void Unknown_instruction_suggestion_keeps_the_writers_casing()
    {
        Assert.Equal("Dockerfile:2: unknown instruction: cpy (did you mean copy?)", Fails("FROM alpine\ncpy a b\n").Message);
    }

    [Fact]
    public void Instruction_before_any_FROM_is_missing_FROM_and_quotes_the_instruction()
    {
        var e = Fails("# comment\nRUN echo hi\nFROM alpine\n");
        Assert.StartsWith("Dockerfile:2: RUN before the first FROM", e.Message);
        Assert.EndsWith(": RUN echo hi", e.Message);
    }

    [Fact]
    public void Only_ARGs_and_no_FROM_says_there_is_no_stage()
    {
        Assert.Equal("Dockerfile:2: dockerfile contains no stages to build: no FROM instruction", Fails("ARG A=1\nARG B\n").Message);
    }

    [Fact]
    public void ONBUILD_FROM_is_rejected_on_its_line()
    {
        Assert.Equal("Dockerfile:3: FROM isn't allowed as an ONBUILD trigger", Fails("FROM a\nRUN x\nONBUILD FROM b\n").Message);
    }

    [Fact]
    public void ONBUILD_ONBUILD_and_ONBUILD_MAINTAINER_are_rejected()
    {
        Assert.Contains("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", Fails("FROM a\nONBUILD ONBUILD RUN x\n").Message);
        Assert.Equal("Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger", Fails("FROM a\nonbuild maintainer me\n").Message);
    }

    [Fact]
    public void JSON_array_with_a_non_string_quotes_the_instruction()
    {
        Assert.Equal("Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only: CMD [\"echo\", 1]",
            Fails("FROM a\nCMD [\"echo\", 1]\n").Message);
    }

    [Fact]
    public void SHELL_not_in_JSON_form_quotes_the_instruction()
    {
        Assert.Equal("Dockerfile:2: SHELL requires the arguments to be in JSON form: SHELL /bin/bash -c", Fails("FROM a\nSHELL /bin/bash -c\n").Message);
    }

    [Fact]
    public void Empty_continuation_at_end_of_file_says_so()
    {
        var e = Fails("FROM a\nRUN \\\n\n\n");
        Assert.Equal("Dockerfile:2: RUN requires at least one argument: RUN \\ (line continuation at end of file)", e.Message);
    }

    [Fact]
    public void Empty_continuation_at_end_of_file_with_backtick_escape_says_so()
    {
        Assert.Equal("Dockerfile:3: ENV requires at least one argument: ENV ` (line continuation at end of file)", Fails("# escape=`\nFROM a\nENV `\n").Message);
    }

    [Fact]
    public void Continuation_at_end_of_file_after_arguments_is_accepted_as_Docker_does()
    {
        var model = DockerfileModel.Parse("FROM a\nRUN echo hi \\\n");
        var run = Assert.IsType<RunInstruction>(model.Stages[0].Instructions[0]);
        Assert.Equal("echo hi", run.Command.Arguments[0]);
    }

    [Fact]
    public void Unknown_flag_names_the_flag_and_suggests_a_known_one()
    {
        Assert.Equal("Dockerfile:2: COPY: unknown flag: --form (did you mean --from?)", Fails("FROM a\nCOPY --form=b /x /y\n").Message);
    }

    [Fact]
    public void Flag_on_an_instruction_without_flags_says_it_takes_none()
    {
        Assert.Equal("Dockerfile:2: CMD: unknown flag: --init (CMD takes no flags)", Fails("FROM a\nCMD --init x\n").Message);
    }

    [Fact]
    public void ENV_legacy_form_without_a_value_quotes_the_instruction()
    {
        var e = Fails("FROM busybox\n\nENV PATH\n");
        Assert.Equal("Dockerfile:3: ENV must have two arguments: ENV PATH", e.Message);
        Assert.Equal("ENV must have two arguments", e.Reason);
    }

    [Fact]
    public void ENV_pair_without_equals_names_the_word()
    {
        Assert.Equal("Dockerfile:2: Syntax error - can't find = in \"B\". Must be of the form: name=value", Fails("FROM a\nENV A=1 B\n").Message);
    }

    [Fact]
    public void ENV_and_LABEL_with_a_blank_name_quote_the_instruction()
    {
        Assert.Equal("Dockerfile:2: ENV names can not be blank: ENV =1", Fails("FROM a\nENV =1\n").Message);
        Assert.Equal("Dockerfile:2: LABEL names can not be blank: LABEL =x", Fails("FROM a\nLABEL =x\n").Message);
    }

    [Fact]
    public void ARG_with_a_blank_name_quotes_the_instruction()
    {
        Assert.Equal("Dockerfile:2: ARG names can not be blank: ARG =1", Fails("FROM a\nARG =1\n").Message);
    }

    [Fact]
    public void ARG_without_a_name_is_rejected()
    {
        Assert.Equal("Dockerfile:2: ARG requires at least one argument", Fails("FROM a\nARG\n").Message);
    }

    [Fact]
    public void Wrong_argument_counts_quote_the_instruction()
    {
        Assert.Equal("Dockerfile:1: FROM requires either one or three arguments: FROM a b", Fails("FROM a b\n").Message);
        Assert.Equal("Dockerfile:2: HEALTHCHECK NONE takes no arguments: HEALTHCHECK NONE x", Fails("FROM a\nHEALTHCHECK NONE x\n").Message);
        Assert.StartsWith("Dockerfile:2: COPY requires at least two arguments", Fails("FROM a\nCOPY onlyone\n").Message);
    }

    [Fact]
    public void Error_names_the_file_it_was_given_and_the_first_line_of_a_continued_instruction()
    {
        var e = Fails("FROM a\nRUN echo \\\n  hi\nENV \\\n  X\n", "build/Dockerfile.dev");
        Assert.Equal("build/Dockerfile.dev:4: ENV must have two arguments: ENV   X", e.Message);
    }

    [Fact]
    public void Very_long_offending_text_is_shortened_to_keep_one_readable_line()
    {
        var e = Fails("FROM a\nSHELL " + new string('x', 500) + "\n");
        Assert.NotNull(e.OffendingText);
        Assert.True(e.OffendingText!.Length <= 120);
        Assert.EndsWith("...", e.Message);
    }
}
