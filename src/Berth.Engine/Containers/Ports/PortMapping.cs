using System.Globalization;
using System.Net;

namespace Berth.Engine.Containers.Ports;

/// <summary>
/// One <c>-p [ip:][hostPort:]containerPort[/proto]</c> publication for one container port, parsed with Docker's
/// rules (go-connections nat.ParsePortSpec). A host port of 0 means "any free port"; a host range with a single
/// container port means "any free port in that range".
/// </summary>
/// <param name="HostIp">Address to listen on; Berth publishes on 127.0.0.1 unless an address is given (Docker: 0.0.0.0).</param>
public sealed record PortMapping(string HostIp, int HostPortStart, int HostPortEnd, int ContainerPort, string Protocol)
{
    /// <summary>Berth's default listening address: loopback only, where Docker listens on every interface.</summary>
    public const string DefaultHostIp = "127.0.0.1";

    /// <summary>Docker's key for the container side: <c>80/tcp</c>.</summary>
    public string ContainerPortKey => $"{ContainerPort}/{Protocol}";

    /// <summary>The host port as Docker shows it in HostConfig.PortBindings: "" for any, "8000-8010" for a range.</summary>
    public string HostPortText => HostPortStart == 0 ? "" :
        HostPortStart == HostPortEnd ? HostPortStart.ToString(CultureInfo.InvariantCulture) : $"{HostPortStart}-{HostPortEnd}";

    /// <summary>Parses one <c>-p</c> value into one mapping per container port (ranges are expanded).</summary>
    /// <exception cref="InvalidInputException">Docker's message for the malformed part.</exception>
    public static IReadOnlyList<PortMapping> Parse(string spec)
    {
        var (ip, hostPort, containerPart) = SplitParts(spec);
        var (proto, containerPort) = SplitProtoPort(containerPart);
        if (ip.Length > 0 && ip[0] == '[')
        {
            if (!ip.EndsWith(']')) throw new InvalidInputException($"Invalid ip address {ip}: address {ip}:: missing ']' in address");
            ip = ip[1..^1];
        }
        if (ip.Length > 0 && !IsIpAddress(ip)) throw new InvalidInputException($"Invalid ip address: {ip}");
        if (containerPort.Length == 0) throw new InvalidInputException($"No port specified: {spec}<empty>");
        if (!TryParseRange(containerPort, out int start, out int end)) throw new InvalidInputException($"Invalid containerPort: {containerPort}");
        int hostStart = 0, hostEnd = 0;
        if (hostPort.Length > 0 && !TryParseRange(hostPort, out hostStart, out hostEnd))
            throw new InvalidInputException($"Invalid hostPort: {hostPort}");
        if (hostPort.Length > 0 && end - start != hostEnd - hostStart && end != start)
            throw new InvalidInputException($"Invalid ranges specified for container and host Ports: {containerPort} and {hostPort}");
        proto = proto.ToLowerInvariant();
        if (proto is not ("tcp" or "udp" or "sctp")) throw new InvalidInputException($"Invalid proto: {proto}");
        if (ip.Length == 0) ip = DefaultHostIp;

        var result = new List<PortMapping>();
        for (int i = 0; i <= end - start; i++)
        {
            int hs = 0, he = 0;
            if (hostPort.Length > 0)
            {
                if (start == end) { hs = hostStart; he = hostEnd; }   // one container port: any host port of the range
                else { hs = he = hostStart + i; }
            }
            result.Add(new PortMapping(ip, hs, he, start + i, proto));
        }
        return result;
    }

    /// <summary>All <c>-p</c> values of a command line.</summary>
    public static IReadOnlyList<PortMapping> ParseAll(IEnumerable<string> specs) => [.. specs.SelectMany(Parse)];

    /// <summary>Go's net.ParseIP: dotted-quad IPv4 (no short forms such as 1.2.3) or IPv6.</summary>
    private static bool IsIpAddress(string text) =>
        text.Contains(':')
            ? IPAddress.TryParse(text, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            : text.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255);

    private static (string Ip, string HostPort, string ContainerPort) SplitParts(string raw)
    {
        var parts = raw.Split(':');
        int n = parts.Length;
        return n switch
        {
            1 => ("", "", parts[0]),
            2 => ("", parts[0], parts[1]),
            3 => (parts[0], parts[1], parts[2]),
            _ => (string.Join(':', parts[..(n - 2)]), parts[n - 2], parts[n - 1]),
        };
    }

    private static (string Proto, string Port) SplitProtoPort(string raw)
    {
        var parts = raw.Split('/');
        if (raw.Length == 0 || parts[0].Length == 0) return ("", "");
        if (parts.Length == 1) return ("tcp", raw);
        if (parts[1].Length == 0) return ("tcp", parts[0]);
        return (parts[1], parts[0]);
    }

    /// <summary>Go's ParsePortRange: "80" or "8000-8010", each 0..65535 (ParseUint base 10, 16 bits).</summary>
    internal static bool TryParseRange(string text, out int start, out int end)
    {
        start = end = 0;
        if (text.Length == 0) return false;
        if (!text.Contains('-')) { bool ok = TryPort(text, out start); end = start; return ok; }
        var parts = text.Split('-');
        if (!TryPort(parts[0], out start) || !TryPort(parts[1], out end)) return false;
        return end >= start;
    }

    private static bool TryPort(string text, out int port)
    {
        port = 0;
        if (text.Length == 0 || text.Length > 5 || !text.All(char.IsAsciiDigit)) return false;
        port = int.Parse(text, CultureInfo.InvariantCulture);
        return port <= 65535;
    }
}

/// <summary>A publication with its host port chosen: what the proxy listens on and what <c>port</c>/inspect show.</summary>
public sealed record PortBinding(string HostIp, int HostPort, int ContainerPort, string Protocol)
{
    /// <summary>The form the internal proxy command takes: <c>127.0.0.1:8080:80/tcp</c>, <c>[::1]:8080:80/udp</c>.</summary>
    public override string ToString() =>
        $"{(HostIp.Contains(':') ? "[" + HostIp + "]" : HostIp)}:{HostPort}:{ContainerPort}/{Protocol}";

    /// <summary>Parses <see cref="ToString"/>'s form.</summary>
    public static PortBinding Parse(string text)
    {
        var mappings = PortMapping.Parse(text);
        if (mappings is not [var m] || m.HostPortStart == 0 || m.HostPortStart != m.HostPortEnd)
            throw new InvalidInputException($"port binding {text} must name one host port and one container port");
        return new PortBinding(m.HostIp, m.HostPortStart, m.ContainerPort, m.Protocol);
    }

    /// <summary>As <c>docker port</c> prints it: <c>80/tcp -&gt; 127.0.0.1:8080</c>.</summary>
    public string DockerPortLine() =>
        $"{ContainerPort}/{Protocol} -> {(HostIp.Contains(':') ? "[" + HostIp + "]" : HostIp)}:{HostPort}";
}
