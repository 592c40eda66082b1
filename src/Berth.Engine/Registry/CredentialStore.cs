namespace Berth.Engine.Registry;

/// <summary>Registry logins as Docker keeps them: a per-host helper (<c>credHelpers</c>), else the default helper (<c>credsStore</c>), else config.json itself.</summary>
public sealed class CredentialStore(DockerConfigFile config, string? helperSearchPath = null)
{
    public DockerConfigFile Config { get; } = config;

    /// <summary>Uses Docker's config file at its usual place (<c>$DOCKER_CONFIG</c> or <c>~/.docker</c>) or at <paramref name="configPath"/>.</summary>
    public static CredentialStore Open(string? configPath = null, string? helperSearchPath = null)
        => new(DockerConfigFile.Load(configPath), helperSearchPath);

    /// <summary>The helper responsible for <paramref name="host"/>, or null when logins live in config.json.</summary>
    public CredentialHelper? HelperFor(string host)
    {
        string key = DockerConfigFile.ServerKey(host);
        var helpers = Config.CredHelpers;
        string? name = helpers.GetValueOrDefault(host) ?? helpers.GetValueOrDefault(key)
            ?? (key == DockerConfigFile.DockerHubServerKey ? helpers.GetValueOrDefault("docker.io") ?? helpers.GetValueOrDefault("index.docker.io") : null)
            ?? Config.CredsStore;
        return name is null ? null : new CredentialHelper(name, helperSearchPath);
    }

    /// <summary>The login for <paramref name="host"/>, or null (anonymous access).</summary>
    public RegistryCredential? Get(string host)
    {
        string key = DockerConfigFile.ServerKey(host);
        if (HelperFor(host) is { } helper) return helper.Get(key) ?? Config.GetAuth(host);
        return Config.GetAuth(host);
    }

    public void Store(string host, string user, string secret) => Store(host, new RegistryCredential(user, secret));

    /// <summary>Saves a login (in the helper when one is configured, else base64 in config.json) and writes the config file.</summary>
    public void Store(string host, RegistryCredential credential)
    {
        string key = DockerConfigFile.ServerKey(host);
        if (HelperFor(host) is { } helper)
        {
            helper.Store(key, credential);
            Config.MarkHelperLogin(host);
        }
        else
        {
            Config.SetAuth(host, credential);
        }
        Config.Save();
    }

    /// <summary>Forgets a login (<c>berth logout</c>); false when none was stored in the file.</summary>
    public bool Erase(string host)
    {
        HelperFor(host)?.Erase(DockerConfigFile.ServerKey(host));
        bool removed = Config.RemoveAuth(host);
        Config.Save();
        return removed;
    }
}
