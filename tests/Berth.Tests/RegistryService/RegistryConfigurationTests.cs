using Berth.Engine;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Registry;
using Berth.Engine.Services.Registry;
using Berth.Tests.Registry;
using Berth.Tests.Support;
using Service = Berth.Engine.Services.Registry.RegistryService;

namespace Berth.Tests.RegistryService;

/// <summary>Configuration pull and push take from outside: daemon.json's insecure registries, DOCKER_DEFAULT_PLATFORM.</summary>
public class RegistryConfigurationTests(PlainRegistryFixture fixture) : IClassFixture<PlainRegistryFixture>, IDisposable
{
    readonly LocalRegistry _registry = fixture.Registry;
    readonly TempDirectory _config = new();

    public void Dispose() => _config.Dispose();

    Service ServiceFor(TempStore store, RegistryServiceOptions options) => new(store.Engine.Store, store.Engine.Images, options with
    {
        DockerConfigPath = _config.Combine("config.json"),
    });

    [Fact]
    public void Daemon_json_insecure_registries_allow_plain_http_beside_the_ones_given_directly()
    {
        string daemon = _config.Combine("daemon.json");
        File.WriteAllText(daemon, """
            {
              "debug": false,
              "insecure-registries": ["MyReg.example:5000", "10.20.0.0/16"]
            }
            """);
        using var store = new TempStore();
        var service = ServiceFor(store, new RegistryServiceOptions
        {
            Client = new RegistryClientOptions { InsecureRegistries = new HashSet<string>(["direct.example"], StringComparer.OrdinalIgnoreCase) },
            DaemonConfigPath = daemon,
        });

        Assert.True(service.ResolveEndpoint("myreg.example:5000").IsPlainHttp);
        Assert.Equal("http://myreg.example:5000/", service.ResolveEndpoint("myreg.example:5000").BaseUri.ToString());
        Assert.False(service.ResolveEndpoint("myreg.example:5001").IsPlainHttp); // the port is part of the entry
        Assert.True(service.ResolveEndpoint("10.20.3.4:5000").IsPlainHttp); // inside the CIDR range
        Assert.False(service.ResolveEndpoint("10.21.3.4:5000").IsPlainHttp);
        Assert.True(service.ResolveEndpoint("direct.example").IsPlainHttp); // BERTH_INSECURE_REGISTRIES' list still counts
        Assert.False(service.ResolveEndpoint("other.example").IsPlainHttp);
        Assert.True(service.ResolveEndpoint("127.0.0.1:5000").IsPlainHttp); // loopback always
    }

    [Fact]
    public void A_missing_daemon_json_changes_nothing_and_a_broken_one_is_an_error_naming_the_file()
    {
        using var store = new TempStore();
        var missing = ServiceFor(store, new RegistryServiceOptions { DaemonConfigPath = _config.Combine("absent.json") });
        Assert.False(missing.ResolveEndpoint("myreg.example:5000").IsPlainHttp);

        string broken = _config.Combine("broken.json");
        File.WriteAllText(broken, """{"insecure-registries": "myreg.example:5000"}""");
        var error = Assert.Throws<InvalidInputException>(() => ServiceFor(store, new RegistryServiceOptions { DaemonConfigPath = broken }).ResolveEndpoint("x.example"));
        Assert.Equal($"unable to configure berth with file {broken}: insecure-registries must be a list of strings", error.Message);

        File.WriteAllText(broken, """{"insecure-registries": ["http://myreg.example"]}""");
        error = Assert.Throws<InvalidInputException>(() => ServiceFor(store, new RegistryServiceOptions { DaemonConfigPath = broken }).ResolveEndpoint("x.example"));
        Assert.EndsWith("insecure registry http://myreg.example should not contain '://'", error.Message);
    }

    [Fact]
    public async Task Docker_default_platform_is_the_platform_pull_asks_for_when_none_is_given()
    {
        using var client = _registry.CreateClient();
        var amd64Layer = RegistryTestImages.Layer(new Dictionary<string, byte[]> { ["arch"] = "amd64\n"u8.ToArray() });
        var arm64Layer = RegistryTestImages.Layer(new Dictionary<string, byte[]> { ["arch"] = "arm64\n"u8.ToArray() });
        byte[] amd64Config = RegistryTestImages.Config([amd64Layer]);
        byte[] arm64Config = RegistryTestImages.Config([arm64Layer], "arm64", "v8");
        const string repo = "defaultplatform/image";
        var entries = new List<Descriptor>
        {
            await RegistryTestImages.PushImageAsync(client, repo, null, [amd64Layer], amd64Config, new Platform { Os = "linux", Architecture = "amd64" }),
            await RegistryTestImages.PushImageAsync(client, repo, null, [arm64Layer], arm64Config, new Platform { Os = "linux", Architecture = "arm64", Variant = "v8" }),
        };
        byte[] index = ImageJson.Write(new ImageIndex { MediaType = MediaTypes.OciIndex, Manifests = entries }, ImageJsonContext.Default.ImageIndex);
        await client.PutManifestAsync(repo, "1", index, MediaTypes.OciIndex);
        await RegistryTestImages.PushImageAsync(client, repo, "amd64only", [amd64Layer], amd64Config);
        using var store = new TempStore();
        var service = ServiceFor(store, new RegistryServiceOptions { Client = _registry.ClientOptions, DefaultPlatform = "linux/arm64" });

        var pulled = await service.PullAsync($"{_registry.Host}/{repo}:1");
        Assert.Equal(Digest.Of(arm64Config), pulled.Images.Single().ImageId);
        // An explicit platform still wins.
        var explicitly = await service.PullAsync($"{_registry.Host}/{repo}:1", Platform.Parse("linux/amd64"));
        Assert.Equal(Digest.Of(amd64Config), explicitly.Images.Single().ImageId);
        // As with --platform, a single-platform image of another platform is refused.
        var mismatch = await Assert.ThrowsAsync<InvalidInputException>(() => service.PullAsync($"{_registry.Host}/{repo}:amd64only"));
        Assert.Contains("does not match the specified platform: wanted linux/arm64, actual: linux/amd64", mismatch.Message);

        var invalid = ServiceFor(store, new RegistryServiceOptions { Client = _registry.ClientOptions, DefaultPlatform = "arm64" });
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => invalid.PullAsync($"{_registry.Host}/{repo}:1"));
        Assert.StartsWith("invalid DOCKER_DEFAULT_PLATFORM \"arm64\"", error.Message);
    }
}
