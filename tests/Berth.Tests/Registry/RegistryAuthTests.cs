using System.Net;
using Berth.Engine.Images;
using Berth.Engine.Registry;

namespace Berth.Tests.Registry;

/// <summary>Basic (htpasswd) auth against a real registry.</summary>
public sealed class BasicAuthRegistryFixture : IAsyncLifetime
{
    public LocalRegistry Registry { get; private set; } = null!;
    public async Task InitializeAsync() => Registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { BasicUsers = new Dictionary<string, string> { ["alice"] = "s3cret" } });
    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

public class BasicAuthTests(BasicAuthRegistryFixture fixture) : IClassFixture<BasicAuthRegistryFixture>
{
    readonly LocalRegistry _registry = fixture.Registry;

    [Fact]
    public async Task Ping_reports_the_basic_challenge()
    {
        using var client = _registry.CreateClient();
        var ping = await client.PingAsync();
        Assert.True(ping.AuthRequired);
        Assert.True(ping.Challenges.Single().IsBasic);
        Assert.Equal("berth-test", ping.Challenges.Single().Realm);
    }

    [Fact]
    public async Task Push_and_pull_with_the_right_password()
    {
        using var client = _registry.CreateClient(new RegistryCredential("alice", "s3cret"));
        var image = TestImage.Create();
        await image.PushAsync(client, "alice/app", "v1");
        var manifest = await client.GetManifestAsync("alice/app", "v1");
        Assert.Equal(image.ManifestDigest, manifest.Digest);
    }

    [Fact]
    public async Task Without_credentials_the_error_is_401_and_suggests_login()
    {
        using var client = _registry.CreateClient();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync("alice/app", "v1"));
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.StartsWith("401 Unauthorized: authentication required", e.Message);
        Assert.Contains($"berth login {_registry.Host}", e.Message);
    }

    [Fact]
    public async Task Login_succeeds_with_the_right_password_and_fails_clearly_with_a_wrong_one()
    {
        var credential = await RegistryClient.LoginAsync(_registry.Host, "alice", "s3cret", _registry.ClientOptions);
        Assert.Equal("alice", credential.Username);
        var e = await Assert.ThrowsAsync<RegistryException>(() => RegistryClient.LoginAsync(_registry.Host, "alice", "wrong", _registry.ClientOptions));
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.StartsWith($"login to {_registry.Host} failed: 401 Unauthorized", e.Message);
    }
}

/// <summary>Token (Bearer) auth against a real registry and the test token server.</summary>
public sealed class TokenAuthRegistryFixture : IAsyncLifetime
{
    public LocalRegistry Registry { get; private set; } = null!;
    public async Task InitializeAsync() => Registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { TokenUsers = new Dictionary<string, string> { ["bob"] = "hunter2" } });
    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

public class TokenAuthTests(TokenAuthRegistryFixture fixture) : IClassFixture<TokenAuthRegistryFixture>
{
    readonly LocalRegistry _registry = fixture.Registry;

    [Fact]
    public async Task Ping_reports_the_bearer_realm_and_service()
    {
        using var client = _registry.CreateClient();
        var challenge = (await client.PingAsync()).Challenges.Single();
        Assert.True(challenge.IsBearer);
        Assert.Equal(_registry.TokenServer!.Realm, challenge.Realm);
        Assert.Equal(TestTokenServer.Service, challenge.Service);
    }

    [Fact]
    public async Task Push_with_credentials_then_anonymous_pull_through_tokens()
    {
        var image = TestImage.Create();
        using (var pusher = _registry.CreateClient(new RegistryCredential("bob", "hunter2")))
        {
            await image.PushAsync(pusher, "bob/web", "v1");
            Assert.True(await pusher.BlobExistsAsync("bob/web", image.LayerDigest));
        }
        var server = _registry.TokenServer!;
        lock (server.Requests)
            Assert.Contains(server.Requests, r => r.Authenticated && r.Scopes.Contains("repository:bob/web:pull,push"));

        using var anonymous = _registry.CreateClient();
        var manifest = await anonymous.GetManifestAsync("bob/web", "v1");
        Assert.Equal(image.ManifestDigest, manifest.Digest);
        using var layer = new MemoryStream();
        await anonymous.DownloadBlobAsync("bob/web", image.LayerDescriptor, layer);
        Assert.Equal(image.Layer, layer.ToArray());
    }

    [Fact]
    public async Task Tokens_are_cached_per_scope()
    {
        using var client = _registry.CreateClient(new RegistryCredential("bob", "hunter2"));
        var image = TestImage.Create();
        await image.PushAsync(client, "bob/cache", "v1");
        int before = _registry.TokenServer!.TokensIssued;
        for (int i = 0; i < 5; i++) await client.GetManifestAsync("bob/cache", "v1");
        await client.HeadManifestAsync("bob/cache", "v1");
        // One new token for the pull scope, reused for every later request.
        Assert.Equal(before + 1, _registry.TokenServer.TokensIssued);
    }

    [Fact]
    public async Task Anonymous_push_is_refused_with_401()
    {
        using var client = _registry.CreateClient();
        var image = TestImage.Create();
        var e = await Assert.ThrowsAsync<RegistryException>(() => image.PushAsync(client, "bob/nopush", "v1"));
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.StartsWith("401 Unauthorized:", e.Message);
    }

    [Fact]
    public async Task Login_goes_through_the_token_server()
    {
        await RegistryClient.LoginAsync(_registry.Host, "bob", "hunter2", _registry.ClientOptions);
        var e = await Assert.ThrowsAsync<RegistryException>(() => RegistryClient.LoginAsync(_registry.Host, "bob", "bad", _registry.ClientOptions));
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.Contains("invalid username or password", e.Message);
        Assert.Contains($"berth login {_registry.Host}", e.Message);
    }
}

/// <summary>TLS with a private CA found through a certs.d folder.</summary>
public sealed class TlsRegistryFixture : IAsyncLifetime
{
    public LocalRegistry Registry { get; private set; } = null!;
    public async Task InitializeAsync() => Registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { Tls = true });
    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

public class TlsTests(TlsRegistryFixture fixture) : IClassFixture<TlsRegistryFixture>
{
    readonly LocalRegistry _registry = fixture.Registry;

    [Fact]
    public async Task A_ca_in_certs_d_makes_the_registry_trusted_over_https()
    {
        using var client = _registry.CreateClient();
        Assert.Equal(Uri.UriSchemeHttps, client.Endpoint.BaseUri.Scheme);
        Assert.Single(client.Endpoint.CaFiles);
        var image = TestImage.Create();
        await image.PushAsync(client, "tls/app", "v1");
        Assert.Equal(image.ManifestDigest, (await client.GetManifestAsync("tls/app", "v1")).Digest);
    }

    [Fact]
    public async Task An_untrusted_certificate_fails_naming_the_host_and_the_ca_path()
    {
        // A certs.d folder with some other CA: https is used, the registry's certificate is not trusted.
        string certs = Directory.CreateTempSubdirectory("berth-certs-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(certs, _registry.Host));
            using var other = TestCertificates.CreateCa("some other CA");
            TestCertificates.WriteCertificatePem(other, Path.Combine(certs, _registry.Host, "ca.crt"));
            using var client = _registry.CreateClient(options: _registry.ClientOptions with { CertificateDirectories = [certs] });
            var e = await Assert.ThrowsAsync<RegistryException>(() => client.PingAsync());
            Assert.StartsWith($"TLS handshake with registry {_registry.Host} failed", e.Message);
            Assert.Contains($"/etc/berth/certs.d/{_registry.Host}/ca.crt", e.Message);
        }
        finally
        {
            Directory.Delete(certs, true);
        }
    }
}
