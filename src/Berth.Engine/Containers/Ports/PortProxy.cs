using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Berth.Engine.Containers.Ports;

/// <summary>
/// Berth's userland proxy: listens on host addresses and forwards each TCP connection (and UDP datagrams) to
/// 127.0.0.1:containerPort inside a container's network namespace. No bridge, no iptables, no routable address.
/// </summary>
public sealed class PortProxy : IAsyncDisposable
{
    /// <summary>A UDP flow without traffic for this long is forgotten (Docker's proxy uses 90 s).</summary>
    public static readonly TimeSpan UdpIdleTimeout = TimeSpan.FromSeconds(90);

    private readonly string _namespacePath;
    private readonly List<(PortBinding Binding, Socket Listener)> _listeners = [];
    private NetworkNamespaceSockets? _sockets;
    private readonly CancellationTokenSource _stop = new();

    public PortProxy(string networkNamespacePath, IReadOnlyList<PortBinding> bindings)
    {
        _namespacePath = networkNamespacePath;
        Bindings = bindings;
        foreach (var b in bindings)
            if (b.Protocol is not ("tcp" or "udp"))
                throw new InvalidInputException($"cannot publish {b.ContainerPort}/{b.Protocol}: Berth's port proxy forwards tcp and udp only");
    }

    public IReadOnlyList<PortBinding> Bindings { get; }

    /// <summary>Joins the namespace and binds every host address; throws (binding nothing) if any is taken.</summary>
    public void Start()
    {
        _sockets = NetworkNamespaceSockets.Enter(_namespacePath);
        try
        {
            foreach (var b in Bindings)
            {
                var address = IPAddress.Parse(b.HostIp);
                bool udp = b.Protocol == "udp";
                var socket = new Socket(address.AddressFamily, udp ? SocketType.Dgram : SocketType.Stream, udp ? ProtocolType.Udp : ProtocolType.Tcp);
                try
                {
                    if (!udp) socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(new IPEndPoint(address, b.HostPort));
                    if (!udp) socket.Listen(512);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    string family = address.AddressFamily == AddressFamily.InterNetworkV6 ? "6" : "4";
                    throw new ConflictException(
                        $"Error starting userland proxy: listen {b.Protocol}{family} {b.HostIp}:{b.HostPort}: bind: {e.Message.ToLowerInvariant()}");
                }
                _listeners.Add((b, socket));
            }
        }
        catch
        {
            foreach (var (_, s) in _listeners) s.Dispose();
            _listeners.Clear();
            _sockets.Dispose();
            _sockets = null;
            throw;
        }
    }

    /// <summary>Serves until cancelled (or disposed).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_sockets is null) throw new InvalidOperationException("Start the proxy first");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var token = linked.Token;
        var loops = _listeners.Select(l => l.Binding.Protocol == "udp"
            ? ServeUdpAsync(l.Binding, l.Listener, token)
            : ServeTcpAsync(l.Binding, l.Listener, token)).ToList();
        try { await Task.WhenAll(loops).ConfigureAwait(false); }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
    }

    private async Task ServeTcpAsync(PortBinding binding, Socket listener, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptAsync(token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            _ = RelayTcpAsync(client, binding.ContainerPort, token);
        }
    }

    private async Task RelayTcpAsync(Socket client, int containerPort, CancellationToken token)
    {
        Socket? upstream = null;
        try
        {
            upstream = await _sockets!.CreateAsync(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp).ConfigureAwait(false);
            await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, containerPort), token).ConfigureAwait(false);
            client.NoDelay = upstream.NoDelay = true;
            var up = PumpAsync(client, upstream, token);
            var down = PumpAsync(upstream, client, token);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            client.Dispose();
            upstream?.Dispose();
        }
    }

    /// <summary>Copies one direction; on end of stream half-closes the other side, on error closes both.</summary>
    private static async Task PumpAsync(Socket from, Socket to, CancellationToken token)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
                if (n == 0) break;
                int sent = 0;
                while (sent < n) sent += await to.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, token).ConfigureAwait(false);
            }
            try { to.Shutdown(SocketShutdown.Send); } catch (SocketException) { }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            from.Dispose();
            to.Dispose();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed class UdpFlow(Socket upstream)
    {
        public Socket Upstream { get; } = upstream;
        public long LastActivity = Environment.TickCount64;
    }

    private async Task ServeUdpAsync(PortBinding binding, Socket listener, CancellationToken token)
    {
        var flows = new ConcurrentDictionary<EndPoint, UdpFlow>();
        var sweep = SweepUdpAsync(flows, token);
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(listener.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        try
        {
            while (!token.IsCancellationRequested)
            {
                SocketReceiveFromResult received;
                try { received = await listener.ReceiveFromAsync(buffer, SocketFlags.None, any, token).ConfigureAwait(false); }
                catch (SocketException) { continue; }
                var client = received.RemoteEndPoint;
                if (!flows.TryGetValue(client, out var flow))
                {
                    var upstream = await _sockets!.CreateAsync(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp).ConfigureAwait(false);
                    await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, binding.ContainerPort), token).ConfigureAwait(false);
                    flow = new UdpFlow(upstream);
                    flows[client] = flow;
                    _ = ReplyUdpAsync(listener, client, flow, flows, token);
                }
                flow.LastActivity = Environment.TickCount64;
                try { await flow.Upstream.SendAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, token).ConfigureAwait(false); }
                catch (SocketException) { }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            foreach (var flow in flows.Values) flow.Upstream.Dispose();
            await sweep.ConfigureAwait(false);
        }
    }

    private static async Task ReplyUdpAsync(Socket listener, EndPoint client, UdpFlow flow, ConcurrentDictionary<EndPoint, UdpFlow> flows,
        CancellationToken token)
    {
        byte[] buffer = new byte[65536];
        try
        {
            while (true)
            {
                int n = await flow.Upstream.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
                flow.LastActivity = Environment.TickCount64;
                await listener.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, client, token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            flows.TryRemove(new KeyValuePair<EndPoint, UdpFlow>(client, flow));
            flow.Upstream.Dispose();
        }
    }

    private static async Task SweepUdpAsync(ConcurrentDictionary<EndPoint, UdpFlow> flows, CancellationToken token)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), token).ConfigureAwait(false);
                long now = Environment.TickCount64;
                foreach (var (client, flow) in flows)
                    if (now - flow.LastActivity > UdpIdleTimeout.TotalMilliseconds && flows.TryRemove(client, out _))
                        flow.Upstream.Dispose();
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var (_, s) in _listeners) s.Dispose();
        _listeners.Clear();
        _sockets?.Dispose();
        _sockets = null;
        _stop.Dispose();
    }
}
