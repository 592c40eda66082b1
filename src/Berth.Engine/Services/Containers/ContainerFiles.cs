using System.Text;

namespace Berth.Engine.Services.Containers;

/// <summary>The /etc/hosts, /etc/hostname and /etc/resolv.conf Docker writes for a container (bind-mounted over the image's).</summary>
public static class ContainerFiles
{
    const string DefaultHosts =
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

    /// <summary>
    /// The host's hosts file in the host network, else Docker's defaults; then a line "ADDRESS\tNAME" per --add-host
    /// entry ("name:address", the address "host-gateway" standing for the host), as Docker appends them.
    /// </summary>
    public static string Hosts(string networkMode, IReadOnlyList<string>? extraHosts = null)
    {
        var sb = new StringBuilder(networkMode == "host" && File.Exists("/etc/hosts") ? File.ReadAllText("/etc/hosts") : DefaultHosts);
        if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
        foreach (string entry in extraHosts ?? [])
        {
            int colon = entry.IndexOf(':');
            string address = entry[(colon + 1)..];
            if (address == HostFlagParsers.HostGateway) address = HostFlagParsers.HostGatewayAddress(networkMode);
            sb.Append(address).Append('\t').Append(entry[..colon]).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// The host's resolv.conf; outside the host network without its localhost nameservers (unreachable from the
    /// container's own namespace), and Google's servers when none remain, as Docker does. --dns, --dns-search and
    /// --dns-option each replace the host's lines of their kind (a search of "." alone means no search domains).
    /// </summary>
    public static string ResolvConf(string networkMode, IReadOnlyList<string>? dns = null, IReadOnlyList<string>? search = null,
        IReadOnlyList<string>? options = null)
    {
        dns ??= [];
        search ??= [];
        options ??= [];
        string host = File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : "";
        if (networkMode == "host" && dns.Count == 0 && search.Count == 0 && options.Count == 0) return host;
        var sb = new StringBuilder();
        bool anyServer = false;
        foreach (var line in host.Split('\n'))
        {
            var fields = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            string kind = fields.Length > 0 ? fields[0] : "";
            if (kind == "nameserver")
            {
                if (dns.Count > 0) continue;
                if (networkMode != "host" && fields.Length >= 2 && (fields[1].StartsWith("127.", StringComparison.Ordinal) || fields[1] == "::1")) continue;
                anyServer = true;
            }
            if ((kind is "search" or "domain" && search.Count > 0) || (kind == "options" && options.Count > 0)) continue;
            if (line.Length > 0) sb.Append(line).Append('\n');
        }
        foreach (string server in dns) sb.Append("nameserver ").Append(server).Append('\n');
        if (dns.Count == 0 && !anyServer && networkMode != "host") sb.Append("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        if (search.Count > 0 && !(search.Count == 1 && search[0] == ".")) sb.Append("search ").Append(string.Join(' ', search.Where(d => d != "."))).Append('\n');
        if (options.Count > 0) sb.Append("options ").Append(string.Join(' ', options)).Append('\n');
        return sb.ToString();
    }
}
