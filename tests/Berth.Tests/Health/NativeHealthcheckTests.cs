using System.Diagnostics;
using Berth.Tests.Published;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.Health;

/// <summary>The healthcheck timer as shipped: the Native AOT berth starts it and its ticks run that same binary.</summary>
public sealed class NativeHealthcheckTests : IDisposable
{
    readonly TempDirectory _root = new();

    public void Dispose()
    {
        NativeBinary.Run(_root.Path, "rm", "-f", "native-hc");
        _root.Dispose();
    }

    [Fact]
    public async Task The_native_binary_probes_until_healthy_and_rm_ends_the_timer()
    {
        TestContainer.RequireTools();
        NativeBinary.Check(_root.Path, "import", BusyboxRootfs.TarPath, "bb");
        string id = NativeBinary.Check(_root.Path, "run", "-d", "--name", "native-hc", "--network", "none", "--health-cmd", "echo native",
            "--health-interval", "1s", "bb", "sleep", "1000").Trim();
        string timerPid = File.ReadAllText(Path.Combine(_root.Path, "containers", id, "healthcheck.pid")).Trim();
        Assert.True(Directory.Exists("/proc/" + timerPid));

        var watch = Stopwatch.StartNew();
        string status = "";
        while (watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            status = NativeBinary.Check(_root.Path, "inspect", "-f", "{{.State.Health.Status}} {{json .State.Health.Log}}", "native-hc").Trim();
            if (status.StartsWith("healthy", StringComparison.Ordinal)) break;
            await Task.Delay(200);
        }
        Assert.StartsWith("healthy [{\"Start\":", status);
        Assert.Contains("\"ExitCode\":0,\"Output\":\"native\\n\"}", status);
        Assert.Contains("(healthy)", NativeBinary.Check(_root.Path, "ps", "--filter", "health=healthy"));

        NativeBinary.Check(_root.Path, "rm", "-f", "native-hc");
        watch.Restart();
        while (Alive(timerPid) && watch.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(100);
        Assert.False(Alive(timerPid), $"the timer {timerPid} outlived rm -f");
    }

    static bool Alive(string pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException) { return false; }
    }
}
