using Berth.Engine.Units;

namespace Berth.Tests.Units;

/// <summary>Sizes as docker/go-units' RAMInBytes (v0.5, parseSize) reads them.</summary>
public class RamSizeTests
{
    [Theory]
    [InlineData("100", 100L)]
    [InlineData("64m", 64L << 20)]
    [InlineData("64M", 64L << 20)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("512k", 512L << 10)]
    [InlineData("512kb", 512L << 10)]
    [InlineData("512KiB", 512L << 10)]
    [InlineData(".5m", 1L << 19)]
    [InlineData("1.", 1L)]
    [InlineData("1e3", 1000L)]
    [InlineData("+5m", 5L << 20)]
    [InlineData("0.3mb", 314572L)]
    [InlineData("512 mb", 512L << 20)]
    [InlineData("7 ", 7L)]
    [InlineData("2t", 2L << 40)]
    [InlineData("1p", 1L << 50)]
    [InlineData("10b", 10L)]
    [InlineData("0", 0L)]
    public void Sizes_read_as_go_units_reads_them(string text, long bytes)
    {
        Assert.True(RamSize.TryParse(text, out long parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("-1")]
    [InlineData("1x")]
    [InlineData("1.2.3m")]
    [InlineData(" 1m")]
    [InlineData("1  m")]
    [InlineData("1mm")]
    [InlineData("1bi")]
    [InlineData("512ki")]
    [InlineData("1i")]
    [InlineData("1ib")]
    [InlineData("1kibb")]
    [InlineData("99999999999p")]
    public void What_go_units_refuses_is_refused(string text) => Assert.False(RamSize.TryParse(text, out _));
}
