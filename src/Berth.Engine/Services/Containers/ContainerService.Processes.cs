using Berth.Engine.Containers.Processes;
using Berth.Engine.Containers.Stats;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    /// <summary><c>top CONTAINER [ps OPTIONS]</c>: the host's ps over the processes in the container's cgroup.</summary>
    /// <exception cref="ConflictException">The container is not running (Docker's message).</exception>
    public async Task<ContainerTopResult> TopAsync(string nameOrId, string? psArgs, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (InitPid(container) is not { } pid) throw new ConflictException($"Container {container.Id} is not running");
        var pids = ContainerTop.PidsInCgroup(CgroupsPathOf(container, pid));
        if (pids.Count == 0) pids = [pid];
        return await ContainerTop.RunAsync(pids, psArgs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One stats reading of a container: its cgroup's figures and its network counters; a stopped container reads as
    /// zeros (Docker shows 0 for those too). Take two ~1 s apart for CPU % (<see cref="StatsCalculator.CpuPercent(ContainerStatsSample, ContainerStatsSample)"/>).
    /// </summary>
    public ContainerStatsSample ReadStats(ContainerRecord container)
    {
        if (InitPid(container) is not { } pid)
            return new ContainerStatsSample(DateTimeOffset.UtcNow, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        return CgroupStatsReader.Host.Read(CgroupsPathOf(container, pid), pid);
    }

    /// <summary>The cgroup the runtime put the container in, as its init's /proc/PID/cgroup names it (else the configured /berth/ID).</summary>
    static string CgroupsPathOf(ContainerRecord container, int pid) =>
        CgroupStatsReader.Host.CgroupsPathOf(pid) is { Length: > 1 } path ? path : CgroupPath(container);
}
