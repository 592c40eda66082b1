using Berth.Engine;
using Berth.Engine.Services.Containers;

namespace Berth.Tests.Containers;

/// <summary>--restart values, the restart decision and Docker's back-off.</summary>
public class RestartPoliciesTests
{
    [Theory]
    [InlineData(null, "no", 0)]
    [InlineData("no", "no", 0)]
    [InlineData("always", "always", 0)]
    [InlineData("unless-stopped", "unless-stopped", 0)]
    [InlineData("on-failure", "on-failure", 0)]
    [InlineData("on-failure:5", "on-failure", 5)]
    public void Policies_parse_as_docker_names_them(string? value, string name, int retries) =>
        Assert.Equal(new ContainerRestartPolicy(name, retries), RestartPolicies.Parse(value));

    [Theory]
    [InlineData(":3", "invalid restart policy format: no policy provided before colon")]
    [InlineData("on-failure:x", "invalid restart policy format: maximum retry count must be an integer")]
    [InlineData("always:2", "invalid restart policy: maximum retry count can only be used with 'on-failure'")]
    [InlineData("no:-1", "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative")]
    [InlineData("on-failure:-1", "invalid restart policy: maximum retry count cannot be negative")]
    [InlineData("sometimes", "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'")]
    public void Bad_policies_are_refused_with_dockers_words(string value, string message) =>
        Assert.Equal(message, Assert.Throws<InvalidInputException>(() => RestartPolicies.Parse(value)).Message);

    [Fact]
    public void Who_restarts_after_which_exit()
    {
        var always = new ContainerRestartPolicy("always", 0);
        var onFailure = new ContainerRestartPolicy("on-failure", 2);
        Assert.True(RestartPolicies.ShouldRestart(always, 0, 10, stoppedByUser: false));
        Assert.False(RestartPolicies.ShouldRestart(always, 0, 0, stoppedByUser: true));
        Assert.True(RestartPolicies.ShouldRestart(new ContainerRestartPolicy("unless-stopped", 0), 1, 0, false));
        Assert.True(RestartPolicies.ShouldRestart(onFailure, 1, 1, false));
        Assert.False(RestartPolicies.ShouldRestart(onFailure, 1, 2, false));
        Assert.False(RestartPolicies.ShouldRestart(onFailure, 0, 0, false));
        Assert.True(RestartPolicies.ShouldRestart(new ContainerRestartPolicy("on-failure", 0), 137, 1000, false));
        Assert.False(RestartPolicies.ShouldRestart(ContainerRestartPolicy.None, 1, 0, false));
    }

    [Fact]
    public void The_back_off_doubles_for_short_runs_up_to_a_minute_and_resets_after_a_long_one()
    {
        var shortRun = TimeSpan.FromSeconds(1);
        Assert.Equal(TimeSpan.FromMilliseconds(100), RestartPolicies.Delay(0, shortRun));
        Assert.Equal(TimeSpan.FromMilliseconds(800), RestartPolicies.Delay(3, shortRun));
        Assert.Equal(TimeSpan.FromMinutes(1), RestartPolicies.Delay(30, shortRun));
        Assert.Equal(TimeSpan.FromMilliseconds(100), RestartPolicies.Delay(30, TimeSpan.FromSeconds(10)));
    }
}
