using Berth.Engine.Containers.Health;
using Berth.Engine.Images;
using Berth.Engine.Services.Containers;

namespace Berth.Tests.Health;

/// <summary>The pure parts: moby's result rules and schedule, Go's duration text, and the flags' merge with the image.</summary>
public class HealthStateTests
{
    static readonly DateTimeOffset Started = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static HealthcheckPolicy Policy(int retries = 3, int startPeriodSeconds = 0) =>
        HealthcheckPolicy.From(new HealthConfig { Test = ["CMD", "true"], Retries = retries, StartPeriod = startPeriodSeconds * 1_000_000_000L }, null)!;

    static HealthLogEntry Result(int exitCode, int atSecond) =>
        new(Started.AddSeconds(atSecond), Started.AddSeconds(atSecond), exitCode, "");

    [Fact]
    public void Retries_consecutive_failures_make_it_unhealthy_and_a_success_resets_the_streak()
    {
        var policy = Policy(retries: 2);
        var state = HealthState.Reset(null).Apply(Result(1, 1), Started, policy);
        Assert.Equal(("starting", 1), (state.Status, state.FailingStreak));
        state = state.Apply(Result(1, 2), Started, policy);
        Assert.Equal(("unhealthy", 2), (state.Status, state.FailingStreak));
        state = state.Apply(Result(0, 3), Started, policy);
        Assert.Equal(("healthy", 0), (state.Status, state.FailingStreak));
        state = state.Apply(Result(1, 4), Started, policy);
        Assert.Equal(("healthy", 1), (state.Status, state.FailingStreak));
    }

    [Fact]
    public void Failures_in_the_start_period_count_only_once_the_container_was_healthy()
    {
        var policy = Policy(retries: 1, startPeriodSeconds: 10);
        var state = HealthState.Reset(null).Apply(Result(1, 1), Started, policy);
        Assert.Equal(("starting", 0), (state.Status, state.FailingStreak));
        state = state.Apply(Result(0, 2), Started, policy).Apply(Result(1, 3), Started, policy);
        Assert.Equal(("unhealthy", 1), (state.Status, state.FailingStreak));
        state = HealthState.Reset(null).Apply(Result(1, 11), Started, policy);
        Assert.Equal("unhealthy", state.Status);
    }

    [Fact]
    public void Five_results_are_kept_and_a_restart_keeps_them()
    {
        var state = HealthState.Reset(null);
        for (int i = 0; i < 7; i++) state = state.Apply(Result(0, i), Started, Policy());
        Assert.Equal(Enumerable.Range(2, 5).Select(i => Started.AddSeconds(i)), state.Log.Select(e => e.Start));
        var restarted = HealthState.Reset(state);
        Assert.Equal(("starting", 0, 5), (restarted.Status, restarted.FailingStreak, restarted.Log.Count));
        Assert.Equal(state.Log, HealthState.ParseLog(state.LogJson()));
    }

    [Fact]
    public void Policy_applies_Docker_defaults_and_the_shell_for_CMD_SHELL()
    {
        var p = HealthcheckPolicy.From(new HealthConfig { Test = ["CMD-SHELL", "curl x"] }, null)!;
        Assert.Equal(["/bin/sh", "-c", "curl x"], p.Command);
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.Zero, TimeSpan.FromSeconds(5), 3),
            (p.Interval, p.Timeout, p.StartPeriod, p.StartInterval, p.Retries));
        Assert.Equal(["/bin/bash", "-ec", "x"], HealthcheckPolicy.From(new HealthConfig { Test = ["CMD-SHELL", "x"] }, ["/bin/bash", "-ec"])!.Command);
        Assert.Null(HealthcheckPolicy.From(new HealthConfig { Test = ["NONE"] }, null));
        Assert.Null(HealthcheckPolicy.From(new HealthConfig(), null));
        Assert.Null(HealthcheckPolicy.From(null, null));
    }

    [Fact]
    public void Next_delay_follows_moby_inside_and_after_the_start_period()
    {
        var p = new HealthcheckPolicy(["true"], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), 3);
        Assert.Equal(TimeSpan.FromSeconds(5), p.NextDelay(Started, Started.AddSeconds(1), "starting"));
        Assert.Equal(TimeSpan.FromSeconds(30), p.NextDelay(Started, Started.AddSeconds(1), "healthy"));
        Assert.Equal(TimeSpan.FromSeconds(10), p.NextDelay(Started, Started.AddSeconds(50), "starting"));
        Assert.Equal(TimeSpan.FromSeconds(30), p.NextDelay(Started, Started.AddSeconds(61), "starting"));
    }

    [Theory]
    [InlineData(1_000, "1s")]
    [InlineData(500, "500ms")]
    [InlineData(1_500, "1.5s")]
    [InlineData(90_000, "1m30s")]
    [InlineData(60_000, "1m0s")]
    [InlineData(7_200_000, "2h0m0s")]
    public void Durations_print_as_Go_prints_them(int milliseconds, string text) =>
        Assert.Equal(text, HealthProbe.GoDurationText(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void Flags_override_the_image_field_by_field()
    {
        var image = new HealthConfig { Test = ["CMD", "a"], Interval = 5, Timeout = 6, Retries = 7 };
        Assert.Same(image, new HealthcheckOptions().Resolve(image));
        Assert.Equal(image with { Interval = 2_000_000_000 }, new HealthcheckOptions { Interval = "2s" }.Resolve(image));
        var cmd = new HealthcheckOptions { Cmd = "b" }.Resolve(image)!;
        Assert.Equal(["CMD-SHELL", "b"], cmd.Test);
        Assert.Equal(["NONE"], new HealthcheckOptions { Disable = true }.Resolve(image)!.Test);
        Assert.Throws<Berth.Engine.InvalidInputException>(() => new HealthcheckOptions { Retries = -1 }.Resolve(null));
        Assert.Throws<Berth.Engine.InvalidInputException>(() => new HealthcheckOptions { Timeout = "x" }.Resolve(null));
    }
}
