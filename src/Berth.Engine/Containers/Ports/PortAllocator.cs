using System.Net;
using System.Net.Sockets;

namespace Berth.Engine.Containers.Ports;

/// <summary>Chooses concrete host ports for publications: the given one, a free one (port 0), or a free one in a range.</summary>
/// <remarks>
/// A free port is found by binding and closing a socket, so another process could take it before the proxy binds
/// it; the proxy then fails to start with a clear message, as Docker's does when a port is taken.
/// </remarks>
public static class PortAllocator
{
    public static IReadOnlyList<PortBinding> Allocate(IEnumerable<PortMapping> mappings)
    {
        var result = new List<PortBinding>();
        var taken = new HashSet<(string, int, string)>();
        foreach (var m in mappings)
        {
            int port;
            if (m.HostPortStart != 0 && m.HostPortStart == m.HostPortEnd) port = m.HostPortStart;
            else if (m.HostPortStart == 0) port = FreePort(m.HostIp, m.Protocol, 0);
            else
            {
                port = 0;
                for (int p = m.HostPortStart; p <= m.HostPortEnd && port == 0; p++)
                    if (!taken.Contains((m.HostIp, p, m.Protocol)) && FreePort(m.HostIp, m.Protocol, p) is var free and > 0) port = free;
                if (port == 0)
                    throw new ConflictException($"Bind for {m.HostIp}:{m.HostPortText} failed: port is already allocated");
            }
            if (!taken.Add((m.HostIp, port, m.Protocol)))
                throw new ConflictException($"Bind for {m.HostIp}:{port} failed: port is already allocated");
            result.Add(new PortBinding(m.HostIp, port, m.ContainerPort, m.Protocol));
        }
        return result;
    }

    /// <summary>Binds <paramref name="port"/> (0: any) on the address and returns the port bound, or 0 if it is in use.</summary>
    private static int FreePort(string ip, string protocol, int port)
    {
        var address = IPAddress.Parse(ip);
        bool udp = protocol == "udp";
        using var socket = new Socket(address.AddressFamily, udp ? SocketType.Dgram : SocketType.Stream, udp ? ProtocolType.Udp : ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return ((IPEndPoint)socket.LocalEndPoint!).Port;
        }
        catch (SocketException) when (port != 0)
        {
            return 0;
        }
    }
}
