using Berth.Tests.Support;

namespace Berth.Tests.Cli;

public class ImageCommandTests
{
    [Fact]
    public async Task Images_prints_dockers_columns_and_history_shows_the_import_comment()
    {
        using var store = new TempStore();
        var (code, stdout, stderr) = await store.CliAsync("import", "-m", "base", "-c", "ENV A=1", BusyboxRootfs.TarPath, "demo:1");
        Assert.True(code == 0, stderr);
        string id = stdout.Trim();
        Assert.StartsWith("sha256:", id);

        (code, stdout, _) = await store.CliAsync("images");
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal("REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE", lines[0]);
        Assert.StartsWith("demo         1         " + id[7..19] + "   ", lines[1]);

        (code, stdout, _) = await store.CliAsync("images", "-q");
        Assert.Equal(id[7..19] + "\n", stdout);

        (code, stdout, _) = await store.CliAsync("history", "demo:1");
        Assert.Contains("base", stdout.Split('\n')[1]);

        (code, stdout, _) = await store.CliAsync("inspect", "-f", "{{json .Config.Env}} {{.RepoTags}}", "demo:1");
        Assert.Equal("[\"A=1\"] [demo:1]\n", stdout);
    }

    [Fact]
    public async Task Rmi_of_an_unknown_image_prints_one_error_line_and_exits_1()
    {
        using var store = new TempStore();
        var (code, stdout, stderr) = await store.CliAsync("rmi", "nosuch");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("Error: No such image: nosuch\n", stderr);
    }

    [Fact]
    public async Task An_invalid_reference_is_reported_in_dockers_words()
    {
        using var store = new TempStore();
        await store.CliAsync("import", BusyboxRootfs.TarPath, "demo:1");
        var (code, _, stderr) = await store.CliAsync("tag", "demo:1", "Demo:2");
        Assert.NotEqual(0, code);
        Assert.Contains("repository name (library/Demo) must be lowercase", stderr);
    }

    [Fact]
    public async Task Load_of_a_truncated_archive_fails_with_one_line_and_a_non_zero_code()
    {
        using var store = new TempStore();
        using var dir = new TempDirectory();
        await store.CliAsync("import", BusyboxRootfs.TarPath, "demo:1");
        var (code, _, _) = await store.CliAsync("save", "-o", dir.Combine("a.tar"), "demo:1");
        Assert.Equal(0, code);
        var bytes = await File.ReadAllBytesAsync(dir.Combine("a.tar"));
        await File.WriteAllBytesAsync(dir.Combine("cut.tar"), bytes[..(bytes.Length / 3)]);
        using var other = new TempStore();
        var (loadCode, _, stderr) = await other.CliAsync("load", "-i", dir.Combine("cut.tar"));
        Assert.NotEqual(0, loadCode);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Empty(other.Engine.Images.ListAll());
    }
}
