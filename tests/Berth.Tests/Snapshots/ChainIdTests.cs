using Berth.Engine.Content;
using Berth.Engine.Snapshots;

namespace Berth.Tests.Snapshots;

public class ChainIdTests
{
    [Fact]
    public void Chain_id_follows_the_oci_image_spec_definition()
    {
        var a = Digest.Of("a");
        var b = Digest.Of("b");
        var chains = ChainId.For([a, b]);
        Assert.Equal(a, chains[0]);
        Assert.Equal(Digest.Of(a + " " + b), chains[1]);
    }
}
