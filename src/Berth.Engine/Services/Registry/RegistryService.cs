using Berth.Engine.Registry;
using Berth.Engine.Services.Images;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Registry;

/// <summary>What `login` did: where the login was stored and whether a credential helper keeps it.</summary>
public sealed record LoginResult(string ServerKey, string ConfigPath, bool StoredInHelper);

/// <summary>What `logout` did: the server as Docker names it, and whether there was a login to remove.</summary>
public sealed record LogoutResult(string Server, bool WasLoggedIn);

/// <summary>Registry verbs over the store: pull, push, login, logout (the protocol itself is <see cref="RegistryClient"/>).</summary>
public sealed partial class RegistryService(BerthStore store, ImageService images, RegistryServiceOptions? options = null)
{
    readonly RegistryServiceOptions _options = options ?? new RegistryServiceOptions();
    RegistryClientOptions? _clientOptions;

    public RegistryServiceOptions Options => _options;

    /// <summary>The protocol client's options in effect: <see cref="RegistryServiceOptions.Client"/> plus daemon.json's insecure registries (read once, when first needed).</summary>
    public RegistryClientOptions ClientOptions => _clientOptions ??= _options.ResolveClientOptions();

    /// <summary>How <paramref name="host"/> is reached (plain HTTP or TLS, with which certificates), as pull and push will.</summary>
    public RegistryEndpoint ResolveEndpoint(string host) => RegistryEndpoint.Resolve(host, ClientOptions);

    CredentialStore OpenCredentials() => CredentialStore.Open(_options.DockerConfigPath, _options.CredentialHelperPath);

    /// <summary>A client for <paramref name="host"/> with the stored login for it (anonymous when there is none).</summary>
    RegistryClient CreateClient(string host) => new(host, OpenCredentials().Get(host), ClientOptions);

    /// <summary>The registry host a login command means: Docker Hub when none is given, else the host part of a host or URL.</summary>
    public static string LoginHost(string? server)
    {
        if (string.IsNullOrWhiteSpace(server)) return RegistryEndpoint.DockerHubHost;
        string s = server.Trim();
        if (s.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) s = s[8..];
        else if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) s = s[7..];
        int slash = s.IndexOf('/');
        if (slash >= 0) s = s[..slash];
        s = s.ToLowerInvariant();
        return s is "index.docker.io" or "registry-1.docker.io" ? RegistryEndpoint.DockerHubHost : s;
    }

    /// <summary>`login`: checks the credentials against the registry, then stores them (helper or config.json) as Docker does.</summary>
    public async Task<LoginResult> LoginAsync(string? server, string username, string password, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password))
            throw new InvalidInputException("Username and password required");
        string host = LoginHost(server);
        using var client = new RegistryClient(host, new RegistryCredential(username, password), ClientOptions);
        await client.LoginAsync(cancellationToken).ConfigureAwait(false);
        var credentials = OpenCredentials();
        // A token server that hands out a refresh token gets it back next time instead of the password (Docker's identitytoken).
        var stored = client.IssuedIdentityToken is { Length: > 0 } token ? new RegistryCredential(username, "", token) : new RegistryCredential(username, password);
        bool helper = credentials.HelperFor(host) is not null;
        credentials.Store(host, stored);
        return new LoginResult(DockerConfigFile.ServerKey(host), credentials.Config.Path, helper);
    }

    /// <summary>`logout`: forgets the login for <paramref name="server"/> (Docker Hub when null).</summary>
    public LogoutResult Logout(string? server)
    {
        string host = LoginHost(server);
        string shown = host == RegistryEndpoint.DockerHubHost ? DockerConfigFile.DockerHubServerKey : host;
        var credentials = OpenCredentials();
        bool inFile = credentials.Config.FindAuthKey(host) is not null;
        if (!inFile) return new LogoutResult(shown, false);
        credentials.Erase(host);
        return new LogoutResult(shown, true);
    }
}
