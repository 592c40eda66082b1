using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Tests.Dockerfile.Instructions;

public sealed class DockerfileInstructionsTests
{
    private static DockerfileModel Model(string text) => DockerfileModel.Parse(text);

    private static T Single<T>(string body) where T : Instruction =>
        Assert.IsType<T>(Assert.Single(Model("FROM busybox\n" + body + "\n").Stages[0].Instructions));

    private static DockerfileSyntaxException Fails(string text) =>
        Assert.Throws<DockerfileSyntaxException>(() => Model(text));

    [Fact]
    public void Global_args_before_the_first_from_are_kept_apart_from_stages()
    {
        var m = Model("ARG BASE=alpine\nARG TAG\nFROM $BASE:$TAG AS Build\nARG IN_STAGE\nRUN true\nFROM build\n");
        Assert.Equal(2, m.GlobalArgs.Count);
        Assert.Equal(new ArgDefinition("BASE", "alpine"), m.GlobalArgs[0].Args[0]);
        Assert.Equal(new ArgDefinition("TAG", null), m.GlobalArgs[1].Args[0]);
        Assert.Equal(2, m.Stages.Count);
        Assert.Equal("$BASE:$TAG", m.Stages[0].BaseName);
        Assert.Equal("build", m.Stages[0].Name);
        Assert.Equal(0, m.Stages[0].Index);
        Assert.Equal(1, m.Stages[1].Index);
        Assert.Null(m.Stages[1].Name);
        Assert.IsType<ArgInstruction>(m.Stages[0].Instructions[0]);
        Assert.IsType<RunInstruction>(m.Stages[0].Instructions[1]);
    }

    [Fact]
    public void From_platform_flag_is_read()
    {
        var m = Model("FROM --platform=$BUILDPLATFORM golang:1.22 as builder\n");
        Assert.Equal("$BUILDPLATFORM", m.Stages[0].Platform);
        Assert.Equal("golang:1.22", m.Stages[0].From.BaseName);
    }

    [Fact]
    public void From_with_two_arguments_is_refused() =>
        Assert.Contains("FROM requires either one or three arguments", Fails("FROM a b\n").Message);

    [Fact]
    public void From_with_a_bad_stage_name_is_refused() =>
        Assert.Contains("invalid name for build stage: \"1abc\"", Fails("FROM a AS 1abc\n").Message);

    [Fact]
    public void Run_shell_form_keeps_the_raw_command_line()
    {
        var run = Single<RunInstruction>("RUN echo $HOME && ls \"a b\"");
        Assert.False(run.Command.IsExecForm);
        Assert.Equal(["echo $HOME && ls \"a b\""], run.Command.Arguments);
        Assert.Null(run.Network);
        Assert.Empty(run.Mounts);
    }

    [Fact]
    public void Run_exec_form_keeps_each_element()
    {
        var run = Single<RunInstruction>("RUN [\"sh\", \"-c\", \"echo hi\"]");
        Assert.True(run.Command.IsExecForm);
        Assert.Equal(["sh", "-c", "echo hi"], run.Command.Arguments);
    }

    [Fact]
    public void Run_mount_network_and_security_flags_are_typed()
    {
        var run = Single<RunInstruction>("RUN --mount=type=cache,target=/root/.cache,sharing=locked,id=pip --mount=type=secret,id=tok,required --network=none --security=insecure pip install x");
        Assert.Equal(2, run.Mounts.Count);
        var cache = run.Mounts[0];
        Assert.Equal(MountType.Cache, cache.Type);
        Assert.Equal("/root/.cache", cache.Target);
        Assert.Equal(CacheSharing.Locked, cache.Sharing);
        Assert.Equal("pip", cache.Id);
        Assert.False(cache.ReadOnly);
        var secret = run.Mounts[1];
        Assert.Equal(MountType.Secret, secret.Type);
        Assert.True(secret.Required);
        Assert.True(secret.ReadOnly);
        Assert.Equal(NetworkMode.None, run.Network);
        Assert.Equal(SecurityMode.Insecure, run.Security);
    }

    [Fact]
    public void Run_mount_defaults_to_a_read_only_bind()
    {
        var m = RunMount.Parse("target=/src,from=build,source=/out");
        Assert.Equal(MountType.Bind, m.Type);
        Assert.True(m.ReadOnly);
        Assert.Equal("build", m.From);
        Assert.Equal("/out", m.Source);
    }

    [Fact]
    public void Run_mount_with_variables_is_left_for_the_builder_to_parse_after_expansion()
    {
        var run = Single<RunInstruction>("RUN --mount=type=cache,target=$DIR,uid=$UID make");
        Assert.True(run.Mounts[0].NeedsExpansion);
        Assert.Equal("type=cache,target=$DIR,uid=$UID", run.Mounts[0].Raw);
    }

    [Fact]
    public void Run_mount_with_an_unknown_type_is_refused_with_a_suggestion() =>
        Assert.Contains("unsupported mount type \"cach\" (did you mean cache?)", Fails("FROM a\nRUN --mount=type=cach,target=/x true\n").Message);

    [Fact]
    public void Run_mount_with_an_unknown_key_is_refused() =>
        Assert.Contains("unexpected key 'tagret'", Fails("FROM a\nRUN --mount=type=cache,tagret=/x true\n").Message);

    [Fact]
    public void Run_mount_mode_is_refused_on_bind_mounts() =>
        Assert.Contains("mode not allowed for \"bind\" type mounts", Fails("FROM a\nRUN --mount=target=/x,mode=0755 true\n").Message);

    [Fact]
    public void Run_network_with_an_unknown_mode_is_refused() =>
        Assert.Contains("invalid network mode \"bridge\"", Fails("FROM a\nRUN --network=bridge true\n").Message);

    [Fact]
    public void Run_security_with_an_unknown_mode_is_refused() =>
        Assert.Contains("security \"privileged\" is not valid", Fails("FROM a\nRUN --security=privileged true\n").Message);

    [Fact]
    public void Run_without_a_command_is_refused_with_its_line()
    {
        var e = Fails("FROM a\n\nRUN\n");
        Assert.Equal(3, e.Line);
        Assert.Equal("Dockerfile:3: RUN requires at least one argument", e.Message);
    }

    [Fact]
    public void Run_heredocs_are_attached()
    {
        var run = Single<RunInstruction>("RUN <<EOF\necho hi\nEOF");
        var h = Assert.Single(run.Heredocs);
        Assert.Equal("EOF", h.Name);
        Assert.Equal("echo hi\n", h.Content);
        Assert.Equal(["<<EOF"], run.Command.Arguments);
        Assert.Equal(2, run.StartLine);
        Assert.Equal(4, run.EndLine);
    }

    [Fact]
    public void Cmd_and_entrypoint_keep_shell_or_exec_form()
    {
        var m = Model("FROM a\nCMD [\"--help\"]\nENTRYPOINT exec app\n");
        var cmd = Assert.IsType<CmdInstruction>(m.Stages[0].Instructions[0]);
        var ep = Assert.IsType<EntrypointInstruction>(m.Stages[0].Instructions[1]);
        Assert.True(cmd.Command.IsExecForm);
        Assert.Equal(["--help"], cmd.Command.Arguments);
        Assert.False(ep.Command.IsExecForm);
        Assert.Equal(["exec app"], ep.Command.Arguments);
    }

    [Fact]
    public void Empty_cmd_is_allowed() => Assert.Empty(Single<CmdInstruction>("CMD").Command.Arguments);

    [Fact]
    public void Shell_takes_a_json_array() =>
        Assert.Equal(["/bin/bash", "-c"], Single<ShellInstruction>("SHELL [\"/bin/bash\", \"-c\"]").Shell);

    [Fact]
    public void Shell_in_plain_form_is_refused() =>
        Assert.Contains("SHELL requires the arguments to be in JSON form", Fails("FROM a\nSHELL /bin/bash -c\n").Message);

    [Fact]
    public void Env_pairs_keep_raw_values_in_both_forms()
    {
        var env = Single<EnvInstruction>("ENV A=1 B=\"two words\" C=$A");
        Assert.Equal([new KeyValue("A", "1", false), new KeyValue("B", "\"two words\"", false), new KeyValue("C", "$A", false)], env.Variables);
        var legacy = Single<EnvInstruction>("ENV PATH /usr/bin:$PATH");
        Assert.Equal(new KeyValue("PATH", "/usr/bin:$PATH", true), Assert.Single(legacy.Variables));
    }

    [Fact]
    public void Env_without_a_value_is_refused_with_its_line()
    {
        var e = Fails("FROM a\nENV PATH\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("ENV must have two arguments", e.Message);
    }

    [Fact]
    public void Env_without_arguments_is_refused() => Assert.Contains("ENV requires at least one argument", Fails("FROM a\nENV\n").Message);

    [Fact]
    public void Env_with_a_blank_name_is_refused() => Assert.Contains("ENV names can not be blank", Fails("FROM a\nENV =x\n").Message);

    [Fact]
    public void Env_word_without_equals_after_a_pair_is_refused() =>
        Assert.Contains("can't find = in \"b\"", Fails("FROM a\nENV a=1 b\n").Message);

    [Fact]
    public void Label_pairs_are_read() =>
        Assert.Equal([new KeyValue("a", "1", false), new KeyValue("\"b c\"", "2", false)], Single<LabelInstruction>("LABEL a=1 \"b c\"=2").Labels);

    [Fact]
    public void Maintainer_keeps_the_whole_text() => Assert.Equal("Jane Doe <j@x>", Single<MaintainerInstruction>("MAINTAINER Jane Doe <j@x>").Maintainer);

    [Fact]
    public void Expose_keeps_raw_words_in_order() => Assert.Equal(["8080/tcp", "53/udp", "$P"], Single<ExposeInstruction>("EXPOSE 8080/tcp 53/udp $P").Ports);

    [Fact]
    public void Expose_without_ports_is_refused() => Assert.Contains("EXPOSE requires at least one argument", Fails("FROM a\nEXPOSE\n").Message);

    [Fact]
    public void Copy_reads_all_its_flags()
    {
        var c = Single<CopyInstruction>("COPY --from=build --chown=1000:1000 --chmod=755 --link --parents --exclude=*.md --exclude=tmp a b /dst/");
        Assert.Equal(["a", "b"], c.Sources);
        Assert.Equal("/dst/", c.Destination);
        Assert.Equal("build", c.From);
        Assert.Equal("1000:1000", c.Chown);
        Assert.Equal("755", c.Chmod);
        Assert.True(c.Link);
        Assert.True(c.Parents);
        Assert.Equal(["*.md", "tmp"], c.Excludes);
        Assert.False(c.IsJsonForm);
    }

    [Fact]
    public void Copy_json_form_allows_spaces_in_paths()
    {
        var c = Single<CopyInstruction>("COPY [\"my file\", \"/dst dir/\"]");
        Assert.True(c.IsJsonForm);
        Assert.Equal(["my file"], c.Sources);
        Assert.Equal("/dst dir/", c.Destination);
    }

    [Fact]
    public void Copy_heredoc_sources_become_inline_files()
    {
        var c = Single<CopyInstruction>("COPY <<one <<-'two' /dst/\nfirst\none\n\tsecond $X\ntwo");
        Assert.Empty(c.Sources);
        Assert.Equal([new InlineSource("one", "first\n", true), new InlineSource("two", "second $X\n", false)], c.InlineSources);
    }

    [Fact]
    public void Copy_with_a_heredoc_destination_is_refused() =>
        Assert.Contains("COPY cannot accept a heredoc as a destination", Fails("FROM a\nCOPY x <<EOF\nEOF\n").Message);

    [Fact]
    public void Copy_with_one_argument_is_refused() =>
        Assert.Contains("COPY requires at least two arguments, but only one was provided. Destination could not be determined", Fails("FROM a\nCOPY x\n").Message);

    [Fact]
    public void Copy_with_a_checksum_flag_is_refused_naming_the_instruction() =>
        Assert.Contains("COPY: unknown flag: --checksum", Fails("FROM a\nCOPY --checksum=sha256:x a b\n").Message);

    [Fact]
    public void Add_reads_its_flags()
    {
        var a = Single<AddInstruction>("ADD --checksum=sha256:abc --keep-git-dir=false --unpack --chown=app --exclude=x https://example.com/a.tgz /opt/");
        Assert.Equal("sha256:abc", a.Checksum);
        Assert.False(a.KeepGitDir);
        Assert.True(a.Unpack);
        Assert.Equal("app", a.Chown);
        Assert.Equal(["x"], a.Excludes);
        Assert.Equal(["https://example.com/a.tgz"], a.Sources);
        Assert.Null(Single<AddInstruction>("ADD a /b").KeepGitDir);
    }

    [Fact]
    public void Add_with_a_from_flag_is_refused() => Assert.Contains("ADD: unknown flag: --from", Fails("FROM a\nADD --from=x a b\n").Message);

    [Fact]
    public void Unknown_flag_is_refused_with_a_suggestion_and_its_line()
    {
        var e = Fails("FROM a\nRUN --mout=type=cache,target=/x true\n");
        Assert.Equal(2, e.Line);
        Assert.Equal("Dockerfile:2: RUN: unknown flag: --mout (did you mean --mount?)", e.Message);
    }

    [Fact]
    public void Flag_on_an_instruction_without_flags_is_refused() =>
        Assert.Contains("WORKDIR: unknown flag: --foo (WORKDIR takes no flags)", Fails("FROM a\nWORKDIR --foo /x\n").Message);

    [Fact]
    public void Duplicate_string_flag_is_refused() =>
        Assert.Contains("duplicate flag specified: --from", Fails("FROM a\nCOPY --from=a --from=b x y\n").Message);

    [Fact]
    public void Bool_flag_with_a_bad_value_is_refused() =>
        Assert.Contains("expecting boolean value for flag --link, not: maybe", Fails("FROM a\nCOPY --link=maybe x y\n").Message);

    [Fact]
    public void String_flag_without_a_value_is_refused() =>
        Assert.Contains("missing a value on flag: --from", Fails("FROM a\nCOPY --from x y\n").Message);

    [Fact]
    public void Workdir_user_and_stopsignal_take_one_argument()
    {
        var m = Model("FROM a\nWORKDIR /app dir\nUSER app:app\nSTOPSIGNAL SIGTERM\n");
        Assert.Equal("/app dir", Assert.IsType<WorkdirInstruction>(m.Stages[0].Instructions[0]).Path);
        Assert.Equal("app:app", Assert.IsType<UserInstruction>(m.Stages[0].Instructions[1]).User);
        Assert.Equal("SIGTERM", Assert.IsType<StopSignalInstruction>(m.Stages[0].Instructions[2]).Signal);
    }

    [Theory]
    [InlineData("WORKDIR")]
    [InlineData("USER")]
    [InlineData("STOPSIGNAL")]
    [InlineData("MAINTAINER")]
    public void Instruction_needing_exactly_one_argument_refuses_none(string keyword) =>
        Assert.Contains($"{keyword} requires exactly one argument", Fails($"FROM a\n{keyword}\n").Message);

    [Fact]
    public void Arg_accepts_several_names_with_and_without_defaults() =>
        Assert.Equal([new ArgDefinition("a", "1"), new ArgDefinition("b", null), new ArgDefinition("c", "\"x y\"")], Single<ArgInstruction>("ARG a=1 b c=\"x y\"").Args);

    [Fact]
    public void Arg_with_an_empty_name_is_refused() => Assert.Contains("ARG names can not be blank", Fails("ARG =1\nFROM a\n").Message);

    [Fact]
    public void Arg_without_names_is_refused() => Assert.Contains("ARG requires at least one argument", Fails("FROM a\nARG\n").Message);

    [Fact]
    public void Volume_accepts_json_and_plain_forms()
    {
        var m = Model("FROM a\nVOLUME [\"/data\", \"/logs\"]\nVOLUME /a /b\n");
        var json = Assert.IsType<VolumeInstruction>(m.Stages[0].Instructions[0]);
        var plain = Assert.IsType<VolumeInstruction>(m.Stages[0].Instructions[1]);
        Assert.True(json.IsJsonForm);
        Assert.Equal(["/data", "/logs"], json.Paths);
        Assert.Equal(["/a", "/b"], plain.Paths);
    }

    [Fact]
    public void Volume_with_an_empty_path_is_refused() =>
        Assert.Contains("VOLUME specified can not be an empty string", Fails("FROM a\nVOLUME [\"\"]\n").Message);

    [Fact]
    public void Healthcheck_none_disables_the_check()
    {
        var h = Single<HealthcheckInstruction>("HEALTHCHECK NONE");
        Assert.Equal(HealthcheckKind.None, h.Kind);
        Assert.Equal(["NONE"], h.Test);
    }

    [Fact]
    public void Healthcheck_cmd_reads_go_durations_and_retries()
    {
        var h = Single<HealthcheckInstruction>("HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --start-interval=1.5s --retries=3 CMD curl -f http://localhost/");
        Assert.Equal(HealthcheckKind.CmdShell, h.Kind);
        Assert.Equal(["CMD-SHELL", "curl -f http://localhost/"], h.Test);
        Assert.Equal(TimeSpan.FromSeconds(90), h.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), h.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(2), h.StartPeriod);
        Assert.Equal(TimeSpan.FromSeconds(1.5), h.StartInterval);
        Assert.Equal(3, h.Retries);
    }

    [Fact]
    public void Healthcheck_exec_form_is_cmd()
    {
        var h = Single<HealthcheckInstruction>("HEALTHCHECK CMD [\"/bin/check\", \"-q\"]");
        Assert.Equal(HealthcheckKind.Cmd, h.Kind);
        Assert.Equal(["CMD", "/bin/check", "-q"], h.Test);
        Assert.Null(h.Interval);
        Assert.Null(h.Retries);
    }

    [Fact]
    public void Healthcheck_with_a_bad_duration_is_refused() =>
        Assert.Contains("--interval: time: invalid duration \"5 minutes\"", Fails("FROM a\nHEALTHCHECK --interval=\"5 minutes\" CMD true\n").Message);

    [Fact]
    public void Healthcheck_with_a_sub_millisecond_interval_is_refused() =>
        Assert.Contains("Interval \"timeout\" cannot be less than 1ms", Fails("FROM a\nHEALTHCHECK --timeout=10us CMD true\n").Message);

    [Fact]
    public void Healthcheck_with_negative_retries_is_refused() =>
        Assert.Contains("--retries cannot be negative (-1)", Fails("FROM a\nHEALTHCHECK --retries=-1 CMD true\n").Message);

    [Fact]
    public void Healthcheck_with_non_numeric_retries_is_refused() =>
        Assert.Contains("invalid syntax", Fails("FROM a\nHEALTHCHECK --retries=three CMD true\n").Message);

    [Fact]
    public void Healthcheck_none_with_arguments_is_refused() =>
        Assert.Contains("HEALTHCHECK NONE takes no arguments", Fails("FROM a\nHEALTHCHECK NONE x\n").Message);

    [Fact]
    public void Healthcheck_with_an_unknown_type_is_refused() =>
        Assert.Contains("Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)", Fails("FROM a\nHEALTHCHECK CONNECT tcp\n").Message);

    [Fact]
    public void Healthcheck_cmd_without_a_command_is_refused() =>
        Assert.Contains("Missing command after HEALTHCHECK CMD", Fails("FROM a\nHEALTHCHECK CMD\n").Message);

    [Fact]
    public void Onbuild_wraps_a_typed_trigger()
    {
        var o = Single<OnBuildInstruction>("ONBUILD RUN --network=none make");
        var run = Assert.IsType<RunInstruction>(o.Trigger);
        Assert.Equal(NetworkMode.None, run.Network);
        Assert.Equal("RUN --network=none make", o.Expression);
        Assert.Equal(2, run.StartLine);
    }

    [Fact]
    public void Onbuild_copy_heredoc_keeps_its_body_in_the_expression()
    {
        var o = Single<OnBuildInstruction>("ONBUILD COPY <<EOF /f\nhello\nEOF");
        Assert.Equal("COPY <<EOF /f\nhello\nEOF", o.Expression);
        Assert.Equal([new InlineSource("EOF", "hello\n", true)], Assert.IsType<CopyInstruction>(o.Trigger).InlineSources);
    }

    [Fact]
    public void Onbuild_from_is_refused_with_its_line()
    {
        var e = Fails("FROM a\nRUN x\nONBUILD FROM b\n");
        Assert.Equal(3, e.Line);
        Assert.Equal("Dockerfile:3: FROM isn't allowed as an ONBUILD trigger", e.Message);
    }

    [Fact]
    public void Onbuild_maintainer_is_refused() => Assert.Contains("MAINTAINER isn't allowed as an ONBUILD trigger", Fails("FROM a\nONBUILD maintainer me\n").Message);

    [Fact]
    public void Onbuild_onbuild_is_refused() => Assert.Contains("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", Fails("FROM a\nONBUILD ONBUILD RUN x\n").Message);

    [Fact]
    public void Onbuild_without_a_trigger_is_refused() => Assert.Contains("ONBUILD requires at least one argument", Fails("FROM a\nONBUILD\n").Message);

    [Fact]
    public void Unknown_instruction_is_refused_with_a_suggestion_and_its_line()
    {
        var e = Fails("FROM a\n\nRUNN make\n");
        Assert.Equal(3, e.Line);
        Assert.Equal("Dockerfile:3: unknown instruction: RUNN (did you mean RUN?)", e.Message);
    }

    [Fact]
    public void Unknown_instruction_suggestion_follows_the_case_written() =>
        Assert.Contains("unknown instruction: cpy (did you mean copy?)", Fails("FROM a\ncpy a b\n").Message);

    [Fact]
    public void Unknown_instruction_far_from_any_keyword_gets_no_suggestion() =>
        Assert.Equal("Dockerfile:2: unknown instruction: FROBNICATE", Fails("FROM a\nFROBNICATE\n").Message);

    [Fact]
    public void Instruction_before_the_first_from_is_refused()
    {
        var e = Fails("ARG X\nRUN true\nFROM a\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("Dockerfile must begin with FROM or ARG", e.Message);
    }

    [Fact]
    public void Dockerfile_with_only_args_has_no_stage() => Assert.Contains("no FROM instruction", Fails("ARG X\n").Message);

    [Fact]
    public void Error_message_uses_the_file_name_given() =>
        Assert.StartsWith("build.Dockerfile:1: ", Assert.Throws<DockerfileSyntaxException>(() => DockerfileModel.Parse("RUNN\n", "build.Dockerfile")).Message);

    [Fact]
    public void Each_instruction_carries_its_line_range_and_original_text()
    {
        var m = Model("FROM a\nRUN echo a \\\n  b\nENV X=1\n");
        var run = m.Stages[0].Instructions[0];
        Assert.Equal((2, 3), (run.StartLine, run.EndLine));
        Assert.Equal("RUN echo a   b", run.Original);
        Assert.Equal("RUN", run.Keyword);
        Assert.Equal((4, 4), (m.Stages[0].Instructions[1].StartLine, m.Stages[0].Instructions[1].EndLine));
    }

    [Fact]
    public void Continuation_at_end_of_file_is_accepted_as_buildkit_does()
    {
        var run = Single<RunInstruction>("RUN echo \\");
        Assert.Equal(["echo"], run.Command.Arguments);
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("0", 0)]
    [InlineData("-2s", -2000)]
    [InlineData(".5s", 500)]
    public void Go_durations_parse(string text, long milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GoDuration.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("s")]
    [InlineData("1d")]
    [InlineData("1.s.")]
    [InlineData("99999999999999999999h")]
    public void Bad_go_durations_are_refused(string text) => Assert.False(GoDuration.TryParse(text, out _));
}
