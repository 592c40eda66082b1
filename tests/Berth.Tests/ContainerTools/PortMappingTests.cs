using Berth.Engine;
using Berth.Engine.Containers.Ports;

namespace Berth.Tests.ContainerTools;

/// <summary>-p parsing with Docker's rules (go-connections ParsePortSpec), Berth's 127.0.0.1 default, and host port allocation.</summary>
public class PortMappingTests
{
    [Theory]
    [InlineData("80", "127.0.0.1", 0, 0, 80, "tcp")]
    [InlineData("8080:80", "127.0.0.1", 8080, 8080, 80, "tcp")]
    [InlineData("0.0.0.0:8080:80/udp", "0.0.0.0", 8080, 8080, 80, "udp")]
    [InlineData("127.0.0.1::80", "127.0.0.1", 0, 0, 80, "tcp")]
    [InlineData("[::1]:8080:80", "::1", 8080, 8080, 80, "tcp")]
    [InlineData("::1:8080:80", "::1", 8080, 8080, 80, "tcp")]
    [InlineData("8000-8010:80", "127.0.0.1", 8000, 8010, 80, "tcp")]
    [InlineData("53/UDP", "127.0.0.1", 0, 0, 53, "udp")]
    [InlineData("80/", "127.0.0.1", 0, 0, 80, "tcp")]
    [InlineData("9/sctp", "127.0.0.1", 0, 0, 9, "sctp")]
    public void One_container_port(string spec, string ip, int hostStart, int hostEnd, int containerPort, string proto)
    {
        var m = Assert.Single(PortMapping.Parse(spec));
        Assert.Equal(new PortMapping(ip, hostStart, hostEnd, containerPort, proto), m);
    }

    [Fact]
    public void Ranges_are_expanded_pairwise()
    {
        var ms = PortMapping.Parse("127.0.0.2:8000-8002:80-82/udp");
        Assert.Equal([
            new PortMapping("127.0.0.2", 8000, 8000, 80, "udp"),
            new PortMapping("127.0.0.2", 8001, 8001, 81, "udp"),
            new PortMapping("127.0.0.2", 8002, 8002, 82, "udp"),
        ], ms);
        Assert.Equal(["80/tcp", "81/tcp"], PortMapping.Parse("80-81").Select(m => m.ContainerPortKey));
        Assert.Equal("8000-8010", PortMapping.Parse("8000-8010:80")[0].HostPortText);
        Assert.Equal("", PortMapping.Parse("80")[0].HostPortText);
    }

    [Theory]
    [InlineData("", "No port specified: <empty>")]
    [InlineData("8080:", "No port specified: 8080:<empty>")]
    [InlineData("abc", "Invalid containerPort: abc")]
    [InlineData("70000", "Invalid containerPort: 70000")]
    [InlineData("90-80", "Invalid containerPort: 90-80")]
    [InlineData("x:80", "Invalid hostPort: x")]
    [InlineData("1.2.3:80:80", "Invalid ip address: 1.2.3")]
    [InlineData("8000-8001:80-82", "Invalid ranges specified for container and host Ports: 80-82 and 8000-8001")]
    [InlineData("80/icmp", "Invalid proto: icmp")]
    public void Malformed_specs_get_dockers_message(string spec, string message)
    {
        var e = Assert.Throws<InvalidInputException>(() => PortMapping.Parse(spec));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Bindings_round_trip_through_their_text_form()
    {
        foreach (var b in new[] { new PortBinding("127.0.0.1", 8080, 80, "tcp"), new PortBinding("::1", 9000, 53, "udp") })
            Assert.Equal(b, PortBinding.Parse(b.ToString()));
        Assert.Equal("80/tcp -> 127.0.0.1:8080", new PortBinding("127.0.0.1", 8080, 80, "tcp").DockerPortLine());
        Assert.Throws<InvalidInputException>(() => PortBinding.Parse("80"));
    }

    [Fact]
    public void Allocation_picks_free_ports_and_keeps_given_ones()
    {
        var bindings = PortAllocator.Allocate(PortMapping.ParseAll(["80", "127.0.0.1::81/udp", "40123:82"]));
        Assert.InRange(bindings[0].HostPort, 1024, 65535);
        Assert.Equal("127.0.0.1", bindings[0].HostIp);
        Assert.Equal("udp", bindings[1].Protocol);
        Assert.NotEqual(0, bindings[1].HostPort);
        Assert.Equal(40123, bindings[2].HostPort);
    }

    [Fact]
    public void A_host_range_for_one_port_takes_the_first_free_port_in_it()
    {
        // A taken port whose next one is free: the kernel's pick for `busy` can have a neighbour in use by another test's
        // connection (a CI failure), so the neighbour is checked, and another pair tried when it is not free.
        System.Net.Sockets.TcpListener? busy = null;
        int taken = 0;
        for (int attempt = 0; attempt < 50 && busy is null; attempt++)
        {
            var candidate = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            candidate.Start();
            taken = ((System.Net.IPEndPoint)candidate.LocalEndpoint).Port;
            if (taken < 65535 && PortIsFree(taken + 1)) busy = candidate;
            else candidate.Stop();
        }
        Assert.NotNull(busy);
        using var held = busy;
        var b = Assert.Single(PortAllocator.Allocate(PortMapping.Parse($"{taken}-{taken + 1}:80")));
        Assert.Equal(taken + 1, b.HostPort);
        var e = Assert.Throws<ConflictException>(() => PortAllocator.Allocate(PortMapping.ParseAll(["40124:80", "40124:81"])));
        Assert.Equal("Bind for 127.0.0.1:40124 failed: port is already allocated", e.Message);
    }

    static bool PortIsFree(int port)
    {
        try
        {
            var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
    }
}

/// <summary>The proxy's CLI verb exists for the engine and stays out of the user's help.</summary>
public class InternalCommandTests
{
    [Fact]
    public async Task Internal_verbs_are_hidden_from_help_and_check_their_arguments()
    {
        using var store = new Berth.Tests.Support.TempStore();
        var help = await store.CliAsync("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.DoesNotContain("internal", help.Stdout);
        var bad = await store.CliAsync("internal", "port-proxy", "--netns", "/nonexistent/ns", "--pid-file", "/tmp/x.pid", "--publish", "80");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("must name one host port and one container port", bad.Stderr);
    }
}
