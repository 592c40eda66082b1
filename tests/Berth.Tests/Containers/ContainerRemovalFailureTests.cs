using System.Diagnostics;

namespace Berth.Tests.Containers;

/// <summary>
/// Removals that do not go as planned, as Docker has them: one that fails half-way leaves the container dead (not started
/// again; `rm` again finishes it), and an attached `run --rm` whose container another command removes reports how it ended.
/// </summary>
public class ContainerRemovalFailureTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    static void Chattr(string flag, string path)
    {
        using var chattr = Process.Start("chattr", [flag, path]);
        chattr.WaitForExit();
        Assert.True(chattr.ExitCode == 0, $"chattr {flag} {path} failed");
    }

    [Fact]
    public async Task A_removal_that_fails_half_way_leaves_the_container_dead_and_rm_again_finishes_it()
    {
        string id = (await bb.OkAsync("create", "--network", "none", "bb", "true")).Trim();
        // An immutable file in the container's own layer: not even root can unlink it, so deleting the layer fails.
        string stuck = Path.Combine(bb.Store.Root, "snapshots", "active-" + id, "fs", "stuck");
        File.WriteAllText(stuck, "x");
        Chattr("+i", stuck);
        try
        {
            var failed = await bb.CliAsync("rm", id);
            Assert.NotEqual(0, failed.ExitCode);
            Assert.StartsWith("Error: ", failed.Stderr);
            Assert.Equal("dead", (await bb.OkAsync("inspect", "-f", "{{.State.Status}}", id)).Trim());
            Assert.Equal("Dead", (await bb.OkAsync("ps", "-a", "--filter", "id=" + id, "--format", "{{.Status}}")).Trim());
            var start = await bb.CliAsync("start", id);
            Assert.NotEqual(0, start.ExitCode);
            Assert.Contains("is marked for removal and cannot be started", start.Stderr);
        }
        finally
        {
            // Wherever the failed removal left the file (the layer is moved aside before it is deleted).
            foreach (var file in Directory.GetFiles(bb.Store.Root, "stuck", SearchOption.AllDirectories)) Chattr("-i", file);
        }
        await bb.OkAsync("rm", id);
        Assert.Equal("", (await bb.OkAsync("ps", "-a", "-q", "--filter", "id=" + id)).Trim());
        Assert.False(Directory.Exists(Path.Combine(bb.Store.Root, "containers", id)));
    }
    [Fact]
    public async Task Run_rm_reports_the_exit_code_of_its_container_when_rm_f_removed_it_meanwhile()
    {
        // On a thread of its own: an attached run without input copies the output on its caller's thread.
        var run = Task.Run(() => bb.CliAsync("run", "--rm", "--name", "removed-by-rm-f", "--network", "none", "bb", "sleep", "30"));
        var waited = Stopwatch.StartNew();
        while ((await bb.OkAsync("ps", "--filter", "name=removed-by-rm-f", "--format", "{{.State}}")).Trim() != "running")
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(15), "the container never ran");
            await Task.Delay(20);
        }
        var removed = await bb.CliAsync("rm", "-f", "removed-by-rm-f");
        var (code, _, stderr) = await run;
        Assert.True(removed.ExitCode == 0, $"rm -f exited {removed.ExitCode}: {removed.Stderr}; run --rm exited {code}: {stderr}");
        // Both succeed whichever removes the container (rm -f, or the attached run once it has read the exit), and the run
        // reports the kill (128+9): from the exit file, or from its conmon when the exit file went with the container first.
        Assert.True(code == 137, $"run --rm exited {code}: {stderr}");
        Assert.Equal("", (await bb.OkAsync("ps", "-a", "-q", "--filter", "name=removed-by-rm-f")).Trim());
    }
}
