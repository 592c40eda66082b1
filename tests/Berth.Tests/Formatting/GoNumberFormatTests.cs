using Berth.Cli.Formatting;

namespace Berth.Tests.Formatting;

// Expected strings are what Go's strconv.FormatFloat / fmt produce.
public class GoNumberFormatTests
{
    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(1.5, "1.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(123456.0, "123456")]
    [InlineData(1234567.0, "1.234567e+06")]
    [InlineData(1e6, "1e+06")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.0, "0")]
    [InlineData(1e21, "1e+21")]
    [InlineData(3.14159, "3.14159")]
    public void Shortest_g_matches_go_percent_v(double v, string expected)
        => Assert.Equal(expected, GoNumberFormat.FormatFloat(v, 'g', -1));

    [Theory]
    [InlineData(1.98, 'g', 3, "1.98")]
    [InlineData(100.0, 'g', 3, "100")]
    [InlineData(1000.0, 'g', 3, "1e+03")]
    [InlineData(0.5, 'g', 3, "0.5")]
    [InlineData(3.14159, 'f', 2, "3.14")]
    [InlineData(2.5, 'f', 0, "2")]
    [InlineData(3.5, 'f', 0, "4")]
    [InlineData(1.0, 'f', 6, "1.000000")]
    [InlineData(1234.5678, 'e', 3, "1.235e+03")]
    [InlineData(0.0, 'e', 2, "0.00e+00")]
    [InlineData(0.0, 'f', 1, "0.0")]
    [InlineData(0.001234, 'g', 2, "0.0012")]
    public void Fixed_precision_formats_match_go(double v, char fmt, int prec, string expected)
        => Assert.Equal(expected, GoNumberFormat.FormatFloat(v, fmt, prec));
}
