using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Berth.Tests.CrashSafety;

/// <summary>
/// Several real `berth` processes on one store at once (tag, rmi, load, import, image prune) for about 20 seconds:
/// every command either succeeds or fails with a clear conflict, no tag that was made is lost, and afterwards the store
/// has neither damage nor garbage.
/// </summary>
[Collection("berth processes")] // never alongside the crash tests: both load the machine and the calibration of kill delays
public class ConcurrencyTests(ITestOutputHelper output)
{
    static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Concurrent_processes_neither_corrupt_the_store_nor_lose_a_tag()
    {
        using var crash = await CrashStore.CreateAsync();
        var failures = new ConcurrentQueue<string>();
        var counts = new ConcurrentDictionary<string, int>();
        var madeTags = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();

        async Task Loop(string name, Func<int, Task> step)
        {
            for (int i = 0; clock.Elapsed < Duration; i++)
            {
                await step(i);
                counts.AddOrUpdate(name, 1, (_, n) => n + 1);
            }
        }

        async Task Run(string name, params string[] args)
        {
            var (code, _, stderr) = await crash.RunAsync(args);
            // Allowed refusals: the clear "in use"/conflict answers Docker gives for races with another client.
            if (code == 0) return;
            if (stderr.Contains("conflict:") || stderr.Contains("is in use") || stderr.Contains("is being used"))
                counts.AddOrUpdate("refused as in use", 1, (_, n) => n + 1);
            else
                failures.Enqueue($"{name}: berth {string.Join(' ', args)} exited {code}: {stderr.Trim()}");
        }

        await Task.WhenAll(
            Loop("tag", async i =>
            {
                string tag = $"keep:{i}";
                await Run("tag", "tag", i % 2 == 0 ? "stable:1" : "stable:2", tag);
                madeTags.Add(tag);
            }),
            Loop("import+rmi", async i =>
            {
                await Run("import", "import", crash.VictimTar, "imp:1");
                await Run("rmi", "rmi", "imp:1");
            }),
            Loop("load+rmi", async i =>
            {
                await Run("load", "load", "-i", crash.Archive);
                await Run("rmi", "rmi", "loaded:1");
            }),
            Loop("import-dangling", async i => await Run("import", "import", crash.VictimTar)),
            Loop("prune", async i => await Run("prune", "image", "prune", "-f")));

        output.WriteLine(string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}: {c.Value}")));
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
        foreach (var tag in madeTags)
            Assert.NotNull(crash.Store.Engine.Images.TryResolve(tag));
        var report = await crash.Store.Engine.Maintenance.Checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(report.Findings.Count == 0 && report.InProgress.Count == 0,
            string.Join("\n", report.Findings.Select(f => f.ToString()).Concat(report.InProgress)));
        foreach (var (tag, id) in crash.StableTags) Assert.Equal(id, crash.Store.Engine.Images.Resolve(tag));
        Assert.All(new[] { "tag", "import+rmi", "load+rmi", "import-dangling", "prune" }, loop => Assert.True(counts.GetValueOrDefault(loop) > 0, loop + " never completed"));
    }
}
