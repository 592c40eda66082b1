using Berth.Engine.Registry;

namespace Berth.Tests.Registry;

public class AuthChallengeTests
{
    [Fact]
    public void Bearer_challenge_with_realm_service_and_scope_is_parsed()
    {
        var c = AuthChallenge.Parse("""Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push" """).Single();
        Assert.True(c.IsBearer);
        Assert.Equal("https://auth.docker.io/token", c.Realm);
        Assert.Equal("registry.docker.io", c.Service);
        Assert.Equal("repository:library/busybox:pull,push", c.Scope);
    }

    [Fact]
    public void Quoted_strings_keep_commas_and_unescape_backslashes()
    {
        var c = AuthChallenge.Parse("""Basic realm="a, \"quoted\" \\ realm", charset=UTF-8""").Single();
        Assert.True(c.IsBasic);
        Assert.Equal("a, \"quoted\" \\ realm", c.Realm);
        Assert.Equal("UTF-8", c.Parameters["charset"]);
    }

    [Fact]
    public void Several_challenges_in_one_header_and_across_headers_are_all_returned()
    {
        var list = AuthChallenge.Parse(["""Bearer realm="https://r/t",service="s", Basic realm="b" """, "Negotiate"]);
        Assert.Equal(["Bearer", "Basic", "Negotiate"], list.Select(c => c.Scheme));
        Assert.Equal("b", list[1].Realm);
        Assert.Empty(list[2].Parameters);
    }

    [Fact]
    public void Parameter_names_are_case_insensitive()
        => Assert.Equal("x", AuthChallenge.Parse("bearer Realm=\"x\"").Single().Realm);
}

public class RegistryEndpointTests
{
    static readonly RegistryClientOptions NoCerts = new() { CertificateDirectories = [] };

    [Theory]
    [InlineData("docker.io", "https://registry-1.docker.io/")]
    [InlineData("index.docker.io", "https://registry-1.docker.io/")]
    [InlineData("ghcr.io", "https://ghcr.io/")]
    [InlineData("localhost:5000", "http://localhost:5000/")]
    [InlineData("127.0.0.1:5000", "http://127.0.0.1:5000/")]
    [InlineData("127.3.4.5", "http://127.3.4.5/")]
    [InlineData("[::1]:5000", "http://[::1]:5000/")]
    [InlineData("myreg.local:5000", "https://myreg.local:5000/")]
    [InlineData("10.0.0.1:5000", "https://10.0.0.1:5000/")]
    public void Hosts_map_to_base_uris(string host, string expected)
        => Assert.Equal(expected, RegistryEndpoint.Resolve(host, NoCerts).BaseUri.ToString());

    [Fact]
    public void Hosts_configured_as_insecure_use_plain_http()
    {
        var options = NoCerts with { InsecureRegistries = new HashSet<string> { "myreg.local:5000" } };
        var endpoint = RegistryEndpoint.Resolve("myreg.local:5000", options);
        Assert.True(endpoint.IsPlainHttp);
        Assert.False(RegistryEndpoint.Resolve("other.local:5000", options).IsPlainHttp);
    }

    [Fact]
    public void Certs_d_folders_are_searched_in_order_for_cas_and_client_certificates()
    {
        string berth = Directory.CreateTempSubdirectory("berth-certs-").FullName;
        string docker = Directory.CreateTempSubdirectory("docker-certs-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(berth, "reg.example:443"));
            File.WriteAllText(Path.Combine(berth, "reg.example:443", "ca.crt"), "");
            Directory.CreateDirectory(Path.Combine(docker, "reg.example:443"));
            File.WriteAllText(Path.Combine(docker, "reg.example:443", "ca.crt"), "");
            File.WriteAllText(Path.Combine(docker, "reg.example:443", "client.cert"), "");
            File.WriteAllText(Path.Combine(docker, "reg.example:443", "client.key"), "");
            var endpoint = RegistryEndpoint.Resolve("reg.example:443", new RegistryClientOptions { CertificateDirectories = [berth, docker] });
            Assert.Equal([Path.Combine(berth, "reg.example:443", "ca.crt"), Path.Combine(docker, "reg.example:443", "ca.crt")], endpoint.CaFiles);
            Assert.Equal(Path.Combine(docker, "reg.example:443", "client.key"), endpoint.ClientCertificateFiles?.Key);
        }
        finally
        {
            Directory.Delete(berth, true);
            Directory.Delete(docker, true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("reg.example/path")]
    [InlineData("user@reg.example")]
    public void Malformed_hosts_are_rejected(string host)
        => Assert.Throws<Berth.Engine.InvalidInputException>(() => RegistryEndpoint.Resolve(host, NoCerts));
}
