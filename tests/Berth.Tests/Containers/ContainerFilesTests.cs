using Berth.Engine;
using Berth.Engine.Services.Containers;

namespace Berth.Tests.Containers;

/// <summary>/etc/hosts with --add-host and /etc/resolv.conf with --dns, --dns-search and --dns-option.</summary>
public class ContainerFilesTests
{
    [Fact]
    public void Added_hosts_follow_dockers_default_lines()
    {
        string hosts = ContainerFiles.Hosts("none", ["db:203.0.113.7", "v6:2001:db8::1"]);
        Assert.StartsWith("127.0.0.1\tlocalhost\n", hosts);
        Assert.EndsWith("ff02::2\tip6-allrouters\n203.0.113.7\tdb\n2001:db8::1\tv6\n", hosts);
    }

    [Fact]
    public void Host_gateway_is_the_hosts_loopback_in_the_host_network()
    {
        Assert.EndsWith("127.0.0.1\tgw\n", ContainerFiles.Hosts("host", ["gw:host-gateway"]));
        Assert.Throws<InvalidInputException>(() => ContainerFiles.Hosts("default", ["gw:host-gateway"]));
    }

    [Fact]
    public void Dns_flags_replace_the_hosts_lines_of_their_kind()
    {
        string resolv = ContainerFiles.ResolvConf("none", ["203.0.113.53", "2001:db8::53"], ["example.com", "example.org"], ["ndots:2", "rotate"]);
        var lines = resolv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["nameserver 203.0.113.53", "nameserver 2001:db8::53"], lines.Where(l => l.StartsWith("nameserver ")));
        Assert.Equal(["search example.com example.org"], lines.Where(l => l.StartsWith("search ") || l.StartsWith("domain ")));
        Assert.Equal(["options ndots:2 rotate"], lines.Where(l => l.StartsWith("options ")));
    }

    [Fact]
    public void A_search_of_a_dot_alone_means_no_search_domains()
    {
        string resolv = ContainerFiles.ResolvConf("none", search: ["."]);
        Assert.DoesNotContain("search ", resolv);
        Assert.DoesNotContain("domain ", resolv);
        Assert.Contains("nameserver ", resolv);
    }

    [Fact]
    public void Without_dns_flags_the_host_network_gets_the_hosts_file_as_it_is()
    {
        string host = File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : "";
        Assert.Equal(host, ContainerFiles.ResolvConf("host"));
    }
}
