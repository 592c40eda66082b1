using Berth.Engine.Services.Images;
using Xunit.Abstractions;

namespace Berth.Tests.CrashSafety;

/// <summary>
/// SIGKILLs the real `berth` binary at seeded random moments during load, import, rmi, tag and image prune, then proves
/// the store has no damage (only garbage that `system check --repair` removes) and the images complete before are
/// still complete. 20 iterations per verb; the seed is fixed so a failure reproduces.
/// </summary>
[Collection("berth processes")]
public class CrashSafetyTests(ITestOutputHelper output)
{
    const int Iterations = 20;

    public static TheoryData<string> Verbs => ["load", "import", "rmi", "tag", "image prune"];

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task A_killed_verb_leaves_no_damage_and_every_complete_image_complete(string verb)
    {
        using var crash = await CrashStore.CreateAsync();
        var images = crash.Store.Engine.Images;
        var random = new Random(7919 + verb.Length * 31 + verb[0]); // fixed per verb, so a failure reproduces
        int killed = 0, finished = 0, garbage = 0;
        // One uninterrupted run first: kill delays then spread over its whole duration (startup, work, commit).
        var duration = TimeSpan.Zero;
        for (int i = -1; i < Iterations; i++)
        {
            string[] args = verb switch
            {
                "load" => ["load", "-i", crash.Archive],
                "import" => ["import", crash.VictimTar, "imported:1"],
                "rmi" => ["rmi", "victim:1"],
                "tag" => ["tag", "stable:1", $"tagged:{i + 1}"],
                _ => ["image", "prune", "-f"],
            };
            if (verb == "rmi") await ImportAsync(images, crash.VictimTar, "victim:1");
            if (verb == "image prune") await ImportAsync(images, crash.VictimTar, null);
            if (i < 0)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var (code, _, stderr) = await crash.RunAsync(args);
                duration = clock.Elapsed;
                Assert.True(code == 0, $"{verb} failed without a kill: {stderr}");
            }
            else
            {
                var delay = duration * (random.NextDouble() * 1.1);
                if (await crash.RunAndKillAsync(delay, args)) killed++; else finished++;
                garbage += (await crash.AssertNoDamageAndRepairAsync($"{verb} iteration {i}, killed after {delay.TotalMilliseconds:F0} ms")).Count;
            }
            // Either the verb's result is whole or absent: a tag that resolves names a complete image (checked above).
            foreach (var name in new[] { "imported:1", "victim:1", "loaded:1" })
                if (images.TryResolve(name) is not null) images.Remove(name, force: true);
            foreach (var dangling in images.ListAll().Where(r => r.Tags.Count == 0).Select(r => r.Image.Id).ToList())
                images.Remove(dangling.ToString(), force: true);
        }
        output.WriteLine($"{verb}: a full run takes {duration.TotalMilliseconds:F0} ms; {Iterations} runs: {killed} killed, {finished} finished first, {garbage} pieces of garbage found and repaired");
        Assert.True(killed > 0, $"no {verb} was killed: the delays do not reach into its work");
    }

    static async Task ImportAsync(ImageService images, string tar, string? tag)
    {
        await using var stream = File.OpenRead(tar);
        await images.ImportAsync(stream, new ImportOptions("victim", [], null, null, tag));
    }
}
