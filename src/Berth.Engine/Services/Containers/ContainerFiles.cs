using System.Text;

namespace Berth.Engine.Services.Containers;

/// <summary>The /etc/hosts, /etc/hostname and /etc/resolv.conf Docker writes for a container (bind-mounted over the image's).</summary>
public static class ContainerFiles
{
    const string DefaultHosts =
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

    public static string Hosts(string networkMode) =>
        networkMode == "host" && File.Exists("/etc/hosts") ? File.ReadAllText("/etc/hosts") : DefaultHosts;

    /// <summary>The host's resolv.conf; outside the host network without its localhost nameservers (unreachable from the container's own namespace), and Google's servers when none remain, as Docker does.</summary>
    public static string ResolvConf(string networkMode)
    {
        string host = File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : "";
        if (networkMode == "host") return host;
        var sb = new StringBuilder();
        bool anyServer = false;
        foreach (var line in host.Split('\n'))
        {
            var fields = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0] == "nameserver")
            {
                if (fields[1].StartsWith("127.", StringComparison.Ordinal) || fields[1] == "::1") continue;
                anyServer = true;
            }
            if (line.Length > 0) sb.Append(line).Append('\n');
        }
        if (!anyServer) sb.Append("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        return sb.ToString();
    }
}
