using System.Collections.Concurrent;
using System.Diagnostics;
using Berth.Engine.Content;
using Berth.Tests.Runtime;
using Xunit.Abstractions;

namespace Berth.Tests.CrashSafety;

/// <summary>
/// The soak: for a minute, separate `berth` processes on one store build (RUN and COPY, three Dockerfiles on one base,
/// cached and --no-cache), `run --rm --network none`, tag and rmi, and prune (image, builder, builder -a, system), all at
/// once. Every command must succeed or be refused with one of the clear "in use" answers listed in
/// <see cref="AllowedRefusals"/>; afterwards `system check` finds no damage, every tag last set and not removed still
/// names the image it was set to, and every image left runs.
/// </summary>
[Collection("berth processes")]
public class ConcurrencySoakTests(ITestOutputHelper output)
{
    static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);

    /// <summary>The only failures allowed: Docker's refusals to remove something another client is using.</summary>
    static readonly string[] AllowedRefusals =
    [
        "Error: conflict: unable to remove repository reference ", // rmi of a tag whose image a container uses
        "Error: conflict: unable to delete ",                      // rmi by ID of an image a container uses or that has children
    ];

    sealed class Tally
    {
        readonly ConcurrentDictionary<string, int> _counts = new();
        public void Add(string what) => _counts.AddOrUpdate(what, 1, (_, n) => n + 1);
        public int this[string what] => _counts.GetValueOrDefault(what);
        public override string ToString() => string.Join(", ", _counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value}"));
    }

    [Fact]
    public async Task A_minute_of_builds_runs_tags_rmis_and_prunes_at_once_leaves_every_tag_and_image_whole()
    {
        TestContainer.RequireTools();
        using var crash = await CrashStore.CreateAsync();
        string context = WriteContexts(crash);
        var failures = new ConcurrentQueue<string>();
        var tally = new Tally();
        var clock = Stopwatch.StartNew();

        async Task<(bool Ok, string Stdout)> Run(string kind, params string[] args)
        {
            var (code, stdout, stderr) = await crash.RunAsync(args);
            if (code == 0) { tally.Add(kind); return (true, stdout); }
            string message = stderr.Trim();
            if (!message.Contains('\n') && AllowedRefusals.Any(message.StartsWith)) tally.Add(kind + " refused (in use)");
            else failures.Enqueue($"[{clock.Elapsed.TotalSeconds:F1}s] berth {string.Join(' ', args)} exited {code}: {message}");
            return (false, stdout);
        }

        async Task Loop(Func<int, Task> step)
        {
            for (int i = 0; clock.Elapsed < Duration; i++) await step(i);
        }

        // Builds: two loops over three Dockerfiles that share the base and their first RUN, so cache hits, fresh layers
        // and prunes of both meet. Every fourth build ignores the cache.
        string[] dockerfiles = ["Dockerfile.a", "Dockerfile.b", "Dockerfile.c"];
        Func<int, Task> Builds(int offset) => async i =>
        {
            string file = dockerfiles[(i + offset) % dockerfiles.Length];
            string tag = "soak-" + file[^1];
            string[] args = i % 4 == 3
                ? ["build", "-q", "--no-cache", "--network", "none", "-f", Path.Combine(context, file), "-t", tag, context]
                : ["build", "-q", "--network", "none", "-f", Path.Combine(context, file), "-t", tag, context];
            var (ok, stdout) = await Run("build", args);
            if (ok && crash.Store.Engine.Images.TryResolve(stdout.Trim()) is not null)
            {
                var id = Digest.Parse(stdout.Trim());
                foreach (var layer in crash.Store.Engine.Store.Metadata.ImageLayers(id))
                    if (!(crash.Store.Engine.Store.Snapshots.HasLayer(layer.ChainId) && crash.Store.Engine.Store.Content.Exists(layer.DiffId))
                        && crash.Store.Engine.Images.TryResolve(id.ToString()) is not null)
                        failures.Enqueue($"build of {file} made {id} whose layer {layer.ChainId} is gone");
            }
        };

        // Runs: the stable images and whatever the builds last tagged; the command checks the image's own files.
        (string Image, string Check)[] runs =
        [
            ("stable:1", "test \"$STABLE\" = 1"), ("stable:2", "test \"$STABLE\" = 2"),
            ("soak-a", "grep -qx shared /shared.txt && test -s /a/payload.bin"),
            ("soak-b", "grep -qx b /b/name.txt"),
        ];
        async Task RunStep(int i)
        {
            var (image, check) = runs[i % runs.Length];
            if (crash.Store.Engine.Images.TryResolve(image) is null) (image, check) = ("stable:1", "true"); // not built yet
            await Run("run", "run", "--rm", "--network", "none", image, "sh", "-c", check);
        }

        // Tags and rmi: a rolling set of tags on the stable and the built images; the expected state is kept as we go.
        var expected = new ConcurrentDictionary<string, Digest?>(); // null: a built image, whichever it was then
        async Task TagStep(int i)
        {
            string tag = $"soak-tag:{i}";
            string source = i % 3 == 0 ? "soak-b" : i % 3 == 1 ? "stable:2" : "stable:1";
            var sourceId = crash.Store.Engine.Images.TryResolve(source);
            if (sourceId is null) source = "stable:2";
            var (ok, _) = await Run("tag", "tag", source, tag);
            if (ok) expected[tag] = source.StartsWith("stable:", StringComparison.Ordinal) ? crash.StableTags[source] : null;
            if (i >= 2 && i % 2 == 0)
            {
                string old = $"soak-tag:{i - 2}";
                if ((await Run("rmi", "rmi", old)).Ok) expected.TryRemove(old, out _);
            }
            // Only this loop removes soak-c (the prunes take dangling images only), so it is there when resolved here; the builds make it again.
            if (i % 5 == 4 && crash.Store.Engine.Images.TryResolve("soak-c") is not null) await Run("rmi", "rmi", "soak-c");
        }

        string[][] prunes = [["image", "prune", "-f"], ["builder", "prune", "-f"], ["system", "prune", "-f"], ["builder", "prune", "-a", "-f"]];
        Task PruneStep(int i) => Run(string.Join(' ', prunes[i % prunes.Length][..^1]), prunes[i % prunes.Length]);

        await Task.WhenAll(
            Task.Run(() => Loop(Builds(0))), Task.Run(() => Loop(Builds(1))),
            Task.Run(() => Loop(RunStep)), Task.Run(() => Loop(TagStep)), Task.Run(() => Loop(PruneStep)));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: {tally}");

        Assert.True(failures.IsEmpty, $"{failures.Count} commands failed without a clear in-use refusal:\n" + string.Join("\n", failures));
        foreach (var kind in new[] { "build", "run", "tag", "rmi", "image prune", "builder prune", "system prune" })
            Assert.True(tally[kind] > 0, $"no {kind} succeeded: {tally}");

        // The store: `system check` as a user would run it, then with no grace period (nothing may be left in progress).
        var check = await crash.RunAsync("system", "check");
        Assert.True(check.ExitCode == 0, $"system check exited {check.ExitCode}:\n{check.Stdout}{check.Stderr}");
        var report = await crash.Store.Engine.Maintenance.Checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(report.Damage.Count == 0 && report.InProgress.Count == 0, string.Join("\n", report.Damage.Select(f => f.ToString()).Concat(report.InProgress)));
        output.WriteLine($"garbage (repairable) after the soak: {report.Findings.Count}{string.Concat(report.Findings.Select(f => "\n  " + f))}");

        // Every tag last set and not removed still names its image.
        var images = crash.Store.Engine.Images;
        foreach (var (tag, id) in crash.StableTags) Assert.Equal(id, images.Resolve(tag));
        foreach (var (tag, id) in expected)
        {
            var now = images.TryResolve(tag);
            Assert.True(now is not null, $"tag {tag} was lost");
            if (id is not null) Assert.Equal(id, now);
        }

        // Every image left is whole and runs.
        foreach (var row in images.ListAll())
        {
            crash.AssertComplete(row.Image.Id, "after the soak");
            var (code, _, stderr) = await crash.RunAsync("run", "--rm", "--network", "none", row.Image.Id.ToString(), "true");
            Assert.True(code == 0, $"image {row.Image.Id} ({string.Join(", ", row.Tags)}) does not run: {stderr}");
        }
    }

    /// <summary>Three Dockerfiles on stable:1 that share their first RUN; each then RUNs and COPYs something of its own.</summary>
    static string WriteContexts(CrashStore crash)
    {
        string dir = crash.WriteBuildContext("soak-ctx", seed: 21);
        var random = new Random(22);
        foreach (var name in new[] { "a", "b", "c" })
        {
            var bytes = new byte[128 << 10];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(dir, name + ".bin"), bytes);
            File.WriteAllText(Path.Combine(dir, "Dockerfile." + name),
                $"FROM stable:1\nRUN echo shared > /shared.txt\nRUN mkdir -p /{name} && echo {name} > /{name}/name.txt\nCOPY {name}.bin /{name}/payload.bin\n");
        }
        return dir;
    }
}
