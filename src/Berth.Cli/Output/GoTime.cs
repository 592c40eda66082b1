namespace Berth.Cli.Output;

/// <summary>Go's default time.Time printing, which Docker uses for CreatedAt: `2006-01-02 15:04:05 -0700 MST`.</summary>
public static class GoTime
{
    public static string Format(DateTimeOffset time) => FormatWithZone(time.ToLocalTime());

    static string FormatWithZone(DateTimeOffset local)
    {
        var offset = local.Offset;
        string sign = offset < TimeSpan.Zero ? "-" : "+";
        string numeric = $"{sign}{Math.Abs(offset.Hours):00}{Math.Abs(offset.Minutes):00}";
        string zone = offset == TimeSpan.Zero ? "UTC" : numeric;
        return local.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " " + numeric + " " + zone;
    }
}
