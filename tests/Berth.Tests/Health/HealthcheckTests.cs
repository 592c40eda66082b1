using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.Tests.Containers;
using Berth.Tests.Support;

namespace Berth.Tests.Health;

/// <summary>Healthchecks end to end on real runc: states, results, timeouts, start periods, ps and inspect, and no probe left behind.</summary>
public class HealthcheckTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    async Task<JsonObject> InspectAsync(string name) => JsonNode.Parse(await bb.OkAsync("inspect", name))!.AsArray()[0]!.AsObject();

    async Task<JsonObject?> HealthAsync(string name) => (await InspectAsync(name))["State"]!["Health"]?.AsObject();

    /// <summary>Polls until the container's health satisfies <paramref name="condition"/>; fails with the last state seen.</summary>
    async Task<JsonObject> WaitForHealthAsync(string name, Func<JsonObject, bool> condition)
    {
        var watch = Stopwatch.StartNew();
        JsonObject? last = null;
        while (watch.Elapsed < Deadline)
        {
            last = await HealthAsync(name);
            if (last is not null && condition(last)) return last;
            await Task.Delay(200);
        }
        Assert.Fail($"health of {name} never got there; last: {last?.ToJsonString() ?? "none"}");
        return null!;
    }

    static string Status(JsonObject health) => (string)health["Status"]!;
    static JsonArray Log(JsonObject health) => health["Log"]!.AsArray();

    async Task<string> NamesAsync(params string[] filter) =>
        string.Join(' ', (await bb.OkAsync(["ps", "-a", "--format", "{{.Names}}", .. filter])).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());

    async Task<string> PsStatusAsync(string name) => (await bb.OkAsync("ps", "-a", "--filter", "name=^" + name + "$", "--format", "{{.Status}}")).Trim();

    /// <summary>Live (not zombie) processes whose command line names the container: its timer shell, a tick, a probe's runtime.</summary>
    static List<string> ProbeProcesses(string id)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId) continue;
            try
            {
                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (!cmdline.Contains(id, StringComparison.Ordinal) || !(cmdline.Contains("berth-healthcheck") || cmdline.Contains("health-tick"))) continue;
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) continue;
                found.Add($"{pid}: {cmdline}");
            }
            catch (IOException) { }
        }
        return found;
    }

    /// <summary>The timer shells of <paramref name="id"/> that are not a fork of another one (the loop's `$(…)` subshell has its command line).</summary>
    static List<string> TimerShells(string id)
    {
        var timers = ProbeProcesses(id).Where(p => p.Contains("berth-healthcheck")).ToList();
        var pids = timers.Select(t => t[..t.IndexOf(':')]).ToHashSet();
        return timers.Where(t =>
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{t[..t.IndexOf(':')]}/stat");
                return !pids.Contains(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (IOException) { return false; } // gone meanwhile: a subshell that finished
        }).ToList();
    }

    /// <summary>
    /// The timer runs: looked for again for a moment, as a timer caught between its execs (sh, setsid, the loop's sh) can
    /// show no command line in /proc (seen under the full suite's load). What was seen is asserted, not a fresh look, which
    /// can fall in such a gap just after one that did not (a CI failure).
    /// </summary>
    static async Task AssertProbeProcessesAsync(string id)
    {
        var watch = Stopwatch.StartNew();
        List<string> seen;
        while ((seen = ProbeProcesses(id)).Count == 0 && watch.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(20);
        Assert.NotEmpty(seen);
    }

    /// <summary>
    /// How many timer shells the container has: the most seen in a few looks once one was seen, as a timer caught between
    /// its execs can show no command line (a fresh-clone failure found none right after a restart).
    /// </summary>
    static async Task<int> TimerShellCountAsync(string id)
    {
        var watch = Stopwatch.StartNew();
        int most;
        while ((most = TimerShells(id).Count) == 0 && watch.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(20);
        for (int look = 0; look < 10 && most > 0; look++)
        {
            await Task.Delay(20);
            most = Math.Max(most, TimerShells(id).Count);
        }
        return most;
    }

    async Task AssertNoProbeProcessesAsync(string id)
    {
        // The stop signals the timer's process group and waits for the shell; its children may take a moment to go.
        var watch = Stopwatch.StartNew();
        while (ProbeProcesses(id).Count > 0 && watch.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(100);
        Assert.Empty(ProbeProcesses(id));
    }

    [Fact]
    public async Task A_passing_check_makes_the_container_healthy_with_results_in_inspect_ps_and_the_health_filter()
    {
        string id = (await bb.OkAsync("run", "-d", "--name", "hc-pass", "--network", "none", "--health-cmd", "echo ok; echo err >&2",
            "--health-interval", "1s", "bb", "sleep", "1000")).Trim();
        await AssertProbeProcessesAsync(id);
        var health = await WaitForHealthAsync("hc-pass", h => Status(h) == "healthy");
        Assert.Equal(0, (int)health["FailingStreak"]!);
        var entry = Log(health)[0]!.AsObject();
        Assert.Equal(["Start", "End", "ExitCode", "Output"], entry.Select(p => p.Key));
        Assert.Equal(0, (int)entry["ExitCode"]!);
        Assert.Contains("ok\n", (string)entry["Output"]!);
        Assert.Contains("err\n", (string)entry["Output"]!);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", (string)entry["Start"]!);
        Assert.True(DateTimeOffset.Parse((string)entry["End"]!) >= DateTimeOffset.Parse((string)entry["Start"]!));

        var config = (await InspectAsync("hc-pass"))["Config"]!["Healthcheck"]!;
        Assert.Equal("""["CMD-SHELL","echo ok; echo err \u003E\u00262"]""", config["Test"]!.ToJsonString());
        Assert.Equal(1_000_000_000L, (long)config["Interval"]!);

        Assert.Matches(@"^Up .* \(healthy\)$", await PsStatusAsync("hc-pass"));
        Assert.Contains("hc-pass", await NamesAsync("--filter", "health=healthy"));
        Assert.DoesNotContain("hc-pass", await NamesAsync("--filter", "health=starting"));
        Assert.DoesNotContain("hc-pass", await NamesAsync("--filter", "health=none"));

        // At most five results are kept.
        health = await WaitForHealthAsync("hc-pass", h => Log(h).Count == 5 && (string)Log(h)[0]!["Start"]! != (string)entry["Start"]!);
        Assert.Equal(5, Log(health).Count);

        await bb.OkAsync("rm", "-f", "hc-pass");
        await AssertNoProbeProcessesAsync(id);
    }

    [Fact]
    public async Task A_failing_check_makes_the_container_unhealthy_after_the_retries()
    {
        string id = (await bb.OkAsync("run", "-d", "--name", "hc-fail", "--network", "none", "--health-cmd", "echo broken; exit 3",
            "--health-interval", "1s", "--health-retries", "2", "bb", "sleep", "1000")).Trim();
        var health = await WaitForHealthAsync("hc-fail", h => Status(h) != "starting");
        Assert.Equal("unhealthy", Status(health));
        Assert.Equal(2, (int)health["FailingStreak"]!);
        Assert.Equal(2, Log(health).Count);
        Assert.All(Log(health), e =>
        {
            Assert.Equal(3, (int)e!["ExitCode"]!);
            Assert.Equal("broken\n", (string)e["Output"]!);
        });
        Assert.Matches(@"^Up .* \(unhealthy\)$", await PsStatusAsync("hc-fail"));
        Assert.Contains("hc-fail", await NamesAsync("--filter", "health=unhealthy"));

        // The streak keeps counting while it fails.
        await WaitForHealthAsync("hc-fail", h => (int)h["FailingStreak"]! >= 3);

        var run = await bb.CliAsync("healthcheck", "run", "hc-fail");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("unhealthy\n", run.Stdout);

        await bb.OkAsync("stop", "-t", "0", "hc-fail");
        await AssertNoProbeProcessesAsync(id);
        Assert.Equal("unhealthy", Status((await HealthAsync("hc-fail"))!));
        await bb.OkAsync("rm", "hc-fail");
    }

    [Fact]
    public async Task A_probe_that_exceeds_its_timeout_is_killed_and_counts_as_a_failure()
    {
        await bb.OkAsync("run", "-d", "--name", "hc-slow", "--network", "none", "--health-cmd", "echo waiting; sleep 600",
            "--health-interval", "1s", "--health-timeout", "1s", "--health-retries", "1", "bb", "sleep", "1000");
        var health = await WaitForHealthAsync("hc-slow", h => Status(h) == "unhealthy");
        var entry = Log(health)[0]!;
        Assert.Equal(-1, (int)entry["ExitCode"]!);
        Assert.Equal("Health check exceeded timeout (1s): waiting\n", (string)entry["Output"]!);
        // The killed probe is gone from the container: only its init's sleep (and an in-flight probe's) remain.
        var top = await bb.OkAsync("exec", "hc-slow", "ps", "-o", "args");
        Assert.True(top.Split('\n').Count(l => l.Contains("sleep 600")) <= 1, top);
        await bb.OkAsync("rm", "-f", "hc-slow");
    }

    [Fact]
    public async Task Failures_inside_the_start_period_do_not_count_and_the_container_stays_starting()
    {
        await bb.OkAsync("run", "-d", "--name", "hc-period", "--network", "none", "--health-cmd", "exit 1", "--health-interval", "1s",
            "--health-start-period", "1h", "--health-start-interval", "1s", "--health-retries", "1", "bb", "sleep", "1000");
        var health = await WaitForHealthAsync("hc-period", h => Log(h).Count >= 2);
        Assert.Equal("starting", Status(health));
        Assert.Equal(0, (int)health["FailingStreak"]!);
        Assert.Matches(@"^Up .* \(health: starting\)$", await PsStatusAsync("hc-period"));
        Assert.Contains("hc-period", await NamesAsync("--filter", "health=starting"));
        await bb.OkAsync("rm", "-f", "hc-period");
    }

    [Fact]
    public async Task Healthcheck_run_probes_now_and_restart_begins_again_with_starting()
    {
        string id = (await bb.OkAsync("run", "-d", "--name", "hc-manual", "--network", "none", "--health-cmd", "test ! -e /tmp/bad",
            "--health-interval", "1h", "bb", "sleep", "1000")).Trim();
        Assert.Equal("starting", Status((await HealthAsync("hc-manual"))!));
        Assert.Equal("Up", (await PsStatusAsync("hc-manual")).Split(' ')[0]);
        Assert.EndsWith("(health: starting)", await PsStatusAsync("hc-manual"));

        var run = await bb.CliAsync("healthcheck", "run", "hc-manual");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Equal("healthy", Status((await HealthAsync("hc-manual"))!));

        await bb.OkAsync("restart", "-t", "0", "hc-manual");
        var health = (await HealthAsync("hc-manual"))!;
        Assert.Equal("starting", Status(health));
        Assert.Single(Log(health));
        Assert.Equal(1, await TimerShellCountAsync(id));

        // Paused: refused by `healthcheck run`, and the timer does not probe it.
        await bb.OkAsync("pause", "hc-manual");
        var paused = await bb.CliAsync("healthcheck", "run", "hc-manual");
        Assert.Equal(125, paused.ExitCode);
        Assert.Contains("is paused", paused.Stderr);
        await bb.OkAsync("unpause", "hc-manual");

        await bb.OkAsync("exec", "hc-manual", "touch", "/tmp/bad");
        Assert.Equal(1, (await bb.CliAsync("healthcheck", "run", "hc-manual")).ExitCode);
        Assert.Equal(1, (int)(await HealthAsync("hc-manual"))!["FailingStreak"]!);

        var none = await bb.CliAsync("healthcheck", "run", (await bb.OkAsync("create", "bb", "true")).Trim());
        Assert.Equal(125, none.ExitCode);
        Assert.Contains("has no defined healthcheck", none.Stderr);

        await bb.OkAsync("stop", "-t", "0", "hc-manual");
        await AssertNoProbeProcessesAsync(id);
        var stopped = await bb.CliAsync("healthcheck", "run", "hc-manual");
        Assert.Equal(125, stopped.ExitCode);
        Assert.Contains("is not running", stopped.Stderr);
    }

    [Fact]
    public async Task A_paused_container_is_not_probed()
    {
        await bb.OkAsync("run", "-d", "--name", "hc-pause", "--network", "none", "--health-cmd", "true", "--health-interval", "1s", "bb", "sleep", "1000");
        await WaitForHealthAsync("hc-pause", h => Status(h) == "healthy");
        await bb.OkAsync("pause", "hc-pause");
        var pausedAt = DateTimeOffset.UtcNow;
        await Task.Delay(3000);
        var health = (await HealthAsync("hc-pause"))!;
        Assert.All(Log(health), e => Assert.True(DateTimeOffset.Parse((string)e!["Start"]!) < pausedAt, e!.ToJsonString()));
        Assert.Equal("Up", (await PsStatusAsync("hc-pause")).Split(' ')[0]);
        Assert.EndsWith("(Paused)", await PsStatusAsync("hc-pause"));
        await bb.OkAsync("unpause", "hc-pause");
        await WaitForHealthAsync("hc-pause", h => Log(h).Any(e => DateTimeOffset.Parse((string)e!["Start"]!) > pausedAt));
        await bb.OkAsync("rm", "-f", "hc-pause");
    }

    [Fact]
    public async Task The_image_healthcheck_runs_and_no_healthcheck_or_HEALTHCHECK_NONE_turn_it_off()
    {
        using var context = new TempDirectory();
        File.WriteAllText(Path.Combine(context.Path, "Dockerfile"), "FROM bb\nHEALTHCHECK --interval=1s --retries=5 CMD [\"sh\", \"-c\", \"echo from-image\"]\n");
        await bb.OkAsync("build", "-q", "-t", "bb-health", context.Path);
        File.WriteAllText(Path.Combine(context.Path, "Dockerfile"), "FROM bb-health\nHEALTHCHECK NONE\n");
        await bb.OkAsync("build", "-q", "-t", "bb-nohealth", context.Path);

        await bb.OkAsync("run", "-d", "--name", "hc-image", "--network", "none", "bb-health", "sleep", "1000");
        var health = await WaitForHealthAsync("hc-image", h => Status(h) == "healthy");
        Assert.Equal("from-image\n", (string)Log(health)[0]!["Output"]!);
        var config = (await InspectAsync("hc-image"))["Config"]!["Healthcheck"]!;
        Assert.Equal("""["CMD","sh","-c","echo from-image"]""", config["Test"]!.ToJsonString());
        Assert.Equal(5, (int)config["Retries"]!);

        // Flags override single fields; the rest comes from the image.
        await bb.OkAsync("create", "--name", "hc-merged", "--health-retries", "2", "bb-health", "true");
        config = (await InspectAsync("hc-merged"))["Config"]!["Healthcheck"]!;
        Assert.Equal("""{"Test":["CMD","sh","-c","echo from-image"],"Interval":1000000000,"Retries":2}""", config.ToJsonString());
        Assert.Contains("hc-merged", await NamesAsync("--filter", "health=none"));

        string off = (await bb.OkAsync("run", "-d", "--name", "hc-off", "--network", "none", "--no-healthcheck", "bb-health", "sleep", "1000")).Trim();
        string none = (await bb.OkAsync("run", "-d", "--name", "hc-none", "--network", "none", "bb-nohealth", "sleep", "1000")).Trim();
        foreach (var (name, id) in new[] { ("hc-off", off), ("hc-none", none) })
        {
            var inspect = await InspectAsync(name);
            Assert.Equal("""["NONE"]""", inspect["Config"]!["Healthcheck"]!["Test"]!.ToJsonString());
            Assert.Null(inspect["State"]!["Health"]);
            Assert.Matches(@"^Up [^(]*$", await PsStatusAsync(name));
            Assert.Empty(ProbeProcesses(id));
        }
        Assert.Equal("hc-none hc-off", await NamesAsync("--filter", "health=none", "--filter", "name=hc-(off|none)"));

        var conflict = await bb.CliAsync("run", "--no-healthcheck", "--health-cmd", "true", "bb", "true");
        Assert.Equal(125, conflict.ExitCode);
        Assert.Contains("--no-healthcheck conflicts with --health-* options", conflict.Stderr);
        var negative = await bb.CliAsync("create", "--health-interval", "-1s", "bb", "true");
        Assert.Contains("--health-interval cannot be negative", negative.Stderr);

        foreach (var name in new[] { "hc-image", "hc-merged", "hc-off", "hc-none" }) await bb.OkAsync("rm", "-f", name);
    }

    [Fact]
    public async Task No_probe_process_is_left_after_stop_rm_or_an_rm_container_exit()
    {
        string stopped = (await bb.OkAsync("run", "-d", "--name", "hc-stop", "--network", "none", "--health-cmd", "true", "--health-interval", "1s", "bb", "sleep", "1000")).Trim();
        string removed = (await bb.OkAsync("run", "-d", "--name", "hc-rmf", "--network", "none", "--health-cmd", "true", "--health-interval", "1s", "bb", "sleep", "1000")).Trim();
        string exits = (await bb.OkAsync("run", "-d", "--rm", "--name", "hc-rm", "--network", "none", "--health-cmd", "true", "--health-interval", "1s", "bb", "sleep", "3")).Trim();
        foreach (var id in new[] { stopped, removed, exits }) await AssertProbeProcessesAsync(id);
        await WaitForHealthAsync("hc-stop", h => Status(h) == "healthy");

        await bb.OkAsync("stop", "-t", "0", "hc-stop");
        await AssertNoProbeProcessesAsync(stopped);
        await bb.OkAsync("rm", "-f", "hc-rmf");
        await AssertNoProbeProcessesAsync(removed);
        var watch = Stopwatch.StartNew();
        while (bb.Store.Engine.Containers.TryGet(exits) is not null && watch.Elapsed < Deadline) await Task.Delay(100);
        Assert.Null(bb.Store.Engine.Containers.TryGet(exits));
        await AssertNoProbeProcessesAsync(exits);

        // Removed at once after the start: the timer may not have reached its loop yet.
        string quick = (await bb.OkAsync("run", "-d", "--network", "none", "--health-cmd", "true", "--health-interval", "1s", "bb", "sleep", "1000")).Trim();
        await bb.OkAsync("rm", "-f", quick);
        await AssertNoProbeProcessesAsync(quick);

        // Start begins the checks again, and `system prune` of the stopped container leaves nothing behind.
        await bb.OkAsync("start", "hc-stop");
        await AssertProbeProcessesAsync(stopped);
        await bb.OkAsync("stop", "-t", "0", "hc-stop");
        await bb.OkAsync("system", "prune", "-f");
        Assert.Null(bb.Store.Engine.Containers.TryGet(stopped));
        await AssertNoProbeProcessesAsync(stopped);
    }
}
