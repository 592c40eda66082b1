using System.Text.Json.Nodes;
using Berth.Engine.Registry;

namespace Berth.Tests.Registry;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CredentialTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("berth-creds-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    string ConfigPath => Path.Combine(_dir, "config.json");

    [Fact]
    public void Config_path_prefers_the_explicit_path_then_DOCKER_CONFIG_then_home()
    {
        Assert.Equal("/x/c.json", DockerConfigFile.ResolvePath("/x/c.json", "/d", "/h"));
        Assert.Equal("/d/config.json", DockerConfigFile.ResolvePath(null, "/d", "/h"));
        Assert.Equal("/h/.docker/config.json", DockerConfigFile.ResolvePath(null, "", "/h"));
    }

    [Fact]
    public void Logins_round_trip_and_unknown_fields_survive_a_write()
    {
        File.WriteAllText(ConfigPath, """
            {
              "auths": {
                "https://index.docker.io/v1/": { "auth": "aHViOmh1YnB3", "email": "me@example.com" },
                "http://old.example:5000/v2/": { "auth": "b2xkOnB3" },
                "tok.example": { "identitytoken": "refresh-123" }
              },
              "proxies": { "default": { "httpProxy": "http://proxy:3128" } },
              "HttpHeaders": { "X-Meta": "1" },
              "currentContext": "default"
            }
            """);
        var config = DockerConfigFile.Load(ConfigPath);
        Assert.Equal(new RegistryCredential("hub", "hubpw"), config.GetAuth("docker.io"));
        Assert.Equal(new RegistryCredential("old", "pw"), config.GetAuth("old.example:5000"));
        Assert.Equal("refresh-123", config.GetAuth("tok.example")?.IdentityToken);
        Assert.Null(config.GetAuth("nothing.example"));

        config.SetAuth("localhost:5000", new RegistryCredential("alice", "pa:ss"));
        config.SetAuth("index.docker.io", new RegistryCredential("hub", "newpw"));
        Assert.True(config.RemoveAuth("old.example:5000"));
        config.Save();

        var json = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        Assert.Equal("http://proxy:3128", (string?)json["proxies"]!["default"]!["httpProxy"]);
        Assert.Equal("1", (string?)json["HttpHeaders"]!["X-Meta"]);
        Assert.Equal("default", (string?)json["currentContext"]);
        Assert.Equal("me@example.com", (string?)json["auths"]!["https://index.docker.io/v1/"]!["email"]);
        Assert.Equal(Convert.ToBase64String("alice:pa:ss"u8.ToArray()), (string?)json["auths"]!["localhost:5000"]!["auth"]);
        Assert.Null(json["auths"]!["http://old.example:5000/v2/"]);

        var reread = DockerConfigFile.Load(ConfigPath);
        Assert.Equal(new RegistryCredential("alice", "pa:ss"), reread.GetAuth("localhost:5000"));
        Assert.Equal(new RegistryCredential("hub", "newpw"), reread.GetAuth("docker.io"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigPath));
    }

    [Fact]
    public void A_missing_config_file_is_empty_and_store_creates_it()
    {
        var store = CredentialStore.Open(Path.Combine(_dir, "sub", "config.json"));
        Assert.Null(store.Get("localhost:5000"));
        store.Store("localhost:5000", "u", "p");
        Assert.Equal(new RegistryCredential("u", "p"), CredentialStore.Open(Path.Combine(_dir, "sub", "config.json")).Get("localhost:5000"));
        Assert.True(store.Erase("localhost:5000"));
        Assert.Null(CredentialStore.Open(Path.Combine(_dir, "sub", "config.json")).Get("localhost:5000"));
    }

    /// <summary>A helper keeping each credential as the JSON it was given, in a file named after the server URL.</summary>
    string WriteHelper(string name)
    {
        string bin = Path.Combine(_dir, "bin");
        Directory.CreateDirectory(bin);
        string script = Path.Combine(bin, "docker-credential-" + name);
        File.WriteAllText(script, """
            #!/bin/sh
            db="$(dirname "$0")/db"
            mkdir -p "$db"
            key() { printf '%s' "$1" | sha256sum | cut -c1-32; }
            case "$1" in
              get)
                url=$(cat)
                f="$db/$(key "$url")"
                if [ ! -f "$f" ]; then echo "credentials not found in native keychain"; exit 1; fi
                cat "$f" ;;
              store)
                json=$(cat)
                url=$(printf '%s' "$json" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
                printf '%s' "$json" > "$db/$(key "$url")" ;;
              erase)
                url=$(cat)
                f="$db/$(key "$url")"
                if [ ! -f "$f" ]; then echo "credentials not found in native keychain"; exit 1; fi
                rm -f "$f" ;;
              *) echo "unknown verb $1" >&2; exit 2 ;;
            esac
            """.Replace("\r", ""));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    [Fact]
    public void Credential_helper_get_store_erase_follow_the_protocol()
    {
        string bin = WriteHelper("test");
        var helper = new CredentialHelper("test", bin);
        Assert.Null(helper.Get("localhost:5000"));
        helper.Store("localhost:5000", new RegistryCredential("carol", "pw\"with quote"));
        Assert.Equal(new RegistryCredential("carol", "pw\"with quote"), helper.Get("localhost:5000"));
        helper.Store("tok.example", RegistryCredential.FromIdentityToken("refresh-9"));
        Assert.Equal("refresh-9", helper.Get("tok.example")?.IdentityToken);
        helper.Erase("localhost:5000");
        Assert.Null(helper.Get("localhost:5000"));
        helper.Erase("localhost:5000"); // not found is not an error
    }

    [Fact]
    public void Store_uses_credHelpers_for_its_host_and_credsStore_for_the_rest()
    {
        string bin = WriteHelper("test");
        File.WriteAllText(ConfigPath, """{"credHelpers":{"special.example":"test"},"auths":{}}""");
        var store = new CredentialStore(DockerConfigFile.Load(ConfigPath), bin);
        store.Store("special.example", "dave", "secret");
        store.Store("plain.example", "erin", "pw");

        var json = JsonNode.Parse(File.ReadAllText(ConfigPath))!;
        Assert.Null(json["auths"]!["special.example"]!["auth"]); // the secret lives in the helper
        Assert.NotNull(json["auths"]!["plain.example"]!["auth"]);
        Assert.Equal(new RegistryCredential("dave", "secret"), new CredentialHelper("test", bin).Get("special.example"));
        Assert.Equal(new RegistryCredential("dave", "secret"), new CredentialStore(DockerConfigFile.Load(ConfigPath), bin).Get("special.example"));

        var withStore = DockerConfigFile.Load(ConfigPath);
        withStore.CredsStore = "test";
        var all = new CredentialStore(withStore, bin);
        all.Store("docker.io", "frank", "hubpw");
        Assert.Equal(new RegistryCredential("frank", "hubpw"), new CredentialHelper("test", bin).Get(DockerConfigFile.DockerHubServerKey));
        all.Erase("docker.io");
        Assert.Null(all.Get("docker.io"));
    }

    [Fact]
    public void A_missing_helper_is_named_in_the_error()
    {
        var e = Assert.Throws<RegistryException>(() => new CredentialHelper("nope", _dir).Get("x"));
        Assert.StartsWith("credential helper docker-credential-nope not found", e.Message);
    }
}
