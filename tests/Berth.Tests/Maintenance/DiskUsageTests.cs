using Berth.Engine.Services.Maintenance;
using Berth.Tests.Support;

namespace Berth.Tests.Maintenance;

public class DiskUsageTests
{
    sealed class FakeContainers(params ContainerDiskUsage[] containers) : IContainerDiskUsage
    {
        public IReadOnlyList<ContainerDiskUsage> Containers() => containers;
    }

    [Fact]
    public async Task Df_counts_shared_layers_once_and_verbose_shows_shared_and_unique_size()
    {
        using var store = new TempStore();
        await store.CliAsync("import", BusyboxRootfs.TarPath, "a:1");
        await store.CliAsync("import", "-c", "ENV X=1", BusyboxRootfs.TarPath, "b:1");
        var v = store.Engine.Volumes.Create("data");
        File.WriteAllBytes(Path.Combine(v.Mountpoint, "f"), new byte[2000]);
        long layer = store.Engine.Store.Metadata.AllLayers().Single().Size;
        string size = Berth.Cli.Formatting.HumanUnits.HumanSize4(layer);

        var (code, stdout, _) = await store.CliAsync("system", "df");
        Assert.Equal(0, code);
        var lines = stdout.Split('\n');
        Assert.Equal("TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE", lines[0]);
        Assert.Equal($"Images          2         0         {size}", lines[1][..(26 + 10 + size.Length)].TrimEnd());
        Assert.EndsWith($"{size} (100%)", lines[1]);
        Assert.Equal("Containers      0         0         0B        0B", lines[2].TrimEnd());
        Assert.Equal("Local Volumes   1         0         2kB       2kB (100%)", lines[3].TrimEnd());
        Assert.Equal("Build Cache     0         0         0B        0B", lines[4].TrimEnd());

        (_, stdout, _) = await store.CliAsync("system", "df", "-v");
        string three = Berth.Cli.Formatting.HumanUnits.HumanSize(layer);
        var image = stdout.Split('\n').Single(l => l.StartsWith("a  ", StringComparison.Ordinal));
        Assert.Matches($@"^a\s+1\s+[0-9a-f]{{12}}\s+.* ago\s+{Regex(three)}\s+{Regex(three)}\s+0B\s+0$", image);
        Assert.Contains("\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\ndata          0         2kB\n", stdout);
        Assert.StartsWith("Images space usage:\n\nREPOSITORY   TAG ", stdout);
        Assert.EndsWith("\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n", stdout);

        (_, stdout, _) = await store.CliAsync("system", "df", "--format", "{{.Type}}={{.TotalCount}}");
        Assert.Equal("Images=2\nContainers=0\nLocal Volumes=1\nBuild Cache=0\n", stdout);
    }

    static string Regex(string s) => System.Text.RegularExpressions.Regex.Escape(s);

    [Fact]
    public async Task Containers_and_active_images_come_from_their_owners()
    {
        using var store = new TempStore();
        var (_, id, _) = await store.CliAsync("import", BusyboxRootfs.TarPath, "a:1");
        store.Engine.Images.ImageUsers = d => d.ToString() == id.Trim() ? [new Berth.Engine.Services.Images.ImageUser("c1", true)] : [];
        store.Engine.Maintenance.DiskUsage.Containers = new FakeContainers(
            new ContainerDiskUsage("c1", "a:1", "sh", 0, 1000, DateTimeOffset.UtcNow, true, DateTimeOffset.UtcNow, null, 0, ["/web"]),
            new ContainerDiskUsage("c2", "a:1", "sh", 0, 3000, DateTimeOffset.UtcNow, false, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 0, ["/old"]));
        var rows = Berth.Cli.Commands.MaintenanceCommands.Summary(store.Engine.Maintenance.DiskUsage.Measure());
        Assert.Equal("1", (string?)rows[0]["Active"]);
        Assert.Equal("0B (0%)", (string?)rows[0]["Reclaimable"]); // its layer is unique to the used image
        Assert.Equal(("2", "1", "4kB", "3kB (75%)"), ((string?)rows[1]["TotalCount"], (string?)rows[1]["Active"], (string?)rows[1]["Size"], (string?)rows[1]["Reclaimable"]));
    }
}
