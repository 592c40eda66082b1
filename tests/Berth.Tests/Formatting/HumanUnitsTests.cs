using Berth.Cli.Formatting;

namespace Berth.Tests.Formatting;

// Expected strings follow docker/go-units (size_test.go, duration_test.go) and Go's %g rules.
public class HumanUnitsTests
{
    private const double KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024, PiB = TiB * 1024;
    private const double KB = 1000, MB = KB * 1000, GB = MB * 1000, TB = GB * 1000, PB = TB * 1000;

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(1, "1B")]
    [InlineData(999, "999B")]
    [InlineData(1000, "1kB")]
    [InlineData(1024, "1.02kB")]
    [InlineData(1980000, "1.98MB")]
    [InlineData(4860000, "4.86MB")]
    [InlineData(4864000, "4.86MB")]
    [InlineData(123456789, "123MB")]
    [InlineData(1048576, "1.05MB")]
    [InlineData(77800000, "77.8MB")]
    [InlineData(1_200_000_000, "1.2GB")]
    [InlineData(999_999, "1e+03kB")] // Go's %.3g switches to exponent form when rounding reaches 1000
    [InlineData(100_000, "100kB")]
    [InlineData(1125, "1.12kB")] // exact tie rounds half to even, as Go does
    [InlineData(1135, "1.14kB")]
    public void HumanSize_matches_docker_images_SIZE_column(long bytes, string expected)
        => Assert.Equal(expected, HumanUnits.HumanSize(bytes));

    [Fact]
    public void HumanSize4_matches_go_units_HumanSize()
    {
        Assert.Equal("1kB", HumanUnits.HumanSize4(1000));
        Assert.Equal("1.024kB", HumanUnits.HumanSize4(1024));
        Assert.Equal("1MB", HumanUnits.HumanSize4(1000000));
        Assert.Equal("1.049MB", HumanUnits.HumanSize4(1048576));
        Assert.Equal("2MB", HumanUnits.HumanSize4(2 * MB));
        Assert.Equal("3.42GB", HumanUnits.HumanSize4(3.42 * GB));
        Assert.Equal("5.372TB", HumanUnits.HumanSize4(5.372 * TB));
        Assert.Equal("2.22PB", HumanUnits.HumanSize4(2.22 * PB));
        Assert.Equal("1e+04YB", HumanUnits.HumanSize4(10000000000000 * PB));
    }

    [Fact]
    public void BytesSize_matches_go_units()
    {
        Assert.Equal("1KiB", HumanUnits.BytesSize(1024));
        Assert.Equal("1MiB", HumanUnits.BytesSize(1024 * 1024));
        Assert.Equal("2MiB", HumanUnits.BytesSize(2 * MiB));
        Assert.Equal("3.42GiB", HumanUnits.BytesSize(3.42 * GiB));
        Assert.Equal("5.372TiB", HumanUnits.BytesSize(5.372 * TiB));
        Assert.Equal("2.22PiB", HumanUnits.BytesSize(2.22 * PiB));
        Assert.Equal("1.049e+06YiB", HumanUnits.BytesSize(KiB * KiB * KiB * KiB * KiB * PiB));
        Assert.Equal("1.5MiB", HumanUnits.BytesSize(1572864));
        Assert.Equal("0B", HumanUnits.BytesSize(0));
        Assert.Equal("512B", HumanUnits.BytesSize(512));
    }

    private static readonly TimeSpan Day = TimeSpan.FromDays(1), Week = 7 * Day, Month = 30 * Day, Year = 365 * Day;

    public static TheoryData<TimeSpan, string> Durations() => new()
    {
        { TimeSpan.FromMilliseconds(450), "Less than a second" },
        { TimeSpan.Zero, "Less than a second" },
        { TimeSpan.FromSeconds(-5), "Less than a second" },
        { TimeSpan.FromSeconds(1), "1 second" },
        { TimeSpan.FromMilliseconds(1999), "1 second" },
        { TimeSpan.FromSeconds(45), "45 seconds" },
        { TimeSpan.FromSeconds(46), "46 seconds" },
        { TimeSpan.FromSeconds(59), "59 seconds" },
        { TimeSpan.FromSeconds(60), "About a minute" },
        { TimeSpan.FromSeconds(119), "About a minute" },
        { TimeSpan.FromMinutes(3), "3 minutes" },
        { TimeSpan.FromMinutes(35), "35 minutes" },
        { TimeSpan.FromMinutes(35) + TimeSpan.FromSeconds(40), "35 minutes" },
        { TimeSpan.FromMinutes(45), "45 minutes" },
        { TimeSpan.FromMinutes(45) + TimeSpan.FromSeconds(40), "45 minutes" },
        { TimeSpan.FromMinutes(46), "46 minutes" },
        { TimeSpan.FromMinutes(59), "59 minutes" },
        { TimeSpan.FromHours(1), "About an hour" },
        { TimeSpan.FromHours(1) + TimeSpan.FromMinutes(29), "About an hour" },
        { TimeSpan.FromHours(1) + TimeSpan.FromMinutes(31), "2 hours" },
        { TimeSpan.FromHours(1) + TimeSpan.FromMinutes(59), "2 hours" },
        { TimeSpan.FromHours(3), "3 hours" },
        { TimeSpan.FromHours(3) + TimeSpan.FromMinutes(29), "3 hours" },
        { TimeSpan.FromHours(3) + TimeSpan.FromMinutes(31), "4 hours" },
        { TimeSpan.FromHours(3) + TimeSpan.FromMinutes(59), "4 hours" },
        { TimeSpan.FromHours(3) + TimeSpan.FromMinutes(60), "4 hours" },
        { TimeSpan.FromHours(24), "24 hours" },
        { Day + TimeSpan.FromHours(12), "36 hours" },
        { 2 * Day, "2 days" },
        { 7 * Day, "7 days" },
        { 13 * Day + TimeSpan.FromHours(5), "13 days" },
        { 2 * Week, "2 weeks" },
        { 2 * Week + 4 * Day, "2 weeks" },
        { 3 * Week, "3 weeks" },
        { 4 * Week, "4 weeks" },
        { 4 * Week + 3 * Day, "4 weeks" },
        { Month, "4 weeks" },
        { Month + 2 * Week, "6 weeks" },
        { 2 * Month, "2 months" },
        { 2 * Month + 2 * Week, "2 months" },
        { 3 * Month, "3 months" },
        { 3 * Month + Week, "3 months" },
        { 5 * Month + 2 * Week, "5 months" },
        { 13 * Month, "13 months" },
        { 23 * Month, "23 months" },
        { 24 * Month, "24 months" },
        { 24 * Month + 2 * Week, "2 years" },
        { 3 * Year + 2 * Month, "3 years" },
    };

    [Theory]
    [MemberData(nameof(Durations))]
    public void HumanDuration_matches_go_units_thresholds(TimeSpan d, string expected)
        => Assert.Equal(expected, HumanUnits.HumanDuration(d));

    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TimeAgo_is_what_docker_prints_in_CREATED_columns()
    {
        Assert.Equal("2 minutes ago", HumanUnits.TimeAgo(Now.AddMinutes(-2), Now));
        Assert.Equal("About an hour ago", HumanUnits.TimeAgo(Now.AddMinutes(-70), Now));
        Assert.Equal("Less than a second ago", HumanUnits.TimeAgo(Now, Now));
        Assert.Equal("3 weeks ago", HumanUnits.TimeAgo(Now.AddDays(-21), Now));
    }

    [Fact]
    public void ContainerStatus_matches_docker_ps_STATUS()
    {
        Assert.Equal("Up 3 seconds", HumanUnits.ContainerStatus(new(true, Now.AddSeconds(-3), null), Now));
        Assert.Equal("Up Less than a second", HumanUnits.ContainerStatus(new(true, Now, null), Now));
        Assert.Equal("Up 2 hours (healthy)", HumanUnits.ContainerStatus(new(true, Now.AddHours(-2), null, Health: "healthy"), Now));
        Assert.Equal("Up 5 seconds (health: starting)", HumanUnits.ContainerStatus(new(true, Now.AddSeconds(-5), null, Health: "starting"), Now));
        Assert.Equal("Up About a minute (Paused)", HumanUnits.ContainerStatus(new(true, Now.AddMinutes(-1), null, Paused: true), Now));
        Assert.Equal("Restarting (1) 4 seconds ago", HumanUnits.ContainerStatus(new(true, Now.AddMinutes(-1), Now.AddSeconds(-4), 1, Restarting: true), Now));
        Assert.Equal("Exited (0) 2 minutes ago", HumanUnits.ContainerStatus(new(false, Now.AddMinutes(-5), Now.AddMinutes(-2)), Now));
        Assert.Equal("Exited (137) About an hour ago", HumanUnits.ContainerStatus(new(false, Now.AddHours(-3), Now.AddHours(-1), 137), Now));
        Assert.Equal("Created", HumanUnits.ContainerStatus(new(false, null, null), Now));
        Assert.Equal("Dead", HumanUnits.ContainerStatus(new(false, Now, Now, Dead: true), Now));
        Assert.Equal("Removal In Progress", HumanUnits.ContainerStatus(new(false, Now, Now, RemovalInProgress: true), Now));
        Assert.Equal("", HumanUnits.ContainerStatus(new(false, Now, null), Now));
    }
}
