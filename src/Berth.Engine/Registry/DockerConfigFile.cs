using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Engine.Registry;

/// <summary>Docker's <c>config.json</c> (<c>~/.docker/config.json</c>): registry logins and credential helpers; writes keep every other field intact.</summary>
public sealed class DockerConfigFile
{
    /// <summary>The key Docker Hub's login is stored under (a legacy v1 URL, kept for compatibility with Docker).</summary>
    public const string DockerHubServerKey = "https://index.docker.io/v1/";

    readonly JsonObject _root;

    DockerConfigFile(string path, JsonObject root)
    {
        Path = path;
        _root = root;
    }

    public string Path { get; }

    /// <summary>The file to use: <paramref name="explicitPath"/>, else <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
    public static string ResolvePath(string? explicitPath = null, string? dockerConfigDirectory = null, string? home = null)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return explicitPath;
        dockerConfigDirectory ??= Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (!string.IsNullOrEmpty(dockerConfigDirectory)) return System.IO.Path.Combine(dockerConfigDirectory, "config.json");
        home ??= Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return System.IO.Path.Combine(home, ".docker", "config.json");
    }

    /// <summary>Reads the config file; a missing file is an empty config (created on <see cref="Save"/>).</summary>
    public static DockerConfigFile Load(string? path = null)
    {
        path = ResolvePath(path);
        if (!File.Exists(path)) return new DockerConfigFile(path, new JsonObject());
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0 || bytes.All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            return new DockerConfigFile(path, new JsonObject());
        try
        {
            return JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true }) is JsonObject root
                ? new DockerConfigFile(path, root)
                : throw new InvalidInputException($"{path} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path} is not valid JSON: {e.Message.Split('\n')[0]}", e);
        }
    }

    /// <summary>The default credential helper (<c>credsStore</c>), e.g. <c>pass</c> → <c>docker-credential-pass</c>.</summary>
    public string? CredsStore
    {
        get => _root["credsStore"] is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0 ? s : null;
        set
        {
            if (value is null) _root.Remove("credsStore");
            else _root["credsStore"] = value;
        }
    }

    /// <summary>Per-registry credential helpers (<c>credHelpers</c>): host → helper name.</summary>
    public IReadOnlyDictionary<string, string> CredHelpers
    {
        get
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (_root["credHelpers"] is JsonObject helpers)
                foreach (var (key, value) in helpers)
                    if (value is JsonValue v && v.TryGetValue(out string? name) && name.Length > 0) result[key] = name;
            return result;
        }
    }

    public void SetCredHelper(string host, string helper)
    {
        if (_root["credHelpers"] is not JsonObject helpers) _root["credHelpers"] = helpers = new JsonObject();
        helpers[host] = helper;
    }

    /// <summary>The key a host's login is stored under: Docker Hub's legacy URL for Docker Hub, the host itself otherwise.</summary>
    public static string ServerKey(string host)
    {
        string h = NormaliseKey(host);
        return h is "docker.io" or "index.docker.io" or "registry-1.docker.io" ? DockerHubServerKey : h;
    }

    /// <summary>Reduces a stored key such as <c>https://myreg:5000/v2/</c> to its host part.</summary>
    static string NormaliseKey(string key)
    {
        string k = key.Trim();
        if (k.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) k = k[8..];
        else if (k.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) k = k[7..];
        int slash = k.IndexOf('/');
        if (slash >= 0) k = k[..slash];
        return k.ToLowerInvariant();
    }

    /// <summary>The <c>auths</c> key holding <paramref name="host"/>'s login, exact key first, then any key naming the same host.</summary>
    public string? FindAuthKey(string host)
    {
        if (_root["auths"] is not JsonObject auths) return null;
        string key = ServerKey(host);
        if (auths.ContainsKey(key)) return key;
        foreach (var (existing, _) in auths)
            if (ServerKey(existing) == key) return existing;
        return null;
    }

    /// <summary>The login stored in the file itself (the <c>auth</c>, <c>username</c>/<c>password</c> and <c>identitytoken</c> fields), if any.</summary>
    public RegistryCredential? GetAuth(string host)
    {
        if (FindAuthKey(host) is not { } key || _root["auths"]?[key] is not JsonObject entry) return null;
        string? user = Str(entry, "username"), password = Str(entry, "password");
        if (Str(entry, "auth") is { Length: > 0 } auth)
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth)); }
            catch (FormatException e) { throw new InvalidInputException($"{Path}: the auth value for {key} is not valid base64", e); }
            int colon = decoded.IndexOf(':');
            if (colon < 0) throw new InvalidInputException($"{Path}: the auth value for {key} is not base64 of user:password");
            user = decoded[..colon];
            password = decoded[(colon + 1)..];
        }
        string? identity = Str(entry, "identitytoken");
        if (string.IsNullOrEmpty(user) && string.IsNullOrEmpty(identity)) return null;
        return new RegistryCredential(user ?? "", password ?? "", string.IsNullOrEmpty(identity) ? null : identity);
    }

    /// <summary>Stores a login in <c>auths</c>, keeping the entry's other fields (e.g. <c>email</c>).</summary>
    public void SetAuth(string host, RegistryCredential credential)
    {
        if (_root["auths"] is not JsonObject auths) _root["auths"] = auths = new JsonObject();
        string key = FindAuthKey(host) ?? ServerKey(host);
        if (auths[key] is not JsonObject entry) auths[key] = entry = new JsonObject();
        entry.Remove("username");
        entry.Remove("password");
        if (credential.HasIdentityToken)
        {
            entry["identitytoken"] = credential.IdentityToken;
            entry.Remove("auth");
            if (credential.Username != RegistryCredential.IdentityTokenUser && credential.Username.Length > 0)
                entry["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Username + ":"));
        }
        else
        {
            entry["auth"] = credential.BasicHeaderValue;
            entry.Remove("identitytoken");
        }
    }

    /// <summary>Keeps an empty <c>auths</c> entry for a host whose secret lives in a helper (Docker does the same so the login is listed).</summary>
    internal void MarkHelperLogin(string host)
    {
        if (_root["auths"] is not JsonObject auths) _root["auths"] = auths = new JsonObject();
        string key = FindAuthKey(host) ?? ServerKey(host);
        if (auths[key] is not JsonObject entry) auths[key] = entry = new JsonObject();
        entry.Remove("auth");
        entry.Remove("identitytoken");
        entry.Remove("username");
        entry.Remove("password");
    }

    /// <summary>Removes a host's <c>auths</c> entry; false when there was none.</summary>
    public bool RemoveAuth(string host)
        => FindAuthKey(host) is { } key && _root["auths"] is JsonObject auths && auths.Remove(key);

    /// <summary>Writes the file atomically (temp file + rename), mode 0600, tab-indented as Docker writes it.</summary>
    public void Save()
    {
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (dir is not null) Directory.CreateDirectory(dir);
        string temp = Path + ".tmp-" + Environment.ProcessId;
        var options = new JsonWriterOptions { Indented = true, IndentCharacter = '\t', IndentSize = 1 };
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // it holds passwords
        using (var file = new FileStream(temp, fileOptions))
        using (var writer = new Utf8JsonWriter(file, options))
        {
            _root.WriteTo(writer);
            writer.Flush();
            file.Write("\n"u8);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, Path, overwrite: true);
    }

    static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
