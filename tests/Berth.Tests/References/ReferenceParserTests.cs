using Berth.Engine;
using Berth.Engine.Content;
using Berth.Engine.References;

namespace Berth.Tests.References;

// Cases transcribed from distribution/reference's reference_test.go and normalize_test.go.
public class ReferenceParserTests
{
    private const string F64 = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    public static TheoryData<string, string, string, string?, string?> ValidStrictReferences()
    {
        var d = new TheoryData<string, string, string, string?, string?>
        {
            // input, name, domain, tag, digest
            { "test_com", "test_com", "", null, null },
            { "test.com:tag", "test.com", "", "tag", null },
            { "test.com:5000", "test.com", "", "5000", null },
            { "test.com/repo:tag", "test.com/repo", "test.com", "tag", null },
            { "test:5000/repo", "test:5000/repo", "test:5000", null, null },
            { "test:5000/repo:tag", "test:5000/repo", "test:5000", "tag", null },
            { "test:5000/repo@sha256:" + F64, "test:5000/repo", "test:5000", null, "sha256:" + F64 },
            { "test:5000/repo:tag@sha256:" + F64, "test:5000/repo", "test:5000", "tag", "sha256:" + F64 },
            { "lowercase:Uppercase", "lowercase", "", "Uppercase", null },
            { string.Concat(Enumerable.Repeat("a/", 127)) + "a:tag-puts-this-over-max", string.Concat(Enumerable.Repeat("a/", 127)) + "a", "a", "tag-puts-this-over-max", null },
            { "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", null, null },
            { "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "some-long-tag", null },
            { "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app", "b.gcr.io", "test.example.com", null },
            { "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage", "xn--n3h.com", "xn--n3h.com", null },
            { "xn--7o8h.com/myimage:xn--7o8h.com@sha256:" + F64, "xn--7o8h.com/myimage", "xn--7o8h.com", "xn--7o8h.com", "sha256:" + F64 },
            { "foo_bar.com:8080", "foo_bar.com", "", "8080", null },
            { "foo/foo_bar.com:8080", "foo/foo_bar.com", "foo", "8080", null },
            { "192.168.1.1", "192.168.1.1", "", null, null },
            { "192.168.1.1:tag", "192.168.1.1", "", "tag", null },
            { "192.168.1.1:5000", "192.168.1.1", "", "5000", null },
            { "192.168.1.1/repo", "192.168.1.1/repo", "192.168.1.1", null, null },
            { "192.168.1.1:5000/repo", "192.168.1.1:5000/repo", "192.168.1.1:5000", null, null },
            { "192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo", "192.168.1.1:5000", "5050", null },
            { "[2001:db8::1]/repo", "[2001:db8::1]/repo", "[2001:db8::1]", null, null },
            { "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo", "[2001:db8:1:2:3:4:5:6]", "tag", null },
            { "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", null, null },
            { "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "tag", null },
            { "[2001:db8::1]:5000/repo@sha256:" + F64, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", null, "sha256:" + F64 },
            { "[2001:db8::1]:5000/repo:tag@sha256:" + F64, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "tag", "sha256:" + F64 },
            { "[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo", "[2001:db8::]:5000", null, null },
            { "[::1]:5000/repo", "[::1]:5000/repo", "[::1]:5000", null, null },
            { "example.com/" + new string('a', 255) + ":tag", "example.com/" + new string('a', 255), "example.com", "tag", null },
        };
        return d;
    }

    [Theory]
    [MemberData(nameof(ValidStrictReferences))]
    public void Strict_parse_splits_name_domain_tag_and_digest(string input, string name, string domain, string? tag, string? digest)
    {
        var r = ReferenceParser.Parse(input);
        Assert.Equal(input, r.ToString());
        Assert.Equal(name, r.Name);
        Assert.Equal(domain, r.Domain);
        Assert.Equal(tag, r.Tag);
        Assert.Equal(digest, r.Digest?.ToString());
    }

    public static TheoryData<string, string> InvalidStrictReferences() => new()
    {
        { "", ReferenceFormatException.NameEmpty },
        { ":justtag", ReferenceFormatException.InvalidFormat },
        { "@sha256:" + F64, ReferenceFormatException.InvalidFormat },
        { "repo@sha256:ffffffffffffffffffffffffffffffffff", ReferenceFormatException.ChecksumInvalidLength },
        { "validname@invaliddigest:" + F64, ReferenceFormatException.DigestUnsupported },
        { "Uppercase:tag", ReferenceFormatException.NameContainsUppercase },
        { "test:5000/Uppercase/lowercase:tag", ReferenceFormatException.NameContainsUppercase },
        { "domain/" + new string('a', 256) + ":tag", ReferenceFormatException.NameTooLong },
        { "aa/asdf$$^/aa", ReferenceFormatException.InvalidFormat },
        { "[2001:db8::1]", ReferenceFormatException.InvalidFormat },
        { "[2001:db8::1]:5000", ReferenceFormatException.InvalidFormat },
        { "[2001:db8::1]:tag", ReferenceFormatException.InvalidFormat },
        { "[fe80::1%eth0]:5000/repo", ReferenceFormatException.InvalidFormat },
        { "[fe80::1%@invalidzone]:5000/repo", ReferenceFormatException.InvalidFormat },
        // Go's $ would not match before a trailing newline either.
        { "busybox\n", ReferenceFormatException.InvalidFormat },
        { "repo:" + new string('t', 129), ReferenceFormatException.InvalidFormat },
        { "repo:-tag", ReferenceFormatException.InvalidFormat },
        { "repo@sha256:" + F64.ToUpperInvariant(), ReferenceFormatException.ChecksumInvalidFormat },
    };

    [Theory]
    [MemberData(nameof(InvalidStrictReferences))]
    public void Strict_parse_rejects_malformed_references_with_dockers_message(string input, string message)
    {
        var e = Assert.Throws<ReferenceFormatException>(() => ReferenceParser.Parse(input));
        Assert.Equal(message, e.Message);
        Assert.IsAssignableFrom<InvalidInputException>(e);
    }

    [Fact]
    public void Sha512_digests_are_accepted()
    {
        string hex = new('f', 128);
        var r = ReferenceParser.Parse("validname@sha512:" + hex);
        Assert.Equal("sha512:" + hex, r.Digest?.ToString());
    }

    [Fact]
    public void A_tag_of_128_characters_is_the_longest_allowed()
    {
        string tag = new('t', 128);
        Assert.Equal(tag, ReferenceParser.Parse("repo:" + tag).Tag);
        Assert.True(ReferenceParser.IsValidTag(tag));
        Assert.False(ReferenceParser.IsValidTag(tag + "t"));
    }

    [Theory]
    [InlineData("", ReferenceFormatException.InvalidFormat)]
    [InlineData(":justtag", ReferenceFormatException.InvalidFormat)]
    [InlineData("@sha256:" + F64, ReferenceFormatException.InvalidFormat)]
    [InlineData("validname@invaliddigest:" + F64, ReferenceFormatException.InvalidFormat)]
    [InlineData("example.com/repo:tag", ReferenceFormatException.InvalidFormat)]
    [InlineData("aa/asdf$$^/aa", ReferenceFormatException.InvalidFormat)]
    public void ParseName_rejects_anything_but_a_bare_name(string input, string message)
        => Assert.Equal(message, Assert.Throws<ReferenceFormatException>(() => ReferenceParser.ParseName(input)).Message);

    [Fact]
    public void ParseName_rejects_a_path_over_255_characters()
        => Assert.Equal(ReferenceFormatException.NameTooLong,
            Assert.Throws<ReferenceFormatException>(() => ReferenceParser.ParseName("example.com/" + new string('a', 256))).Message);

    [Theory]
    [InlineData("test.com/foo", "test.com", "foo")]
    [InlineData("test_com/foo", "", "test_com/foo")]
    [InlineData("test:8080/foo", "test:8080", "foo")]
    [InlineData("test.com:8080/foo", "test.com:8080", "foo")]
    [InlineData("test-com:8080/foo", "test-com:8080", "foo")]
    [InlineData("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo")]
    public void ParseName_splits_domain_and_path(string input, string domain, string path)
    {
        var r = ReferenceParser.ParseName(input);
        Assert.Equal(domain, r.Domain);
        Assert.Equal(path, r.Path);
    }

    [Theory]
    [InlineData("test.com/foo", "tag", null, "test.com/foo:tag")]
    [InlineData("foo", "tag2", null, "foo:tag2")]
    [InlineData("test.com:8000/foo", "tag4", null, "test.com:8000/foo:tag4")]
    [InlineData("test.com:8000/foo", "TAG5", null, "test.com:8000/foo:TAG5")]
    [InlineData("test.com:8000/foo", "TAG5", "sha256:" + F64, "test.com:8000/foo:TAG5@sha256:" + F64)]
    public void WithTag_keeps_name_and_digest(string name, string tag, string? digest, string combined)
    {
        var r = ReferenceParser.ParseName(name);
        if (digest is not null) r = r.WithDigest(Digest.Parse(digest));
        Assert.Equal(combined, r.WithTag(tag).ToString());
    }

    [Theory]
    [InlineData("test.com/foo", null, "test.com/foo@sha256:" + F64)]
    [InlineData("foo", null, "foo@sha256:" + F64)]
    [InlineData("test.com:8000/foo", "latest", "test.com:8000/foo:latest@sha256:" + F64)]
    public void WithDigest_keeps_name_and_tag(string name, string? tag, string combined)
    {
        var r = ReferenceParser.ParseName(name);
        if (tag is not null) r = r.WithTag(tag);
        Assert.Equal(combined, r.WithDigest(Digest.Parse("sha256:" + F64)).ToString());
    }

    [Theory]
    [InlineData("-foo")]
    [InlineData("foo bar")]
    [InlineData("")]
    public void WithTag_rejects_invalid_tags(string tag)
        => Assert.Equal(ReferenceFormatException.TagInvalidFormat,
            Assert.Throws<ReferenceFormatException>(() => ReferenceParser.ParseNormalizedNamed("busybox").WithTag(tag)).Message);

    [Theory]
    [InlineData("test.com/foo", "test.com", "foo", null)]
    [InlineData("test:8080/foo", "test:8080", "foo", null)]
    [InlineData("docker.io/library/foo", "docker.io", "library/foo", null)]
    [InlineData("test_com/foo", null, null, ReferenceFormatException.NameNotCanonical)]
    [InlineData("test.com", null, null, ReferenceFormatException.NameNotCanonical)]
    [InlineData("foo", null, null, ReferenceFormatException.NameNotCanonical)]
    [InlineData("library/foo", null, null, ReferenceFormatException.NameNotCanonical)]
    [InlineData("docker.io/foo", null, null, ReferenceFormatException.NameNotCanonical)]
    public void ParseCanonicalNamed_requires_the_canonical_form(string input, string? domain, string? path, string? error)
    {
        if (error is not null)
        {
            Assert.Equal(error, Assert.Throws<ReferenceFormatException>(() => ReferenceParser.ParseCanonicalNamed(input)).Message);
            return;
        }
        var r = ReferenceParser.ParseCanonicalNamed(input);
        Assert.Equal(domain, r.Domain);
        Assert.Equal(path, r.Path);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("localhost:5000")]
    [InlineData("registry.example.com")]
    [InlineData("[::1]:5000")]
    [InlineData("LOCALDOMAIN")]
    public void Valid_domains_are_recognised(string domain) => Assert.True(ReferenceParser.IsValidDomain(domain));

    [Theory]
    [InlineData("-bad.com")]
    [InlineData("[fe80::1%eth0]")]
    [InlineData("host:port")]
    [InlineData("")]
    public void Invalid_domains_are_rejected(string domain) => Assert.False(ReferenceParser.IsValidDomain(domain));
}
