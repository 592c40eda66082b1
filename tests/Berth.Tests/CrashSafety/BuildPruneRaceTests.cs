using System.Collections.Concurrent;
using System.Diagnostics;
using Berth.Engine.Content;
using Berth.Tests.Runtime;
using Xunit.Abstractions;

namespace Berth.Tests.CrashSafety;

/// <summary>
/// `image prune -a -f`, `builder prune -a -f` and `system prune -f` in a loop in one process while `berth build` runs
/// in another for about 15 seconds: every build succeeds with a complete image or fails with a clear one-line error,
/// no image ever has a missing layer, and the store is clean afterwards.
/// </summary>
[Collection("berth processes")]
public class BuildPruneRaceTests(ITestOutputHelper output)
{
    static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Prunes_racing_builds_never_leave_an_image_with_a_missing_layer()
    {
        TestContainer.RequireTools();
        using var crash = await CrashStore.CreateAsync();
        string context = crash.WriteBuildContext("race-ctx", seed: 12);
        // A running container keeps the base image in use, so `image prune -a` cannot take it and builds can start.
        var (code, stdout, stderr) = await crash.RunAsync("run", "-d", "--network", "none", "stable:1", "sleep", "1000");
        Assert.True(code == 0, stderr);
        string keeper = stdout.Trim();
        try
        {
            var failures = new ConcurrentQueue<string>();
            var counts = new ConcurrentDictionary<string, int>();
            var clock = Stopwatch.StartNew();
            var images = crash.Store.Engine.Images;

            var prunes = Task.Run(async () =>
            {
                string[][] commands = [["image", "prune", "-a", "-f"], ["builder", "prune", "-a", "-f"], ["system", "prune", "-f"]];
                for (int i = 0; clock.Elapsed < Duration; i++)
                {
                    var args = commands[i % commands.Length];
                    var r = await crash.RunAsync(args);
                    if (r.ExitCode == 0) counts.AddOrUpdate(args[0] + " prune", 1, (_, n) => n + 1);
                    else failures.Enqueue($"berth {string.Join(' ', args)} exited {r.ExitCode}: {r.Stderr.Trim()}");
                }
            });
            var builds = Task.Run(async () =>
            {
                for (int i = 0; clock.Elapsed < Duration; i++)
                {
                    // Alternate cached and uncached builds: cached ones race prune for the cache rows and their layers.
                    string tag = $"race:{i}";
                    string[] args = i % 2 == 0
                        ? ["build", "-q", "--network", "none", "-t", tag, context]
                        : ["build", "-q", "--no-cache", "--network", "none", "-t", tag, context];
                    var r = await crash.RunAsync(args);
                    if (r.ExitCode == 0)
                    {
                        counts.AddOrUpdate("build ok", 1, (_, n) => n + 1);
                        var id = Digest.Parse(r.Stdout.Trim());
                        // A prune may already have removed it again; if it is there, it must be whole.
                        if (images.TryResolve(id.ToString()) is not null) CheckComplete(crash, id, $"build {i}", failures);
                    }
                    else
                    {
                        counts.AddOrUpdate("build failed", 1, (_, n) => n + 1);
                        string message = r.Stderr.Trim();
                        if (!message.StartsWith("Error: ") || message.Contains('\n'))
                            failures.Enqueue($"build {i} exited {r.ExitCode} without a clear error: {message}");
                        else
                            output.WriteLine($"build {i} failed: {message.Split('\n')[^1]}");
                    }
                }
            });
            await Task.WhenAll(prunes, builds);

            output.WriteLine(string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}: {c.Value}")));
            Assert.True(failures.IsEmpty, string.Join("\n", failures));
            Assert.True(counts.GetValueOrDefault("build ok") > 0, "no build succeeded");
            Assert.True(counts.Count(c => c.Key.EndsWith(" prune")) == 3, "not every prune ran");
            foreach (var row in images.ListAll()) crash.AssertComplete(row.Image.Id, "after the race");
            // No damage and nothing left in progress. Garbage is allowed (a prune deletes rows first and files after, so a
            // snapshot it removes can leave its short link behind); --repair must then leave the store consistent.
            var checker = crash.Store.Engine.Maintenance.Checker;
            var report = await checker.CheckAsync(repair: false, TimeSpan.Zero);
            Assert.True(report.Damage.Count == 0 && report.InProgress.Count == 0,
                string.Join("\n", report.Damage.Select(f => f.ToString()).Concat(report.InProgress)));
            output.WriteLine($"garbage after the race: {report.Findings.Count}{string.Concat(report.Findings.Select(f => "\n  " + f))}");
            var repaired = await checker.CheckAsync(repair: true, TimeSpan.Zero);
            Assert.True(repaired.Consistent, string.Join("\n", repaired.Findings.Where(f => !f.Repaired)));
            foreach (var (tag, id) in crash.StableTags.Where(t => t.Key == "stable:1")) Assert.Equal(id, images.Resolve(tag));
        }
        finally
        {
            await crash.RunAsync("rm", "-f", keeper);
        }
    }

    static void CheckComplete(CrashStore crash, Digest id, string context, ConcurrentQueue<string> failures)
    {
        var store = crash.Store.Engine.Store;
        foreach (var layer in store.Metadata.ImageLayers(id))
        {
            // Read again: an image that a prune removed between the two reads is gone, not broken.
            bool whole = store.Snapshots.HasLayer(layer.ChainId) && store.Content.Exists(layer.DiffId);
            if (!whole && crash.Store.Engine.Images.TryResolve(id.ToString()) is not null)
                failures.Enqueue($"{context}: image {id} has lost layer {layer.ChainId}");
        }
    }
}
