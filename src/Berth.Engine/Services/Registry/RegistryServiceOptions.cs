using System.Text.Json;
using Berth.Engine.Images;
using Berth.Engine.Registry;

namespace Berth.Engine.Services.Registry;

/// <summary>Settings of <see cref="RegistryService"/>: the protocol client's options, where logins live, how many transfers run at once.</summary>
public sealed record RegistryServiceOptions
{
    /// <summary>Berth's daemon.json, read as Docker reads its own: only <c>insecure-registries</c> is used.</summary>
    public const string DefaultDaemonConfigPath = "/etc/berth/daemon.json";

    public RegistryClientOptions Client { get; init; } = new();

    /// <summary>Docker's config.json to read and write logins in; null means <c>$DOCKER_CONFIG/config.json</c> or <c>~/.docker/config.json</c>.</summary>
    public string? DockerConfigPath { get; init; }

    /// <summary>Where <c>docker-credential-*</c> helpers are searched (null: PATH).</summary>
    public string? CredentialHelperPath { get; init; }

    /// <summary>
    /// A daemon.json whose <c>insecure-registries</c> (HOST[:PORT] or CIDR entries) are added to
    /// <see cref="RegistryClientOptions.InsecureRegistries"/>; a missing file is no error. Null: none is read.
    /// </summary>
    public string? DaemonConfigPath { get; init; }

    /// <summary>The platform `pull` picks when none is given (Docker's <c>DOCKER_DEFAULT_PLATFORM</c>, os/arch[/variant]); null: the host's.</summary>
    public string? DefaultPlatform { get; init; }

    public int MaxConcurrentDownloads { get; init; } = 3;

    public int MaxConcurrentUploads { get; init; } = 5;

    /// <summary>
    /// Options from the environment: <c>BERTH_CERTS_D</c> (colon-separated folders replacing /etc/berth/certs.d and
    /// /etc/docker/certs.d), <c>BERTH_INSECURE_REGISTRIES</c> (comma-separated HOST[:PORT] allowed over plain HTTP, on
    /// top of /etc/berth/daemon.json's <c>insecure-registries</c>) and <c>DOCKER_DEFAULT_PLATFORM</c>.
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
        return new RegistryServiceOptions
        {
            Client = client,
            DaemonConfigPath = DefaultDaemonConfigPath,
            DefaultPlatform = Environment.GetEnvironmentVariable("DOCKER_DEFAULT_PLATFORM") is { Length: > 0 } platform ? platform : null,
        };
    }

    /// <summary>The client options with daemon.json's insecure registries added.</summary>
    /// <exception cref="InvalidInputException">The file is not JSON, or <c>insecure-registries</c> is not a list of strings.</exception>
    public RegistryClientOptions ResolveClientOptions()
    {
        if (DaemonConfigPath is null || !File.Exists(DaemonConfigPath)) return Client;
        var listed = ReadInsecureRegistries(DaemonConfigPath);
        if (listed.Count == 0) return Client;
        var all = new HashSet<string>(Client.InsecureRegistries, StringComparer.OrdinalIgnoreCase);
        all.UnionWith(listed);
        return Client with { InsecureRegistries = all };
    }

    /// <summary>The platform to pull when the caller names none (<see cref="DefaultPlatform"/> parsed), or null for the host's.</summary>
    public Platform? ResolveDefaultPlatform()
    {
        if (DefaultPlatform is null) return null;
        try { return Platform.Parse(DefaultPlatform); }
        catch (BerthException e) { throw new InvalidInputException($"invalid DOCKER_DEFAULT_PLATFORM \"{DefaultPlatform}\": {e.Message}"); }
    }

    static List<string> ReadInsecureRegistries(string path)
    {
        string Fail(string why) => throw new InvalidInputException($"unable to configure berth with file {path}: {why}");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) Fail("the file must hold a JSON object");
            if (!doc.RootElement.TryGetProperty("insecure-registries", out var list) || list.ValueKind == JsonValueKind.Null) return [];
            if (list.ValueKind != JsonValueKind.Array) Fail("insecure-registries must be a list of strings");
            var entries = new List<string>();
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) Fail("insecure-registries must be a list of strings");
                string entry = item.GetString()!.Trim();
                if (entry.Contains("://", StringComparison.Ordinal)) Fail($"insecure registry {entry} should not contain '://'");
                if (entry.Length > 0) entries.Add(entry.ToLowerInvariant());
            }
            return entries;
        }
        catch (JsonException e)
        {
            return [Fail(e.Message)];
        }
        catch (IOException e)
        {
            return [Fail(e.Message)];
        }
    }
}
