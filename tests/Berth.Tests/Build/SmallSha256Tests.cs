using System.Security.Cryptography;
using Berth.Engine.Build;

namespace Berth.Tests.Build;

public class SmallSha256Tests
{
    [Fact]
    public void It_agrees_with_the_platform_sha256_at_every_padding_boundary_and_beyond()
    {
        var random = new Random(42);
        foreach (int length in new[] { 0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 70000, 300000 })
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(SHA256.HashData(data), SmallSha256.Hash(data));
        }
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", SmallSha256.Of("abc").ToString());
    }
}
