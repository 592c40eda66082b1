using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Berth.Engine.Runtime;

/// <summary>Where an attached client's bytes go and come from; null streams are not attached.</summary>
public sealed record AttachStreams(Stream? Stdin = null, Stream? Stdout = null, Stream? Stderr = null);

/// <summary>
/// Client side of conmon's attach socket (the protocol podman speaks): a SOCK_SEQPACKET unix socket; every packet conmon
/// sends is one read of the container's output prefixed with one byte naming the stream (2 stdout, 3 stderr) — at most
/// 8192 bytes of data, so a buffer of 8193 reads each packet whole. Bytes the client sends are written raw to the container's
/// stdin; shutting down our sending side closes the container's stdin (unless conmon was told --leave-stdin-open).
/// </summary>
public sealed class ConmonAttach : IAsyncDisposable
{
    public const byte StdinPipe = 1, StdoutPipe = 2, StderrPipe = 3;
    private const int BufferSize = 8192 + 1;

    // The connection as a raw descriptor until something uses it asynchronously: Pump reads it as it is.
    private readonly SocketDescriptor _connection;

    private ConmonAttach(int fd) => _connection = new SocketDescriptor(fd);

    private Socket Socket => _connection.Socket;

    private const int ENOENT = 2, ECONNRESET = 104, ECONNREFUSED = 111;

    /// <summary>Connects to an attach socket (waits up to <paramref name="timeout"/> for conmon to create it).</summary>
    public static async Task<ConmonAttach> ConnectAsync(string socketPath, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A raw descriptor (see NativeProcess.ConnectUnixSeqpacket); connecting to a listening unix socket does not wait
            // unless its backlog is full, which conmon's single client never fills.
            int fd = NativeProcess.ConnectUnixSeqpacket(socketPath);
            if (fd >= 0) return new ConmonAttach(fd);
            int errno = Marshal.GetLastPInvokeError();
            // Not there yet (conmon makes it as it starts) or not listening yet: try again until the deadline.
            if (errno is not (ENOENT or ECONNREFUSED) || DateTime.UtcNow >= deadline)
                throw new RuntimeException($"cannot attach to {socketPath}: {Marshal.GetPInvokeErrorMessage(errno)}");
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Copies output to the streams until conmon closes the socket (the container exited or conmon stopped), while
    /// feeding <see cref="AttachStreams.Stdin"/> to the container. Cancelling detaches without touching the container.
    /// </summary>
    public async Task PumpAsync(AttachStreams streams, CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task input = streams.Stdin is null ? Task.CompletedTask : SendInputAsync(streams.Stdin, stop.Token);
        try
        {
            var buffer = new byte[BufferSize];
            while (true)
            {
                int n;
                try
                {
                    n = await Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
                {
                    break;
                }
                if (n == 0) break;
                if (OutputOf(buffer, n, streams) is not { } target) continue;
                await target.WriteAsync(buffer.AsMemory(1, n - 1), cancellationToken).ConfigureAwait(false);
                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            // A read from a terminal or a pipe does not end on cancellation: once the output has ended, give the input a
            // moment to finish and leave a read that is still blocked behind (it ends with the process or the next input).
            try { await input.WaitAsync(InputGrace, CancellationToken.None).ConfigureAwait(false); }
            catch (TimeoutException) { _ = input.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default); }
            catch (OperationCanceledException) { }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }
    }

    /// <summary>
    /// <see cref="PumpAsync"/> for a client without input, on the calling thread, for a connection not used asynchronously
    /// before (a blocking descriptor): the output is copied with blocking reads until conmon closes the socket. A short
    /// attached `run` then starts none of the threads asynchronous sockets need (the sockets engine's event loop,
    /// thread-pool workers and their gate thread, the timer thread), which cost it ~6-8 ms of CPU on two cores.
    /// Cancelling shuts the socket down, which ends the read, and then throws as <see cref="PumpAsync"/> does.
    /// </summary>
    public void Pump(AttachStreams streams, CancellationToken cancellationToken = default)
    {
        if (streams.Stdin is not null) throw new ArgumentException("Pump copies output only: use PumpAsync for input", nameof(streams));
        int fd = _connection.Raw ?? throw new InvalidOperationException("Pump after an asynchronous use of the connection");
        using var stop = cancellationToken.Register(() => NativeProcess.ShutdownSocket(fd));
        var buffer = new byte[BufferSize];
        while (!cancellationToken.IsCancellationRequested)
        {
            // One packet per read; its end, a reset by conmon or our shutdown (cancellation) ends the copy.
            int n = NativeProcess.Read(fd, buffer);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == ECONNRESET || cancellationToken.IsCancellationRequested) break;
                throw new RuntimeException($"cannot read the container's output: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            if (n == 0) break;
            if (OutputOf(buffer, n, streams) is not { } target) continue;
            target.Write(buffer, 1, n - 1);
            target.Flush();
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Where a packet of <paramref name="length"/> bytes goes: the stream its first byte names; null for a packet without data, an unknown stream or one not attached.</summary>
    static Stream? OutputOf(byte[] packet, int length, AttachStreams streams) => length < 2 ? null : packet[0] switch
    {
        StdoutPipe => streams.Stdout,
        StderrPipe => streams.Stderr,
        _ => null,
    };

    static readonly TimeSpan InputGrace = TimeSpan.FromMilliseconds(200);

    private async Task SendInputAsync(Stream stdin, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize - 1];
        while (true)
        {
            int n = await stdin.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            await Socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        // End of our input: conmon closes the container's stdin.
        Socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Sends raw bytes to the container's stdin.</summary>
    public ValueTask<int> WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        Socket.SendAsync(data, SocketFlags.None, cancellationToken);

    /// <summary>Closes the container's stdin (conmon closes it when the client shuts down its sending side).</summary>
    public void CloseStdin() => Socket.Shutdown(SocketShutdown.Send);

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}
