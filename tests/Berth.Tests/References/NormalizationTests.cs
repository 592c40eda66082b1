using Berth.Engine.References;

namespace Berth.Tests.References;

// Cases transcribed from distribution/reference's normalize_test.go, plus the forms docker images prints.
public class NormalizationTests
{
    private const string Redis = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
    private const string RedisHex = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";

    [Theory]
    [InlineData("docker/docker")]
    [InlineData("library/debian")]
    [InlineData("debian")]
    [InlineData("localhost/library/debian")]
    [InlineData("localhost/debian")]
    [InlineData("LOCALDOMAIN/library/debian")]
    [InlineData("LOCALDOMAIN/debian")]
    [InlineData("docker.io/docker/docker")]
    [InlineData("docker.io/library/debian")]
    [InlineData("docker.io/debian")]
    [InlineData("index.docker.io/docker/docker")]
    [InlineData("index.docker.io/library/debian")]
    [InlineData("index.docker.io/debian")]
    [InlineData("127.0.0.1:5000/docker/docker")]
    [InlineData("127.0.0.1:5000/library/debian")]
    [InlineData("127.0.0.1:5000/debian")]
    [InlineData("192.168.0.1")]
    [InlineData("192.168.0.1:80")]
    [InlineData("192.168.0.1:8/debian")]
    [InlineData("192.168.0.2:25000/debian")]
    [InlineData("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev")]
    [InlineData("[fc00::1]:5000/docker")]
    [InlineData("[fc00::1]:5000/docker/docker")]
    [InlineData("[fc00:1:2:3:4:5:6:7]:5000/library/debian")]
    [InlineData("docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a")]
    [InlineData("Docker/docker")]
    [InlineData("DOCKER/docker")]
    [InlineData("docker-rules/docker")]
    [InlineData("docker---rules/docker")]
    [InlineData("doc/docker")]
    [InlineData("d/docker")]
    [InlineData("jess/t")]
    [InlineData("dock__er/docker")]
    public void Valid_repository_names_parse(string name) => ReferenceParser.ParseNormalizedNamed(name);

    [Theory]
    [InlineData("https://github.com/docker/docker")]
    [InlineData("docker/Docker")]
    [InlineData("-docker")]
    [InlineData("-docker/docker")]
    [InlineData("-docker.io/docker/docker")]
    [InlineData("docker///docker")]
    [InlineData("docker.io/docker/Docker")]
    [InlineData("docker.io/docker///docker")]
    [InlineData("[fc00::1]")]
    [InlineData("[fc00::1]:5000")]
    [InlineData("fc00::1:5000/debian")]
    [InlineData("[fe80::1%eth0]:5000/debian")]
    [InlineData("[2001:db8:3:4::192.0.2.33]:5000/debian")]
    [InlineData("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a")]
    [InlineData("docker-/docker")]
    [InlineData("-docker-/docker")]
    [InlineData("____/____")]
    [InlineData("_docker/_docker")]
    [InlineData("dock..er/docker")]
    [InlineData("dock_.er/docker")]
    [InlineData("dock-.er/docker")]
    [InlineData("docker/")]
    [InlineData("this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker")]
    [InlineData("")]
    [InlineData("busybox:")]
    [InlineData("busybox@")]
    [InlineData("busy box")]
    public void Invalid_repository_names_are_rejected(string name)
        => Assert.Throws<ReferenceFormatException>(() => ReferenceParser.ParseNormalizedNamed(name));

    [Theory]
    [InlineData("Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase")]
    [InlineData("docker/Docker", "invalid reference format: repository name (docker/Docker) must be lowercase")]
    [InlineData("localhost:5000/App:tag", "invalid reference format: repository name (App) must be lowercase")]
    [InlineData("busybox:bad tag", "invalid reference format")]
    [InlineData("busybox:-tag", "invalid reference format")]
    [InlineData("busy$box", "invalid reference format")]
    [InlineData(RedisHex, "invalid repository name (" + RedisHex + "), cannot specify 64-byte hexadecimal strings")]
    [InlineData("busybox@sha256:0123456789012345678901234567890123456789", "invalid checksum digest length")]
    public void Errors_carry_dockers_messages(string input, string message)
        => Assert.Equal(message, Assert.Throws<ReferenceFormatException>(() => ReferenceParser.ParseNormalizedNamed(input)).Message);

    [Fact]
    public void A_path_over_255_characters_is_too_long()
        => Assert.Equal("repository name must not be more than 255 characters",
            Assert.Throws<ReferenceFormatException>(() => ReferenceParser.ParseNormalizedNamed("example.com/" + new string('a', 256))).Message);

    // RemoteName, FamiliarName, FullName, AmbiguousName (or null), Domain
    [Theory]
    [InlineData("fooo", "localhost/fooo", "localhost/fooo", "localhost/fooo", "localhost")]
    [InlineData("fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "localhost")]
    [InlineData("fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN")]
    [InlineData("fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN")]
    [InlineData("fooo/bar", "fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar", "docker.io")]
    [InlineData("library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "library/ubuntu", "docker.io")]
    [InlineData("nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", null, "docker.io")]
    [InlineData("other/library", "other/library", "docker.io/other/library", null, "docker.io")]
    [InlineData("private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", null, "127.0.0.1:8000")]
    [InlineData("privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", null, "127.0.0.1:8000")]
    [InlineData("private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase", null, "example.com")]
    [InlineData("privatebase", "example.com/privatebase", "example.com/privatebase", null, "example.com")]
    [InlineData("private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase", null, "example.com:8000")]
    [InlineData("privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee", null, "example.com:8000")]
    [InlineData("library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "index.docker.io/library/ubuntu-12.04-base", "docker.io")]
    [InlineData("library/foo", "foo", "docker.io/library/foo", "docker.io/foo", "docker.io")]
    [InlineData("library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", null, "docker.io")]
    [InlineData("store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", null, "docker.io")]
    [InlineData("bar", "Foo/bar", "Foo/bar", null, "Foo")]
    [InlineData("bar", "FOO/bar", "FOO/bar", null, "FOO")]
    public void Repository_info_is_the_same_from_every_spelling(string remote, string familiar, string full, string? ambiguous, string domain)
    {
        var spellings = new List<string> { familiar, full };
        if (ambiguous is not null) spellings.Add(ambiguous);
        foreach (string s in spellings)
        {
            var r = ReferenceParser.ParseNormalizedNamed(s);
            Assert.Equal(familiar, r.Familiar);
            Assert.Equal(full, r.ToString());
            Assert.Equal(full, r.FullName);
            Assert.Equal(domain, r.Domain);
            Assert.Equal(remote, r.Path);
        }
    }

    [Theory]
    [InlineData("test.com/foo", "test.com", "foo")]
    [InlineData("test_com/foo", "docker.io", "test_com/foo")]
    [InlineData("docker/migrator", "docker.io", "docker/migrator")]
    [InlineData("test.com:8080/foo", "test.com:8080", "foo")]
    [InlineData("test-com:8080/foo", "test-com:8080", "foo")]
    [InlineData("foo", "docker.io", "library/foo")]
    [InlineData("xn--n3h.com/foo", "xn--n3h.com", "foo")]
    [InlineData("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo")]
    [InlineData("docker.io/foo", "docker.io", "library/foo")]
    [InlineData("docker.io/library/foo", "docker.io", "library/foo")]
    [InlineData("docker.io/library/foo/bar", "docker.io", "library/foo/bar")]
    [InlineData("index.docker.io/foo", "docker.io", "library/foo")]
    [InlineData("localhost:5000/a/b", "localhost:5000", "a/b")]
    [InlineData("[::1]:5000/x", "[::1]:5000", "x")]
    public void Normalisation_splits_the_docker_domain(string input, string domain, string path)
    {
        var r = ReferenceParser.ParseNormalizedNamed(input);
        Assert.Equal(domain, r.Domain);
        Assert.Equal(path, r.Path);
    }

    [Fact]
    public void A_reference_with_tag_and_digest_keeps_both()
    {
        const string shortRef = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
        var r = ReferenceParser.ParseNormalizedNamed(shortRef);
        Assert.Equal("docker.io/library/" + shortRef, r.ToString());
        Assert.Equal("latest", r.Tag);
        Assert.NotNull(r.Digest);
        Assert.Equal(shortRef, r.FamiliarString);
    }

    [Theory]
    [InlineData("busybox", "busybox", "docker.io/library/busybox", "docker.io/library/busybox", "busybox")]
    [InlineData("busybox:1.36", "busybox", "docker.io/library/busybox", "docker.io/library/busybox:1.36", "busybox:1.36")]
    [InlineData("localhost:5000/a/b:tag", "localhost:5000/a/b", "localhost:5000/a/b", "localhost:5000/a/b:tag", "localhost:5000/a/b:tag")]
    [InlineData("user/app:v1", "user/app", "docker.io/user/app", "docker.io/user/app:v1", "user/app:v1")]
    [InlineData("ghcr.io/owner/app", "ghcr.io/owner/app", "ghcr.io/owner/app", "ghcr.io/owner/app", "ghcr.io/owner/app")]
    [InlineData("[::1]:5000/x:1", "[::1]:5000/x", "[::1]:5000/x", "[::1]:5000/x:1", "[::1]:5000/x:1")]
    public void Familiar_and_full_forms(string input, string familiar, string full, string canonical, string familiarString)
    {
        var r = ReferenceParser.ParseNormalizedNamed(input);
        Assert.Equal(familiar, r.Familiar);
        Assert.Equal(full, r.FullName);
        Assert.Equal(canonical, r.ToString());
        Assert.Equal(familiarString, r.FamiliarString);
    }

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest", "busybox:latest")]
    [InlineData("busybox:1", "docker.io/library/busybox:1", "busybox:1")]
    [InlineData("busybox@" + Redis, "docker.io/library/busybox@" + Redis, "busybox@" + Redis)]
    public void WithDefaultTag_adds_latest_only_to_a_bare_name(string input, string canonical, string familiar)
    {
        var r = ReferenceParser.ParseNormalizedNamed(input).WithDefaultTag();
        Assert.Equal(canonical, r.ToString());
        Assert.Equal(familiar, r.FamiliarString);
    }

    [Theory]
    [InlineData("redis", "docker.io/library/redis")]
    [InlineData("redis:latest", "docker.io/library/redis:latest")]
    [InlineData("docker.io/library/redis:latest", "docker.io/library/redis:latest")]
    [InlineData("redis@" + Redis, "docker.io/library/redis@" + Redis)]
    [InlineData("docker.io/library/redis@" + Redis, "docker.io/library/redis@" + Redis)]
    [InlineData("dmcgowan/myapp", "docker.io/dmcgowan/myapp")]
    [InlineData("dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest")]
    [InlineData("docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest")]
    [InlineData("dmcgowan/myapp@" + Redis, "docker.io/dmcgowan/myapp@" + Redis)]
    [InlineData("docker.io/dmcgowan/myapp@" + Redis, "docker.io/dmcgowan/myapp@" + Redis)]
    [InlineData(RedisHex, Redis)]
    [InlineData(Redis, Redis)]
    [InlineData("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9")]
    [InlineData("dbcc1", "docker.io/library/dbcc1")]
    public void ParseAnyReference_treats_full_hex_ids_as_digests(string input, string equivalent)
    {
        var r = ReferenceParser.ParseAnyReference(input);
        Assert.Equal(equivalent, r.ToString());
        Assert.Equal(equivalent.StartsWith("sha256:", StringComparison.Ordinal), r.IsDigestOnly);
        if (r.IsDigestOnly) Assert.Equal(Redis, r.FamiliarString);
    }

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:latest", "docker.io/library/busybox:latest")]
    [InlineData("busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "docker.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582")]
    [InlineData("library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/busybox:latest", "docker.io/library/busybox:latest")]
    [InlineData("library/busybox:latest", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/library/busybox:latest", "docker.io/library/busybox:latest")]
    [InlineData("gcr.io/library/busybox", "gcr.io/library/busybox:latest")]
    [InlineData("gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "gcr.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582")]
    public void ParseDockerRef_adds_latest_and_drops_a_tag_beside_a_digest(string input, string expected)
    {
        string output = ReferenceParser.ParseDockerRef(input).ToString();
        Assert.Equal(expected, output);
        ReferenceParser.Parse(output);
    }

    [Theory]
    [InlineData("foo", "foo/**/ba[rz]", false)]
    [InlineData("foo/any/bat", "foo/**/ba[rz]", false)]
    [InlineData("foo/a/bar", "foo/**/ba[rz]", true)]
    [InlineData("foo/b/baz", "foo/**/ba[rz]", true)]
    [InlineData("foo/c/baz:tag", "foo/**/ba[rz]", true)]
    [InlineData("foo/c/baz:tag", "foo/*/baz:tag", true)]
    [InlineData("foo/c/baz:tag", "foo/c/baz:tag", true)]
    [InlineData("example.com/foo/c/baz:tag", "*/foo/c/baz", true)]
    [InlineData("example.com/foo/c/baz:tag", "example.com/foo/c/baz", true)]
    [InlineData("busybox:latest", "busy*", true)]
    [InlineData("busybox:latest", "busybox:lat?st", true)]
    [InlineData("busybox:latest", "ubuntu", false)]
    public void FamiliarMatch_follows_go_path_match(string reference, string pattern, bool expected)
        => Assert.Equal(expected, ReferenceParser.ParseAnyReference(reference).FamiliarMatch(pattern));

    [Fact]
    public void FamiliarMatch_reports_a_malformed_pattern()
        => Assert.Equal(PathPattern.BadPattern,
            Assert.ThrowsAny<Berth.Engine.InvalidInputException>(() => ReferenceParser.ParseAnyReference("foo").FamiliarMatch("[-x]")).Message);

    [Theory]
    [InlineData("3f95", true)]
    [InlineData("a", true)]
    [InlineData(RedisHex, true)]
    [InlineData("sha256:dbcc1c", true)]
    [InlineData(Redis, true)]
    [InlineData("", false)]
    [InlineData("sha256:", false)]
    [InlineData("busybox", false)]
    [InlineData("3F95", false)]
    [InlineData("3f95:latest", false)]
    [InlineData(RedisHex + "0", false)]
    public void LooksLikeIdPrefix_accepts_lowercase_hex_up_to_64(string input, bool expected)
        => Assert.Equal(expected, ReferenceParser.LooksLikeIdPrefix(input));

    [Fact]
    public void IsImageId_requires_all_64_hex_digits()
    {
        Assert.True(ReferenceParser.IsImageId(RedisHex));
        Assert.False(ReferenceParser.IsImageId(RedisHex[..63]));
        Assert.False(ReferenceParser.IsImageId(Redis));
    }

    [Fact]
    public void TryParseNormalizedNamed_reports_failure_without_throwing()
    {
        Assert.False(ReferenceParser.TryParseNormalizedNamed("Bad Name", out var none));
        Assert.Null(none);
        Assert.True(ReferenceParser.TryParseNormalizedNamed("busybox", out var r));
        Assert.Equal("docker.io/library/busybox", r!.ToString());
    }

    [Fact]
    public void WithoutTagOrDigest_keeps_only_the_repository()
        => Assert.Equal("docker.io/library/busybox",
            ReferenceParser.ParseNormalizedNamed("busybox:1@" + Redis).WithoutTagOrDigest().ToString());
}
