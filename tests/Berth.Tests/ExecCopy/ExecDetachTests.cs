using Berth.Engine.Runtime;
using Berth.Tests.Containers;
using Berth.Tests.Runtime;

namespace Berth.Tests.ExecCopy;

/// <summary>
/// `exec`: -it detaches on Ctrl-P Ctrl-Q or --detach-keys and leaves the process running ("read escape sequence", status 1,
/// as Docker's exec); -d returns at once; a command that cannot run says Docker's "OCI runtime exec failed" and exits 126.
/// </summary>
public class ExecDetachTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Fact]
    public async Task Exec_it_detaches_on_its_keys_and_leaves_the_process_running()
    {
        TestContainer.RequireTools();
        Assert.True(OciRuntime.FindBinary("tmux") is not null, "tmux is not installed: run scripts/install-deps.sh");
        string name = "execdetach-" + Guid.NewGuid().ToString("N")[..8];
        await bb.OkAsync("run", "-d", "--name", name, "--network", "none", "bb", "sleep", "1000");
        try
        {
            // The default keys: berth says what Docker's exec says and exits 1; the shell lives on.
            await using (var session = await ContainerDetachTests.TmuxSession.StartAsync(CommandLine("exec", "-it", name, "sh")))
            {
                await session.TypeUntilSeenAsync("echo $$ > /tmp/sh1; echo one=$((0+1))", "one=1");
                session.Keys("C-p", "C-q");
                Assert.Equal("exit=1", await session.ExitLineAsync());
                Assert.Contains("read escape sequence", session.Screen());
            }
            Assert.Equal("alive\n", await bb.OkAsync("exec", name, "sh", "-c", "kill -0 $(cat /tmp/sh1) && echo alive"));

            // --detach-keys: Ctrl-P Ctrl-Q are ordinary input now, Ctrl-A x detaches.
            await using (var session = await ContainerDetachTests.TmuxSession.StartAsync(CommandLine("exec", "-it", "--detach-keys", "ctrl-a,x", name, "sh")))
            {
                await session.TypeUntilSeenAsync("echo $$ > /tmp/sh2; echo two=$((1+1))", "two=2");
                session.Keys("C-p", "C-q");
                await session.TypeUntilSeenAsync("echo still=$((2+2))", "still=4");
                session.Keys("C-a", "x");
                Assert.Equal("exit=1", await session.ExitLineAsync());
                Assert.Contains("read escape sequence", session.Screen());
            }
            Assert.Equal("alive\n", await bb.OkAsync("exec", name, "sh", "-c", "kill -0 $(cat /tmp/sh2) && echo alive"));

            // The terminal has the client's size (tmux's 120x30); without a detach, the shell's own status is berth's.
            await using (var session = await ContainerDetachTests.TmuxSession.StartAsync(CommandLine("exec", "-it", name, "sh")))
            {
                await session.TypeUntilSeenAsync("echo size=$(stty size | tr ' ' x)", "size=30x120");
                session.Keys("exit 3", "Enter");
                Assert.Equal("exit=3", await session.ExitLineAsync());
                Assert.DoesNotContain("read escape sequence", session.Screen());
            }
            Assert.True(bb.Store.Engine.Containers.Get(name).IsRunning);
        }
        finally
        {
            await bb.CliAsync("rm", "-f", name);
        }
    }

    [Fact]
    public async Task Exec_d_returns_at_once_and_failed_commands_exit_as_docker_does()
    {
        string name = "execcodes-" + Guid.NewGuid().ToString("N")[..8];
        await bb.OkAsync("run", "-d", "--name", name, "--network", "none", "bb", "sleep", "1000");
        try
        {
            // -d prints nothing and leaves the process running after berth returns.
            Assert.Equal("", await bb.OkAsync("exec", "-d", name, "sh", "-c", "sleep 1000 & echo $! > /tmp/bg; touch /tmp/started; wait"));
            Assert.True(await TestContainer.WaitUntil(() => bb.CliAsync("exec", name, "test", "-e", "/tmp/started").Result.ExitCode == 0),
                "the detached exec should run");
            Assert.Equal("alive\n", await bb.OkAsync("exec", name, "sh", "-c", "kill -0 $(cat /tmp/bg) && echo alive"));

            // Not found and not executable: Docker's daemon words the runtime's error this way, writes it into the attached
            // stream (stdout) and records 126 for both (its cleanup overrides the 127 it first sets for a missing command).
            var missing = await bb.CliAsync("exec", name, "nosuchcommand");
            Assert.Equal(126, missing.ExitCode);
            Assert.Equal("OCI runtime exec failed: exec failed: unable to start container process: exec: \"nosuchcommand\": executable file not found in $PATH: unknown\n", missing.Stdout);
            var directory = await bb.CliAsync("exec", name, "/etc");
            Assert.Equal(126, directory.ExitCode);
            Assert.StartsWith("OCI runtime exec failed: ", directory.Stdout);
            Assert.Contains("permission denied", directory.Stdout);

            // With -d the failure is the start's error response: stderr, status 1.
            var detached = await bb.CliAsync("exec", "-d", name, "nosuchcommand");
            Assert.Equal(1, detached.ExitCode);
            Assert.StartsWith("Error: OCI runtime exec failed: ", detached.Stderr);
            Assert.Contains("executable file not found in $PATH", detached.Stderr);

            // The command's own status passes through; bad detach keys are refused before anything runs (Docker's exec words
            // it "escape keys", where Berth's run and attach say "detach keys").
            Assert.Equal(7, (await bb.CliAsync("exec", name, "sh", "-c", "exit 7")).ExitCode);
            var keys = await bb.CliAsync("exec", "--detach-keys", "ctrl-foo", name, "touch", "/tmp/ran");
            Assert.Equal(1, keys.ExitCode);
            Assert.Equal("Error: Invalid escape keys (ctrl-foo) provided\n", keys.Stderr);
            Assert.Equal(1, (await bb.CliAsync("exec", name, "test", "-e", "/tmp/ran")).ExitCode);

            // -it needs a terminal on stdin (docker/cli's CheckTty); -t alone does not.
            var noTty = ContainerVerbs.BerthProcess.Bash(bb.Store.Root, $"berth exec -it {name} true < /dev/null");
            Assert.Equal(1, noTty.ExitCode);
            Assert.Equal("the input device is not a TTY\n", noTty.Stderr);
            var ttyOnly = ContainerVerbs.BerthProcess.Bash(bb.Store.Root, $"berth exec -t {name} echo hi < /dev/null");
            Assert.True(ttyOnly.ExitCode == 0, ttyOnly.Stderr);
            Assert.Equal("hi\r\n", ttyOnly.Stdout);

            // --env-file, then -e: a later value of the same variable wins.
            using var dir = new Support.TempDirectory();
            string envFile = Path.Combine(dir.Path, "env");
            File.WriteAllText(envFile, "# comment\nA=file\nB=file\n");
            Assert.Equal("file flag\n", await bb.OkAsync("exec", "--env-file", envFile, "-e", "B=flag", name, "sh", "-c", "echo $A $B"));
            var noFile = await bb.CliAsync("exec", "--env-file", Path.Combine(dir.Path, "missing"), name, "true");
            Assert.NotEqual(0, noFile.ExitCode);
            Assert.Contains("no such file or directory", noFile.Stderr);
        }
        finally
        {
            await bb.CliAsync("rm", "-f", name);
        }
    }

    string CommandLine(params string[] args)
    {
        var berth = Engine.Processes.BerthExecutable.Current;
        return string.Join(' ', new[] { berth.FileName }.Concat(berth.Arguments(["--root", bb.Store.Root, .. args])).Select(a => "'" + a + "'"));
    }
}
