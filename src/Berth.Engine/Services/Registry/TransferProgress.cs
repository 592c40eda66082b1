namespace Berth.Engine.Services.Registry;

/// <summary>The steps a layer goes through in a pull or push, named as Docker prints them.</summary>
public enum TransferPhase
{
    /// <summary>A tag (or digest) starts: <c>latest: Pulling from library/busybox</c>.</summary>
    PullingFrom,
    PullingFsLayer,
    Waiting,
    Downloading,
    VerifyingChecksum,
    DownloadComplete,
    Extracting,
    PullComplete,
    AlreadyExists,
    Preparing,
    Pushing,
    Pushed,
    LayerAlreadyExists,
    MountedFrom,
    /// <summary>A tag is done: <c>Digest: sha256:…</c> (<see cref="TransferProgress.Detail"/> is the digest).</summary>
    Digest,
    /// <summary>A tag's manifest is up: <c>latest: digest: sha256:… size: 527</c> (<see cref="TransferProgress.Detail"/> is the digest, <see cref="TransferProgress.Current"/> the size).</summary>
    TagPushed,
}

/// <summary>One progress event of a pull or push, for one layer (<see cref="Id"/> is its short digest) or one tag.</summary>
/// <remarks>Reported from several threads at once (layers transfer in parallel); <see cref="Current"/>/<see cref="Total"/> are bytes for the phases that move.</remarks>
public sealed record TransferProgress(string Id, TransferPhase Phase, long Current = 0, long Total = 0, string? Detail = null)
{
    /// <summary>True for the phases that carry a byte count (Docker draws a bar for them on a terminal).</summary>
    public bool HasBytes => Phase is TransferPhase.Downloading or TransferPhase.Extracting or TransferPhase.Pushing;

    /// <summary>Docker's status text, e.g. <c>Download complete</c>, <c>Mounted from library/busybox</c>.</summary>
    public string Status => Phase switch
    {
        TransferPhase.PullingFrom => "Pulling from " + Detail,
        TransferPhase.PullingFsLayer => "Pulling fs layer",
        TransferPhase.Waiting => "Waiting",
        TransferPhase.Downloading => "Downloading",
        TransferPhase.VerifyingChecksum => "Verifying Checksum",
        TransferPhase.DownloadComplete => "Download complete",
        TransferPhase.Extracting => "Extracting",
        TransferPhase.PullComplete => "Pull complete",
        TransferPhase.AlreadyExists => "Already exists",
        TransferPhase.Preparing => "Preparing",
        TransferPhase.Pushing => "Pushing",
        TransferPhase.Pushed => "Pushed",
        TransferPhase.LayerAlreadyExists => "Layer already exists",
        TransferPhase.MountedFrom => "Mounted from " + Detail,
        TransferPhase.Digest => "Digest: " + Detail,
        TransferPhase.TagPushed => $"digest: {Detail} size: {Current}",
        _ => Phase.ToString(),
    };

    public override string ToString() => $"{Id}: {Status}";
}
