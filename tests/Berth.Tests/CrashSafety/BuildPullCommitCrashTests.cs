using System.Diagnostics;
using Berth.Engine.Content;
using Berth.Tests.Registry;
using Berth.Tests.RegistryService;
using Berth.Tests.Runtime;
using Xunit.Abstractions;

namespace Berth.Tests.CrashSafety;

/// <summary>
/// SIGKILLs the real `berth` binary at seeded random moments during `build` (RUN and a COPY of a few MB), `pull` from a
/// docker-registry on 127.0.0.1 and `commit` of a stopped container. After every kill: no damage, the stable images
/// complete, and the same command run again succeeds with a complete image.
/// </summary>
[Collection("berth processes")]
public class BuildPullCommitCrashTests(PlainRegistryFixture fixture, ITestOutputHelper output) : IClassFixture<PlainRegistryFixture>
{
    const int Iterations = 10;

    [Fact]
    public async Task A_killed_build_leaves_no_damage_and_builds_again()
    {
        TestContainer.RequireTools();
        using var crash = await CrashStore.CreateAsync();
        string context = crash.WriteBuildContext("build-ctx", seed: 11);
        await KillLoopAsync(crash, "build", seed: 101, "built:1",
            ["build", "-q", "--no-cache", "--network", "none", "-t", "built:1", context],
            cleanup: () => crash.Store.Engine.Builder.Prune(all: true));
    }

    [Fact]
    public async Task A_killed_pull_leaves_no_damage_and_pulls_again()
    {
        using var crash = await CrashStore.CreateAsync();
        var layers = Enumerable.Range(0, 3).Select(i => RegistryTestImages.RandomLayer($"data/l{i}.bin", 1 << 20)).ToList();
        string repository = $"crash/pulled{Guid.NewGuid():N}"[..20];
        using (var client = fixture.Registry.CreateClient())
            await RegistryTestImages.PushImageAsync(client, repository, "1", layers, RegistryTestImages.Config(layers));
        string name = $"{fixture.Registry.Host}/{repository}:1";
        await KillLoopAsync(crash, "pull", seed: 202, name, ["pull", "-q", name], cleanup: () => { });
    }

    [Fact]
    public async Task A_killed_commit_leaves_no_damage_and_commits_again()
    {
        TestContainer.RequireTools();
        using var crash = await CrashStore.CreateAsync();
        var (code, _, stderr) = await crash.RunAsync("run", "--network", "none", "--name", "changed", "stable:1", "sh", "-c",
            "mkdir -p /written && for i in 1 2 3 4 5 6 7 8; do dd if=/dev/urandom of=/written/f$i bs=64k count=6 2>/dev/null; done && echo changed >> /etc/passwd && rm /bin/vi");
        Assert.True(code == 0, $"run failed: {stderr}");
        await KillLoopAsync(crash, "commit", seed: 303, "committed:1", ["commit", "changed", "committed:1"], cleanup: () => { });
        Assert.NotNull(crash.Store.Engine.Containers.TryGet("changed"));
    }

    /// <summary>
    /// One uninterrupted run (its duration spreads the kill delays), then <see cref="Iterations"/> × (kill, check, rerun
    /// that must succeed with a complete <paramref name="result"/>, remove the result).
    /// </summary>
    async Task KillLoopAsync(CrashStore crash, string verb, int seed, string result, string[] args, Action cleanup)
    {
        var images = crash.Store.Engine.Images;
        var random = new Random(seed);
        int killed = 0, finished = 0, garbage = 0;
        var clock = Stopwatch.StartNew();
        var (code, _, stderr) = await crash.RunAsync(args);
        var duration = clock.Elapsed;
        Assert.True(code == 0, $"{verb} failed without a kill: {stderr}");
        RemoveResult(crash, result, cleanup);
        for (int i = 0; i < Iterations; i++)
        {
            var delay = duration * (random.NextDouble() * 1.1);
            string context = $"{verb} iteration {i}, killed after {delay.TotalMilliseconds:F0} ms";
            if (await crash.RunAndKillAsync(delay, args)) killed++; else finished++;
            // Either the result is whole or absent.
            if (images.TryResolve(result) is { } partial) crash.AssertComplete(partial, context);
            garbage += (await crash.AssertNoDamageAndRepairAsync(context)).Count;
            var rerun = await crash.RunAsync(args);
            Assert.True(rerun.ExitCode == 0, $"{context}: the rerun failed: {rerun.Stderr}");
            crash.AssertComplete(images.Resolve(result), context + ", after the rerun");
            RemoveResult(crash, result, cleanup);
        }
        var end = await crash.Store.Engine.Maintenance.Checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(end.Findings.Count == 0, string.Join("\n", end.Findings));
        output.WriteLine($"{verb}: a full run takes {duration.TotalMilliseconds:F0} ms; {Iterations} runs: {killed} killed, {finished} finished first, {garbage} pieces of garbage found and repaired; every rerun succeeded; total {clock.Elapsed.TotalSeconds:F0} s");
        Assert.True(killed > 0, $"no {verb} was killed: the delays do not reach into its work");
    }

    static void RemoveResult(CrashStore crash, string result, Action cleanup)
    {
        var images = crash.Store.Engine.Images;
        if (images.TryResolve(result) is not null) images.Remove(result, force: true);
        foreach (var dangling in images.ListAll().Where(r => r.Tags.Count == 0).Select(r => r.Image.Id).ToList())
            images.Remove(dangling.ToString(), force: true);
        cleanup();
    }
}
