using Berth.Engine.Registry;

namespace Berth.Engine.Services.Registry;

/// <summary>Settings of <see cref="RegistryService"/>: the protocol client's options, where logins live, how many transfers run at once.</summary>
public sealed record RegistryServiceOptions
{
    public RegistryClientOptions Client { get; init; } = new();

    /// <summary>Docker's config.json to read and write logins in; null means <c>$DOCKER_CONFIG/config.json</c> or <c>~/.docker/config.json</c>.</summary>
    public string? DockerConfigPath { get; init; }

    /// <summary>Where <c>docker-credential-*</c> helpers are searched (null: PATH).</summary>
    public string? CredentialHelperPath { get; init; }

    public int MaxConcurrentDownloads { get; init; } = 3;

    public int MaxConcurrentUploads { get; init; } = 5;

    /// <summary>
    /// Options from the environment: <c>BERTH_CERTS_D</c> (colon-separated folders replacing /etc/berth/certs.d and
    /// /etc/docker/certs.d) and <c>BERTH_INSECURE_REGISTRIES</c> (comma-separated HOST[:PORT] allowed over plain HTTP).
    /// </summary>
    public static RegistryServiceOptions FromEnvironment()
    {
        var client = new RegistryClientOptions();
        if (Environment.GetEnvironmentVariable("BERTH_CERTS_D") is { Length: > 0 } certs)
            client = client with { CertificateDirectories = certs.Split(':', StringSplitOptions.RemoveEmptyEntries) };
        if (Environment.GetEnvironmentVariable("BERTH_INSECURE_REGISTRIES") is { Length: > 0 } insecure)
            client = client with
            {
                InsecureRegistries = insecure.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .ToHashSet(StringComparer.OrdinalIgnoreCase),
            };
        return new RegistryServiceOptions { Client = client };
    }
}
