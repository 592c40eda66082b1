using Berth.Engine.Containers.Ports;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    string ProxyPidFile(string id) => Path.Combine(ContainerDirectory(id), "port-proxy.pid");

    /// <summary>
    /// Starts the port proxy that forwards the published host ports into the container's network namespace (none on the
    /// host network, where the container binds host ports itself); it exits by itself with the container's init.
    /// </summary>
    async Task StartPortProxyAsync(ContainerRecord container, int pid, CancellationToken cancellationToken)
    {
        if (container.Settings.Ports.Count == 0 || container.Settings.HostConfig.NetworkMode == "host") return;
        await PortProxyProcess.StartAsync($"/proc/{pid}/ns/net", container.Settings.Ports, ProxyPidFile(container.Id),
            Path.Combine(ContainerDirectory(container.Id), "port-proxy.log"), pid, cancellationToken).ConfigureAwait(false);
    }

    Task StopPortProxyAsync(string id) => PortProxyProcess.StopAsync(ProxyPidFile(id), TimeSpan.FromSeconds(2));
}
