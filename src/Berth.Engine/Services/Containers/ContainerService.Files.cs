using Berth.Engine.Containers.Copy;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    /// <summary><c>cp CONTAINER:SRC HOSTDEST</c>.</summary>
    public Task CopyFromContainerAsync(string nameOrId, string containerPath, string hostPath, CopyOptions options, CancellationToken cancellationToken = default) =>
        WithCopierAsync(nameOrId, options, (copier, o) => copier.CopyFromContainerAsync(containerPath, hostPath, o, cancellationToken));

    /// <summary><c>cp CONTAINER:SRC -</c>: writes a tar of the path to <paramref name="output"/>.</summary>
    public Task ArchiveFromContainerAsync(string nameOrId, string containerPath, Stream output, CopyOptions options, CancellationToken cancellationToken = default) =>
        WithCopierAsync(nameOrId, options, (copier, o) => copier.ArchiveFromContainerAsync(containerPath, output, o, cancellationToken));

    /// <summary><c>cp HOSTSRC CONTAINER:DEST</c>.</summary>
    public Task CopyToContainerAsync(string nameOrId, string hostPath, string containerPath, CopyOptions options, CancellationToken cancellationToken = default) =>
        WithCopierAsync(nameOrId, options, (copier, o) => copier.CopyToContainerAsync(hostPath, containerPath, o, cancellationToken), writes: true);

    /// <summary><c>cp - CONTAINER:DEST</c>: unpacks the tar read from <paramref name="tar"/> into the directory DEST.</summary>
    public Task ExtractToContainerAsync(string nameOrId, Stream tar, string containerPath, CopyOptions options, CancellationToken cancellationToken = default) =>
        WithCopierAsync(nameOrId, options, (copier, o) => copier.ExtractToContainerAsync(tar, containerPath, o, cancellationToken), writes: true);

    /// <summary>
    /// Runs a copy against the container's root as its processes see it: a running container's through /proc/PID/root,
    /// a stopped one's overlay mounted for the copy with its volumes and bind mounts attached (as Docker's daemon mounts
    /// them for a copy), in a detached mount tree only this copy sees (<see cref="ContainerMountTree"/>). With -a the
    /// container's USER is resolved to numeric ids from its own /etc/passwd and /etc/group (read inside the root, nothing
    /// loaded from it). A copy that <paramref name="writes"/> into the container is refused where Docker refuses it
    /// (<see cref="ContainerWriteTarget"/>).
    /// </summary>
    async Task WithCopierAsync(string nameOrId, CopyOptions options, Func<ContainerCopier, CopyOptions, Task> copy, bool writes = false)
    {
        var container = Get(nameOrId);
        RootfsLease? lease = null;
        ContainerMountTree? tree = null;
        string root;
        bool mountsPresent = true;
        if (InitPid(container) is { } pid) root = $"/proc/{pid}/root";
        else
        {
            lease = MountRootfs(container.Id);
            try
            {
                var mounts = CopyMounts(container.Settings);
                if (mounts.Count > 0)
                {
                    tree = ContainerMountTree.TryOpen(lease.Path, mounts);
                    mountsPresent = tree is not null;
                }
            }
            catch
            {
                lease.Dispose();
                throw;
            }
            root = tree?.Root ?? lease.Path;
        }
        using (lease)
        using (tree)
        {
            if (options.Archive && !string.IsNullOrEmpty(container.Settings.Config.User) && options.ContainerUid is null)
            {
                var user = ContainerUser.Resolve(root, container.Settings.Config.User);
                options = options with { ContainerUid = (int)user.Uid, ContainerGid = (int)user.Gid };
            }
            var copier = new ContainerCopier(root, nameOrId)
            {
                CheckWritable = writes ? dir => ContainerWriteTarget.Check(container.Settings, dir, mountsPresent) : null,
            };
            await copy(copier, options).ConfigureAwait(false);
        }
    }

    /// <summary>The volumes and bind mounts a stopped container's copy sees (tmpfs mounts hold nothing while it is stopped).</summary>
    static List<TreeMount> CopyMounts(ContainerSettings settings) =>
        settings.Mounts.Where(m => m.Type is "bind" or "volume" && m.Source.Length > 0)
            .Select(m => new TreeMount(m.Source, m.Destination, !m.ReadWrite)).ToList();
}
