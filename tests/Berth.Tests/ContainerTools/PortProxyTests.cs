using System.Net;
using System.Net.Sockets;
using Berth.Engine;
using Berth.Engine.Containers.Ports;
using Berth.Engine.Runtime;
using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.ContainerTools;

/// <summary>
/// Published ports for a container in its own loopback-only network namespace: busybox httpd inside answers curl
/// on 127.0.0.1:PORT through the proxy (in process and as a detached berth process), and UDP is relayed.
/// </summary>
public class PortProxyTests
{
    /// <summary>Runs busybox httpd on port 80 in a runc container with NetworkMode.Private; returns the container pid.</summary>
    private static async Task<int> StartHttpd(TestContainer c, string body)
    {
        File.CreateSymbolicLink(Path.Combine(c.Rootfs, "bin/httpd"), "busybox");
        Directory.CreateDirectory(Path.Combine(c.Rootfs, "www"));
        File.WriteAllText(Path.Combine(c.Rootfs, "www/index.html"), body);
        c.WriteSpec(r => r with { Network = NetworkMode.Private }, "httpd", "-f", "-p", "80", "-h", "/www");
        var created = await c.Monitor.CreateAsync(new MonitorOptions
        {
            ContainerId = c.Id, BundlePath = c.Bundle, LogPath = c.LogPath, ExitDir = c.ExitDir,
        });
        c.MonitorPids.Add(created.MonitorPid);
        await c.Runtime.StartAsync(c.Id);
        // httpd binds right after exec; wait until the namespace has a listener on :80 (0050 in hex, state 0A), v4 or v6.
        Assert.True(await TestContainer.WaitUntil(() =>
            (File.ReadAllText($"/proc/{created.Pid}/net/tcp") + File.ReadAllText($"/proc/{created.Pid}/net/tcp6"))
                .Split('\n').Any(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var local, _, "0A", ..] && local.EndsWith(":0050"))),
            "httpd did not start listening in the container");
        return created.Pid;
    }

    private static string Curl(int port)
    {
        var r = ProcessRunner.Run("curl", ["-sS", "--max-time", "10", $"http://127.0.0.1:{port}/index.html"]);
        Assert.True(r.ExitCode == 0, $"curl exited {r.ExitCode}: {r.Stderr}");
        return r.Stdout;
    }

    [Fact]
    public async Task Curl_on_the_host_reaches_httpd_in_the_container_through_the_proxy()
    {
        await using var c = new TestContainer();
        int pid = await StartHttpd(c, "hello from the container\n");
        // Without the proxy nothing on the host answers for the container.
        var binding = Assert.Single(PortAllocator.Allocate(PortMapping.Parse("80")));
        Assert.Equal("127.0.0.1", binding.HostIp);
        await using var proxy = new PortProxy($"/proc/{pid}/ns/net", [binding]);
        proxy.Start();
        using var cts = new CancellationTokenSource();
        var run = proxy.RunAsync(cts.Token);
        for (int i = 0; i < 3; i++) Assert.Equal("hello from the container\n", Curl(binding.HostPort));
        cts.Cancel();
        await run;
    }

    [Fact]
    public async Task A_taken_host_port_fails_the_start_with_dockers_words()
    {
        await using var c = new TestContainer();
        int pid = await StartHttpd(c, "x");
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;
        await using var proxy = new PortProxy($"/proc/{pid}/ns/net", [new PortBinding("127.0.0.1", port, 80, "tcp")]);
        var e = Assert.Throws<ConflictException>(proxy.Start);
        Assert.Equal($"Error starting userland proxy: listen tcp4 127.0.0.1:{port}: bind: address already in use", e.Message);
    }

    [Fact]
    public async Task Udp_datagrams_are_relayed_both_ways()
    {
        await using var c = new TestContainer();
        c.WriteSpec(r => r with { Network = NetworkMode.Private }, "sleep", "1000");
        var created = await c.Monitor.CreateAsync(new MonitorOptions { ContainerId = c.Id, BundlePath = c.Bundle, LogPath = c.LogPath, ExitDir = c.ExitDir });
        c.MonitorPids.Add(created.MonitorPid);
        await c.Runtime.StartAsync(c.Id);
        string netns = $"/proc/{created.Pid}/ns/net";

        // A UDP echo server living in the container's namespace (its socket made there by the same mechanism).
        using var inside = NetworkNamespaceSockets.Enter(netns);
        using var echo = await inside.CreateAsync(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 5353));
        using var stopEcho = new CancellationTokenSource();
        var echoLoop = Task.Run(async () =>
        {
            var buffer = new byte[2048];
            try
            {
                while (true)
                {
                    var r = await echo.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stopEcho.Token);
                    await echo.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes).ToArray().Reverse().ToArray(), SocketFlags.None, r.RemoteEndPoint);
                }
            }
            catch (OperationCanceledException) { }
        });

        var binding = Assert.Single(PortAllocator.Allocate(PortMapping.Parse("5353/udp")));
        await using var proxy = new PortProxy(netns, [binding]);
        proxy.Start();
        using var cts = new CancellationTokenSource();
        var run = proxy.RunAsync(cts.Token);
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Connect(IPAddress.Loopback, binding.HostPort);
        await client.SendAsync("ping"u8.ToArray());
        var reply = await client.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("gnip", System.Text.Encoding.ASCII.GetString(reply.Buffer));
        cts.Cancel();
        await run;
        stopEcho.Cancel();
        await echoLoop;
    }

    [Fact]
    public async Task The_detached_proxy_process_serves_until_stopped_and_exits_with_the_container()
    {
        await using var c = new TestContainer();
        int pid = await StartHttpd(c, "served by the proxy process\n");
        var binding = Assert.Single(PortAllocator.Allocate(PortMapping.Parse("127.0.0.1::80")));
        string pidFile = Path.Combine(c.Dir, "proxy.pid"), log = Path.Combine(c.Dir, "proxy.log");

        int proxyPid = await PortProxyProcess.StartAsync($"/proc/{pid}/ns/net", [binding], pidFile, log, exitWithPid: pid);
        try
        {
            Assert.Equal(proxyPid, PortProxyProcess.RunningPid(pidFile));
            Assert.Equal("served by the proxy process\n", Curl(binding.HostPort));
            Assert.True(await PortProxyProcess.StopAsync(pidFile));
            Assert.Null(PortProxyProcess.RunningPid(pidFile));
            Assert.False(File.Exists(pidFile));
            Assert.NotEqual(0, ProcessRunner.Run("curl", ["-sS", "--max-time", "5", $"http://127.0.0.1:{binding.HostPort}/"]).ExitCode);

            // Started again, it goes away by itself when the container's process dies.
            proxyPid = await PortProxyProcess.StartAsync($"/proc/{pid}/ns/net", [binding], pidFile, log, exitWithPid: pid);
            await c.Runtime.KillAsync(c.Id, "SIGKILL");
            Assert.True(await TestContainer.WaitUntil(() => PortProxyProcess.RunningPid(pidFile) is null, 15_000),
                "the proxy should exit once the container is gone");
        }
        finally
        {
            await PortProxyProcess.StopAsync(pidFile);
        }
    }

    [Fact]
    public async Task A_proxy_process_that_cannot_bind_reports_why()
    {
        await using var c = new TestContainer();
        int pid = await StartHttpd(c, "x");
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;
        string pidFile = Path.Combine(c.Dir, "proxy.pid");
        var e = await Assert.ThrowsAsync<BerthException>(() =>
            PortProxyProcess.StartAsync($"/proc/{pid}/ns/net", [new PortBinding("127.0.0.1", port, 80, "tcp")], pidFile, Path.Combine(c.Dir, "proxy.log")));
        Assert.Equal($"Error starting userland proxy: listen tcp4 127.0.0.1:{port}: bind: address already in use", e.Message);
    }
}
