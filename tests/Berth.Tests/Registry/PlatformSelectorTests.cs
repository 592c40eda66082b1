using Berth.Engine;
using Berth.Engine.Images;
using Berth.Engine.Registry;

namespace Berth.Tests.Registry;

public class PlatformSelectorTests
{
    static Descriptor Entry(string os, string arch, string? variant = null, int n = 0) => new()
    {
        MediaType = MediaTypes.OciManifest,
        Digest = Berth.Engine.Content.Digest.Of($"{os}/{arch}/{variant}/{n}").ToString(),
        Size = 100,
        Platform = new Platform { Os = os, Architecture = arch, Variant = variant },
    };

    static ImageIndex Index(params Descriptor[] entries) => new() { Manifests = entries };

    [Fact]
    public void Arm64_matches_an_entry_with_the_v8_variant_and_the_other_way_round()
    {
        var v8 = Entry("linux", "arm64", "v8");
        Assert.Same(v8, PlatformSelector.Select(Index(Entry("linux", "amd64"), v8), Platform.Parse("linux/arm64")));
        var plain = Entry("linux", "arm64");
        Assert.Same(plain, PlatformSelector.Select(Index(plain), Platform.Parse("linux/arm64/v8")));
    }

    [Fact]
    public void Arm_v7_prefers_v7_and_accepts_v6_but_not_v8()
    {
        var v6 = Entry("linux", "arm", "v6");
        var v7 = Entry("linux", "arm", "v7");
        Assert.Same(v7, PlatformSelector.Select(Index(v6, v7), Platform.Parse("linux/arm/v7")));
        Assert.Same(v6, PlatformSelector.Select(Index(v6), Platform.Parse("linux/arm/v7")));
        Assert.Null(PlatformSelector.TrySelect(Index(v7), Platform.Parse("linux/arm/v6")));
        Assert.Same(v7, PlatformSelector.Select(Index(v7), Platform.Parse("linux/arm")));
    }

    [Fact]
    public void Amd64_takes_a_plain_entry_and_a_v3_host_takes_v2_over_v1()
    {
        var plain = Entry("linux", "amd64");
        var v2 = Entry("linux", "amd64", "v2");
        Assert.Same(plain, PlatformSelector.Select(Index(v2, plain), Platform.Parse("linux/amd64")));
        Assert.Same(v2, PlatformSelector.Select(Index(plain, v2), Platform.Parse("linux/amd64/v3")));
        Assert.Same(plain, PlatformSelector.Select(Index(Entry("linux", "x86_64")) with { Manifests = [plain] }, Platform.Parse("linux/x86_64")));
    }

    [Fact]
    public void Attestations_and_other_oses_are_skipped()
    {
        var linux = Entry("linux", "amd64");
        Assert.Same(linux, PlatformSelector.Select(Index(Entry("unknown", "unknown"), Entry("windows", "amd64"), linux), Platform.Parse("linux/amd64")));
    }

    [Fact]
    public void No_match_lists_the_available_platforms()
    {
        var index = Index(Entry("linux", "arm64", "v8"), Entry("linux", "arm", "v7"), Entry("unknown", "unknown"));
        var e = Assert.Throws<NotFoundException>(() => PlatformSelector.Select(index, Platform.Parse("linux/amd64")));
        Assert.Equal("no matching manifest for linux/amd64 in the manifest list entries (available: linux/arm64, linux/arm/v7)", e.Message);
    }
}
