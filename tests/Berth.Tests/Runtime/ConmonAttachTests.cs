using System.Net.Sockets;
using System.Text;
using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>The client side of conmon's attach socket against a stand-in server (a SOCK_SEQPACKET unix socket).</summary>
public sealed class ConmonAttachTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("berth-attach-").FullName;

    readonly List<IDisposable> _sockets = [];

    public void Dispose()
    {
        foreach (var socket in _sockets) socket.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A client connected to a listening stand-in for conmon's attach socket, and conmon's end of the connection.</summary>
    async Task<(ConmonAttach Attach, Socket Conmon)> ConnectedAsync()
    {
        string path = Path.Combine(_dir, "attach");
        var server = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        _sockets.Add(server);
        server.Bind(new UnixDomainSocketEndPoint(path));
        server.Listen(1);
        var attach = await ConmonAttach.ConnectAsync(path, TimeSpan.FromSeconds(5));
        var conmon = await server.AcceptAsync();
        _sockets.Add(conmon);
        return (attach, conmon);
    }

    [Fact]
    public async Task Pump_copies_each_packet_to_the_stream_its_first_byte_names_until_the_server_closes()
    {
        var (attach, conmon) = await ConnectedAsync();
        await using var _ = attach;
        conmon.Send([ConmonAttach.StdoutPipe, .. "out\n"u8]);
        conmon.Send([ConmonAttach.StderrPipe, .. "err\n"u8]);
        conmon.Send([ConmonAttach.StdoutPipe]); // a packet with no data is skipped
        conmon.Send([9, .. "unknown stream\n"u8]);
        conmon.Send([ConmonAttach.StdoutPipe, .. "more\n"u8]);
        conmon.Close();
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        attach.Pump(new AttachStreams(Stdout: stdout, Stderr: stderr));
        Assert.Equal("out\nmore\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("err\n", Encoding.UTF8.GetString(stderr.ToArray()));
    }

    [Fact]
    public async Task Input_goes_through_the_asynchronous_pump_on_the_same_connection()
    {
        var (attach, conmon) = await ConnectedAsync();
        await using var _ = attach;
        Assert.Throws<ArgumentException>(() => attach.Pump(new AttachStreams(Stdin: new MemoryStream())));
        var pump = attach.PumpAsync(new AttachStreams(Stdin: new MemoryStream("ping"u8.ToArray()), Stdout: new MemoryStream()));
        var buffer = new byte[16];
        int n = await conmon.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("ping", Encoding.UTF8.GetString(buffer, 0, n));
        conmon.Close();
        await pump.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Input_that_arrives_later_reaches_the_server_while_output_is_copied()
    {
        var (attach, conmon) = await ConnectedAsync();
        await using var _ = attach;
        // A pipe's reads complete asynchronously on the pool, so input and output reach the connection from two threads.
        using var input = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        using var stdin = new System.IO.Pipes.AnonymousPipeClientStream(System.IO.Pipes.PipeDirection.In, input.ClientSafePipeHandle);
        var stdout = new MemoryStream();
        var pump = attach.PumpAsync(new AttachStreams(Stdin: stdin, Stdout: stdout));
        conmon.Send([ConmonAttach.StdoutPipe, .. "first\n"u8]);
        await Task.Delay(50);
        input.Write("pong"u8);
        input.Flush();
        var buffer = new byte[16];
        int n = await conmon.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("pong", Encoding.UTF8.GetString(buffer, 0, n));
        conmon.Send([ConmonAttach.StdoutPipe, .. "second\n"u8]);
        conmon.Close();
        input.Dispose();
        await pump.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("first\nsecond\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Throws<InvalidOperationException>(() => attach.Pump(new AttachStreams(Stdout: new MemoryStream())));
    }

    [Fact]
    public async Task Connecting_to_a_socket_that_never_appears_fails_after_the_timeout_naming_it()
    {
        string path = Path.Combine(_dir, "missing");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RuntimeException>(() => ConmonAttach.ConnectAsync(path, TimeSpan.FromMilliseconds(200)));
        Assert.Contains(path, e.Message);
        Assert.InRange(waited.ElapsedMilliseconds, 190, 5000);
    }
}
