using Berth.Engine.Dockerfile.Expansion;

namespace Berth.Tests.Dockerfile.Expansion;

public class BuildArgScopeTests
{
    private static readonly BuildPlatformArgs Platforms = new("linux/arm/v7", "linux/amd64");

    private static BuildArgScope Scope(params (string, string)[] buildArgs)
        => new(buildArgs.ToDictionary(p => p.Item1, p => p.Item2), Platforms);

    private static string Get(IExpansionEnvironment env, string name) => env.TryGet(name, out var v) ? v : "<unset>";

    [Fact]
    public void Global_args_are_visible_to_from_lines_but_not_inside_a_stage_until_redeclared()
    {
        var scope = Scope();
        scope.DeclareGlobal("VERSION", "1.0");
        Assert.Equal("1.0", Get(scope.GlobalEnvironment, "VERSION"));
        var stage = scope.BeginStage();
        Assert.Equal("<unset>", Get(stage, "VERSION"));
        stage.DeclareArg("VERSION", null);
        Assert.Equal("1.0", Get(stage, "VERSION"));
    }

    [Fact]
    public void Build_arg_overrides_both_the_global_and_the_stage_default()
    {
        var scope = Scope(("VERSION", "2.0"));
        scope.DeclareGlobal("VERSION", "1.0");
        Assert.Equal("2.0", Get(scope.GlobalEnvironment, "VERSION"));
        var stage = scope.BeginStage();
        stage.DeclareArg("VERSION", "3.0");
        Assert.Equal("2.0", Get(stage, "VERSION"));
    }

    [Fact]
    public void A_stage_default_wins_over_the_global_value()
    {
        var scope = Scope();
        scope.DeclareGlobal("V", "global");
        var stage = scope.BeginStage();
        stage.DeclareArg("V", "stage");
        Assert.Equal("stage", Get(stage, "V"));
    }

    [Fact]
    public void Platform_args_are_global_automatically_and_in_a_stage_only_after_arg()
    {
        var scope = Scope();
        Assert.Equal("arm", Get(scope.GlobalEnvironment, "TARGETARCH"));
        Assert.Equal("v7", Get(scope.GlobalEnvironment, "TARGETVARIANT"));
        Assert.Equal("linux/amd64", Get(scope.GlobalEnvironment, "BUILDPLATFORM"));
        var stage = scope.BeginStage();
        Assert.Equal("<unset>", Get(stage, "TARGETARCH"));
        stage.DeclareArg("TARGETARCH", null);
        Assert.Equal("arm", Get(stage, "TARGETARCH"));
    }

    [Fact]
    public void Env_overrides_an_arg_of_the_same_name_in_either_order()
    {
        var stage = Scope().BeginStage();
        stage.SetEnv("A", "env");
        stage.DeclareArg("A", "arg");
        stage.DeclareArg("B", "arg");
        stage.SetEnv("B", "env");
        Assert.Equal("env", Get(stage, "A"));
        Assert.Equal("env", Get(stage, "B"));
        Assert.Empty(stage.UsedBuildArgs());
    }

    [Fact]
    public void Arg_default_is_expanded_against_the_stage()
    {
        var stage = Scope().BeginStage();
        stage.SetEnv("BASE", "/opt");
        stage.DeclareArg("DIR", "${BASE}/app");
        Assert.Equal("/opt/app", Get(stage, "DIR"));
    }

    [Fact]
    public void Arg_without_value_or_build_arg_is_declared_but_unset()
    {
        var stage = Scope().BeginStage();
        stage.DeclareArg("X", null);
        Assert.True(stage.IsDeclared("X"));
        Assert.Equal("<unset>", Get(stage, "X"));
        Assert.Empty(stage.UsedBuildArgs());
    }

    [Fact]
    public void History_prefix_lists_used_args_sorted_and_hides_undeclared_proxy_args()
    {
        var scope = Scope(("http_proxy", "http://p"), ("B", "2"));
        var stage = scope.BeginStage();
        stage.DeclareArg("B", null);
        stage.DeclareArg("A", "1");
        Assert.Equal(["A=1", "B=2", "http_proxy=http://p"], stage.UsedBuildArgs().Select(p => p.Key + "=" + p.Value));
        Assert.Equal("|2 A=1 B=2", stage.HistoryPrefix());
    }

    [Fact]
    public void Declared_proxy_arg_appears_in_the_history_prefix()
    {
        var stage = Scope(("HTTPS_PROXY", "http://p")).BeginStage();
        stage.DeclareArg("HTTPS_PROXY", null);
        Assert.Equal("|1 HTTPS_PROXY=http://p", stage.HistoryPrefix());
    }

    [Fact]
    public void No_used_build_args_means_no_history_prefix()
        => Assert.Equal("", Scope().BeginStage().HistoryPrefix());

    [Fact]
    public void Build_args_that_no_arg_declares_are_reported_as_unconsumed()
    {
        var scope = Scope(("USED", "1"), ("UNUSED", "2"), ("no_proxy", "x"));
        scope.BeginStage().DeclareArg("USED", null);
        Assert.Equal(["UNUSED"], scope.UnconsumedBuildArgs());
    }

    [Fact]
    public void Global_default_can_reference_an_earlier_global_arg()
    {
        var scope = Scope();
        scope.DeclareGlobal("A", "x");
        scope.DeclareGlobal("B", "${A}-y");
        Assert.Equal("x-y", Get(scope.GlobalEnvironment, "B"));
    }
}
