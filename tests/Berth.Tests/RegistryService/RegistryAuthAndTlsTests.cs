using System.Text;
using System.Text.Json.Nodes;
using Berth.Engine.Registry;
using Berth.Engine.Services.Registry;
using Berth.Tests.Registry;
using Berth.Tests.Support;
using Service = Berth.Engine.Services.Registry.RegistryService;

namespace Berth.Tests.RegistryService;

/// <summary>Tests that set process environment variables (DOCKER_CONFIG, BERTH_CERTS_D) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RegistryEnvironmentCollection
{
    public const string Name = "registry environment";
}

/// <summary>Sets an environment variable for one test and restores it.</summary>
sealed class EnvironmentVariable : IDisposable
{
    readonly string _name;
    readonly string? _previous;

    public EnvironmentVariable(string name, string? value)
    {
        _name = name;
        _previous = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose() => Environment.SetEnvironmentVariable(_name, _previous);
}

/// <summary>login/logout and pulls and pushes through htpasswd Basic auth, token auth and TLS with a test CA.</summary>
[Collection(RegistryEnvironmentCollection.Name)]
public class RegistryAuthAndTlsTests
{
    static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Login_with_htpasswd_writes_config_json_and_logout_removes_it()
    {
        await using var registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { BasicUsers = new Dictionary<string, string> { ["alice"] = "s3cret" } });
        using var config = new TempDirectory();
        using var _ = new EnvironmentVariable("DOCKER_CONFIG", config.Path);
        using var store = new TempStore();
        string name = $"{registry.Host}/auth/busybox:1";
        var id = await RegistryTestImages.ImportBusyboxAsync(store, name);

        var anonymous = await store.CliAsync("push", name);
        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains("401 Unauthorized", anonymous.Stderr);

        var wrong = await store.CliAsync("login", "-u", "alice", "-p", "wrong", registry.Host);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("401 Unauthorized", wrong.Stderr);
        Assert.False(File.Exists(config.Combine("config.json")));

        var login = await store.CliAsync("login", "-u", "alice", "-p", "s3cret", registry.Host);
        Assert.True(login.ExitCode == 0, login.Stderr);
        Assert.Equal("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n", login.Stderr);
        Assert.Equal($"WARNING! Your password will be stored unencrypted in {config.Combine("config.json")}.", Lines(login.Stdout)[0]);
        Assert.Equal("Login Succeeded", Lines(login.Stdout)[^1]);
        var json = JsonNode.Parse(File.ReadAllText(config.Combine("config.json")))!;
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")), (string?)json["auths"]![registry.Host]!["auth"]);

        var push = await store.CliAsync("push", name);
        Assert.True(push.ExitCode == 0, push.Stderr);
        Assert.Equal(0, (await store.CliAsync("rmi", "-f", id.ToString())).ExitCode);
        var pull = await store.CliAsync("pull", name);
        Assert.True(pull.ExitCode == 0, pull.Stderr);
        Assert.Equal(id, store.Engine.Images.Resolve(name));

        var logout = await store.CliAsync("logout", registry.Host);
        Assert.Equal($"Removing login credentials for {registry.Host}\n", logout.Stdout);
        Assert.Null(JsonNode.Parse(File.ReadAllText(config.Combine("config.json")))!["auths"]?[registry.Host]);
        Assert.Equal($"Not logged in to {registry.Host}\n", (await store.CliAsync("logout", registry.Host)).Stdout);

        var denied = await store.CliAsync("pull", name);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("401 Unauthorized", denied.Stderr);
    }

    [Fact]
    public async Task Token_auth_lets_a_logged_in_user_push_and_pull()
    {
        await using var registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { TokenUsers = new Dictionary<string, string> { ["bob"] = "hunter2" } });
        using var config = new TempDirectory();
        using var store = new TempStore();
        var service = new Service(store.Engine.Store, store.Engine.Images, new RegistryServiceOptions { Client = registry.ClientOptions, DockerConfigPath = config.Combine("config.json") });
        string name = $"{registry.Host}/token/busybox:1";
        var id = await RegistryTestImages.ImportBusyboxAsync(store, name);

        var anonymous = await Assert.ThrowsAsync<RegistryException>(() => service.PushAsync(name));
        Assert.Contains("401", anonymous.Message);

        var login = await service.LoginAsync(registry.Host, "bob", "hunter2");
        Assert.Equal(registry.Host, login.ServerKey);
        int tokensBefore = registry.TokenServer!.TokensIssued;
        var pushed = await service.PushAsync(name);
        Assert.True(registry.TokenServer.TokensIssued > tokensBefore);
        store.Engine.Images.Remove(id.ToString(), force: true);
        var pulled = await service.PullAsync(name);
        Assert.Equal(id, pulled.Images.Single().ImageId);
        Assert.Equal(pushed.Tags.Single().ManifestDigest, pulled.Images.Single().ManifestDigest);
        Assert.True(service.Logout(registry.Host).WasLoggedIn);
    }

    [Fact]
    public async Task A_tls_registry_is_reached_with_the_test_CA_in_BERTH_CERTS_D()
    {
        await using var registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { Tls = true });
        using var config = new TempDirectory();
        using var _ = new EnvironmentVariable("DOCKER_CONFIG", config.Path);
        using var store = new TempStore();
        string name = $"{registry.Host}/tls/busybox:1";
        var id = await RegistryTestImages.ImportBusyboxAsync(store, name);

        using (new EnvironmentVariable("BERTH_CERTS_D", config.Combine("empty-certs.d")))
        {
            var untrusted = await store.CliAsync("push", name);
            Assert.NotEqual(0, untrusted.ExitCode);
            Assert.StartsWith("Error: ", untrusted.Stderr);
        }

        using (new EnvironmentVariable("BERTH_CERTS_D", registry.CertsDirectory))
        {
            var push = await store.CliAsync("push", name);
            Assert.True(push.ExitCode == 0, push.Stderr);
            Assert.Equal(0, (await store.CliAsync("rmi", "-f", id.ToString())).ExitCode);
            var pull = await store.CliAsync("pull", name);
            Assert.True(pull.ExitCode == 0, pull.Stderr);
            Assert.Equal(id, store.Engine.Images.Resolve(name));
        }
    }
}
