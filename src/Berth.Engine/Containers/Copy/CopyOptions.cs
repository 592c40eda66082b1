namespace Berth.Engine.Containers.Copy;

/// <summary>Flags of <c>cp</c>.</summary>
public sealed record CopyOptions
{
    public static CopyOptions Default { get; } = new();

    /// <summary><c>-L</c>: follow a symlink named as the source (links inside a copied tree stay links).</summary>
    public bool FollowLink { get; init; }

    /// <summary>
    /// <c>-a</c>. Into a container: everything becomes owned by <see cref="ContainerUid"/>:<see cref="ContainerGid"/>
    /// (the container's USER, as Docker does; without a USER, and without -a, the archive's numeric owners are kept,
    /// which is what Docker 20.10 does with host files). Out of a container: the container's numeric owners are
    /// kept; without -a the copied files belong to the caller.
    /// </summary>
    public bool Archive { get; init; }

    /// <summary>The container's USER resolved to numeric ids (from the container's /etc/passwd, by the caller).</summary>
    public int? ContainerUid { get; init; }
    public int? ContainerGid { get; init; }
}

/// <summary>What <c>cp</c> reports about a container path (Docker's ContainerPathStat; sent base64 JSON in the X-Docker-Container-Path-Stat header).</summary>
/// <param name="Name">The last element of the requested path.</param>
/// <param name="Mode">Unix mode bits including the file type (S_IFDIR …).</param>
/// <param name="LinkTarget">For a symlink, its target resolved inside the container (absolute); else empty.</param>
public sealed record ContainerPathStat(string Name, long Size, uint Mode, DateTimeOffset Mtime, string LinkTarget)
{
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;
    public bool IsSymlink => (Mode & 0xF000) == 0xA000;
}
