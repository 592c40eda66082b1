using System.Net.Sockets;
using System.Text;
using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>The client side of conmon's attach socket against a stand-in server (a SOCK_SEQPACKET unix socket).</summary>
public sealed class ConmonAttachTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("berth-attach-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    Socket Listen(string path)
    {
        var server = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(path));
        server.Listen(1);
        return server;
    }

    [Fact]
    public async Task Pump_copies_each_packet_to_the_stream_its_first_byte_names_until_the_server_closes()
    {
        string path = Path.Combine(_dir, "attach");
        using var server = Listen(path);
        await using var attach = await ConmonAttach.ConnectAsync(path, TimeSpan.FromSeconds(5));
        using var conmon = await server.AcceptAsync();
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
        string path = Path.Combine(_dir, "attach");
        using var server = Listen(path);
        await using var attach = await ConmonAttach.ConnectAsync(path, TimeSpan.FromSeconds(5));
        using var conmon = await server.AcceptAsync();
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
        string path = Path.Combine(_dir, "attach");
        using var server = Listen(path);
        await using var attach = await ConmonAttach.ConnectAsync(path, TimeSpan.FromSeconds(5));
        using var conmon = await server.AcceptAsync();
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
