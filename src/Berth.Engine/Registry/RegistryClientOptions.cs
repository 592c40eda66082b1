namespace Berth.Engine.Registry;

/// <summary>Settings shared by every <see cref="RegistryClient"/>: insecure hosts, certificate folders, retries, chunking.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Hosts (as written, e.g. <c>myreg:5000</c>) that may be reached over plain HTTP, from Berth's config.</summary>
    public IReadOnlySet<string> InsecureRegistries { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Folders holding <c>HOST[:PORT]/ca.crt</c> (and <c>client.cert</c>/<c>client.key</c>), searched in order.</summary>
    public IReadOnlyList<string> CertificateDirectories { get; init; } = DefaultCertificateDirectories;

    public static readonly IReadOnlyList<string> DefaultCertificateDirectories = ["/etc/berth/certs.d", "/etc/docker/certs.d"];

    /// <summary>How many times one request is tried in total on 5xx, 429 and connection failures.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The first retry waits this long; each following one twice as long (with jitter), capped at <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Blobs larger than this are uploaded in PATCH chunks of this size; smaller ones in one PUT.</summary>
    public int ChunkSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Time allowed to connect to a registry (the whole transfer has no limit: cancel with the token).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string UserAgent { get; init; } = "berth/0.1";
}
