using Berth.Engine.Content;

namespace Berth.Engine.Metadata;

/// <summary>A container's lifecycle state as Docker names it (State.Status).</summary>
public enum ContainerStatus { Created, Running, Paused, Restarting, Removing, Exited, Dead }

/// <summary>The state columns of a container row; times are null until they first happen (Go's zero time in Docker).</summary>
public sealed record ContainerState(
    ContainerStatus Status,
    int Pid = 0,
    int MonitorPid = 0,
    int ExitCode = 0,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    bool OomKilled = false,
    string Error = "",
    int RestartCount = 0)
{
    public bool IsRunning => Status is ContainerStatus.Running or ContainerStatus.Paused;

    /// <summary>Docker's lower-case status word ("created", "running", "exited", ...).</summary>
    public string StatusText => Status.ToString().ToLowerInvariant();
}

/// <summary>
/// A container row: identity, image, state, and the service's settings as JSON text, in UTF-8 (the column's text as SQLite
/// keeps it, which the settings reader reads: no UTF-16 copy of it per container `ps` lists).
/// </summary>
public sealed record ContainerRow(string Id, string Name, Digest ImageId, DateTimeOffset Created, ContainerState State, byte[] Settings);
