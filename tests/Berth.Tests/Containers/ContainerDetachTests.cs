using System.Text;
using Berth.Engine;
using Berth.Engine.Containers.Attach;
using Berth.Engine.Runtime;
using Berth.Tests.Runtime;

namespace Berth.Tests.Containers;

/// <summary>Detach keys: run -it, start -ai and attach leave a terminal container running on Ctrl-P Ctrl-Q or --detach-keys.</summary>
public class ContainerDetachTests(BusyboxStore bb) : IClassFixture<BusyboxStore>
{
    [Theory]
    [InlineData(null, new byte[] { 0x10, 0x11 })]
    [InlineData("", new byte[] { 0x10, 0x11 })]
    [InlineData("ctrl-p,ctrl-q", new byte[] { 0x10, 0x11 })]
    [InlineData("ctrl-a,x", new byte[] { 0x01, (byte)'x' })]
    [InlineData("ctrl-@,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", new byte[] { 0, 26, 27, 28, 29, 30, 31 })]
    [InlineData("a,X,DEL", new byte[] { (byte)'a', (byte)'X', 127 })]
    public void Detach_keys_parse_as_docker_does(string? spec, byte[] expected) =>
        Assert.Equal(expected, DetachKeys.Parse(spec).Bytes);

    [Theory]
    [InlineData("ctrl-foo")]
    [InlineData("ctrl-A")]
    [InlineData("a,,b")]
    [InlineData("ab")]
    [InlineData("ctrl-1")]
    public void Invalid_detach_keys_fail_with_dockers_message(string spec)
    {
        var e = Assert.Throws<InvalidInputException>(() => DetachKeys.Parse(spec));
        Assert.Equal($"Invalid detach keys ({spec}) provided", e.Message);
    }

    [Fact]
    public async Task The_reader_passes_input_holds_back_a_broken_sequence_and_stops_at_the_whole_one()
    {
        // "ab", a Ctrl-P that turns out to be ordinary input, "c", then Ctrl-P Ctrl-Q; what follows is never read.
        var reader = new DetachKeyReader(new MemoryStream([(byte)'a', (byte)'b', 0x10, (byte)'c', 0x10, 0x11, (byte)'z']), DetachKeys.Default);
        var read = new MemoryStream();
        var buffer = new byte[16];
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            while (true)
            {
                int n = await reader.ReadAsync(buffer);
                Assert.NotEqual(0, n);
                read.Write(buffer, 0, n);
            }
        });
        Assert.Equal(new byte[] { (byte)'a', (byte)'b', 0x10, (byte)'c' }, read.ToArray());
        Assert.True(reader.HasDetached);
        Assert.True(reader.Detached.IsCancellationRequested);
    }

    [Fact]
    public async Task The_reader_passes_a_sequence_split_across_reads_and_a_partial_one_at_the_end()
    {
        var keys = DetachKeys.Parse("ctrl-a,x");
        var chunks = new ChunkedStream([[0x01], [(byte)'y'], [0x01]]);
        var reader = new DetachKeyReader(chunks, keys);
        var read = new MemoryStream();
        await reader.CopyToAsync(read);
        Assert.Equal(new byte[] { 0x01, (byte)'y', 0x01 }, read.ToArray());
        Assert.False(reader.HasDetached);

        var split = new DetachKeyReader(new ChunkedStream([[(byte)'q', 0x01], [(byte)'x']]), keys);
        var buffer = new byte[8];
        int first = await split.ReadAsync(buffer);
        Assert.Equal("q", Encoding.ASCII.GetString(buffer, 0, first));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { int n = await split.ReadAsync(buffer); Assert.Fail($"read {n} bytes after the sequence"); });
        Assert.True(split.HasDetached);
    }

    [Fact]
    public async Task Run_it_start_ai_and_attach_detach_on_their_keys_and_leave_the_container_running()
    {
        TestContainer.RequireTools();
        Assert.True(OciRuntime.FindBinary("tmux") is not null, "tmux is not installed: run scripts/install-deps.sh");
        string name = "detach-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            // run -it, then the default Ctrl-P Ctrl-Q: berth exits 0 and says nothing, the shell keeps running.
            await using (var session = await TmuxSession.StartAsync(CommandLine("run", "-it", "--name", name, "--network", "none", "bb", "sh")))
            {
                Assert.True(await TestContainer.WaitUntil(() => bb.Store.Engine.Containers.TryGet(name) is { IsRunning: true }, 30_000), "the container should start");
                await session.TypeUntilSeenAsync("echo one=$((0+1))", "one=1");
                session.Keys("C-p", "C-q");
                Assert.Equal("exit=0", await session.ExitLineAsync());
                Assert.DoesNotContain("read escape sequence", session.Screen());
                Assert.True(bb.Store.Engine.Containers.Get(name).IsRunning);
            }

            // attach with other keys: Ctrl-P Ctrl-Q are ordinary input now; Ctrl-A x detaches, as Docker's attach: "read escape sequence", exit 1.
            await using (var session = await TmuxSession.StartAsync(CommandLine("attach", "--detach-keys", "ctrl-a,x", name)))
            {
                await session.TypeUntilSeenAsync("echo two=$((1+1))", "two=2");
                session.Keys("C-p", "C-q");
                await session.TypeUntilSeenAsync("echo still=$((2+2))", "still=4");
                session.Keys("C-a", "x");
                Assert.Equal("exit=1", await session.ExitLineAsync());
                Assert.Contains("read escape sequence", session.Screen());
                Assert.True(bb.Store.Engine.Containers.Get(name).IsRunning);
            }

            // start -ai of the stopped container, --detach-keys with a single key.
            await bb.OkAsync("stop", "-t", "1", name);
            await using (var session = await TmuxSession.StartAsync(CommandLine("start", "-ai", "--detach-keys", "ctrl-]", name)))
            {
                Assert.True(await TestContainer.WaitUntil(() => bb.Store.Engine.Containers.TryGet(name) is { IsRunning: true }, 30_000), "the container should start");
                await session.TypeUntilSeenAsync("echo three=$((1+2))", "three=3");
                session.Keys("C-]");
                Assert.Equal("exit=0", await session.ExitLineAsync());
                Assert.True(bb.Store.Engine.Containers.Get(name).IsRunning);
            }

            // The shell is still the same one: its input was never closed by the detaches.
            Assert.Equal("hi\n", await bb.OkAsync("exec", name, "echo", "hi"));
            var invalid = await bb.CliAsync("attach", "--detach-keys", "ctrl-foo", name);
            Assert.NotEqual(0, invalid.ExitCode);
            Assert.Equal("Error: Invalid detach keys (ctrl-foo) provided\n", invalid.Stderr);
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

    /// <summary>A tmux session running one command line, followed by "exit=CODE" and a pause so the screen can be read.</summary>
    internal sealed class TmuxSession : IAsyncDisposable
    {
        readonly string _socket = "berth-test-" + Guid.NewGuid().ToString("N")[..8];

        public static Task<TmuxSession> StartAsync(string commandLine)
        {
            var session = new TmuxSession();
            session.Tmux("new-session", "-d", "-s", session._socket, "-x", "120", "-y", "30", $"{commandLine}; echo exit=$?; sleep 600");
            return Task.FromResult(session);
        }

        public string Screen() => Support.ProcessRunner.Run("tmux", ["-L", _socket, "capture-pane", "-p", "-t", _socket]).Stdout;

        public void Keys(params string[] keys) => Tmux(["send-keys", "-t", _socket, .. keys]);

        /// <summary>Types a line until its output shows (the shell may not be reading yet when the first attempt arrives).</summary>
        public async Task TypeUntilSeenAsync(string line, string expected)
        {
            for (int attempt = 0; attempt < 20; attempt++)
            {
                Keys(line, "Enter");
                if (await TestContainer.WaitUntil(() => Screen().Contains(expected), 3_000)) return;
            }
            Assert.Fail($"'{expected}' never showed; screen:\n{Screen()}");
        }

        /// <summary>Waits for the "exit=CODE" line the session prints after the command.</summary>
        public async Task<string> ExitLineAsync()
        {
            string screen = "";
            Assert.True(await TestContainer.WaitUntil(() => (screen = Screen()).Contains("exit="), 30_000), "berth did not exit; screen:\n" + screen);
            int at = screen.IndexOf("exit=", StringComparison.Ordinal);
            int end = screen.IndexOfAny(['\n', ' '], at);
            return screen[at..(end < 0 ? screen.Length : end)].Trim();
        }

        void Tmux(params string[] args)
        {
            var result = Support.ProcessRunner.Run("tmux", ["-L", _socket, .. args]);
            Assert.True(result.ExitCode == 0, "tmux failed: " + result.Stderr);
        }

        public ValueTask DisposeAsync()
        {
            Support.ProcessRunner.Run("tmux", ["-L", _socket, "kill-server"]);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A stream that returns the given chunks one read each.</summary>
    sealed class ChunkedStream(byte[][] chunks) : Berth.Engine.IO.ForwardReadStream
    {
        int _next;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_next == chunks.Length) return 0;
            var chunk = chunks[_next++];
            chunk.CopyTo(buffer, offset);
            return chunk.Length;
        }
    }
}
