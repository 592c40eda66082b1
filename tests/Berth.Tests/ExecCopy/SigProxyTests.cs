using Berth.Tests.Containers;
using Berth.Tests.ContainerVerbs;

namespace Berth.Tests.ExecCopy;

/// <summary>`run --sig-proxy`: without a terminal a SIGTERM to berth goes to the container (default), or with
/// --sig-proxy=false ends berth and leaves the container running, as Docker's client.</summary>
public class SigProxyTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Run_proxies_sigterm_to_the_container_unless_sig_proxy_is_false()
    {
        // The berth binary itself goes to the background (bash runs a simple command in the forked child, so $! is berth's
        // pid; the script's berth function would put a subshell there). The container is ready once its trap is set (the
        // tmpfs marker); berth registers its signal handler before the container starts.
        string script = $"cmd=({BerthProcess.Command(bb.Store.Root)}); " + """
            run() {
              "${cmd[@]}" run "$@" --network none --tmpfs /tmp bb sh -c 'trap "exit 9" TERM; touch /tmp/r; while true; do sleep 0.1; done' &
              pid=$!
              for i in $(seq 600); do berth exec "$name" test -e /tmp/r 2>/dev/null && break; sleep 0.1; done
              kill -TERM $pid
              # Bounded, so that a berth that ignored the signal fails the test instead of hanging it.
              for i in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
              kill -KILL $pid 2>/dev/null; wait $pid; echo "exit=$?"
            }
            name=sigproxy-on; run --name $name
            name=sigproxy-off; run --name $name --sig-proxy=false
            """;
        try
        {
            var result = BerthProcess.Bash(bb.Store.Root, script);
            Assert.True(result.ExitCode == 0, result.Stderr);
            var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.Equal("exit=9", lines[0]);
            Assert.NotEqual("exit=9", lines[1]);
            Assert.Equal(9, bb.Store.Engine.Containers.Get("sigproxy-on").State.ExitCode);
            Assert.True(bb.Store.Engine.Containers.Get("sigproxy-off").IsRunning, "the container keeps running without the proxy");
        }
        finally
        {
            await bb.CliAsync("rm", "-f", "sigproxy-on", "sigproxy-off");
        }
    }
}
