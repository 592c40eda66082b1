using System.Net;
using System.Net.Sockets;
using Berth.Tests.Support;

namespace Berth.Tests.Published;

/// <summary>The shipped Native AOT binary, end to end: the verbs a user meets first, including the processes berth starts
/// of itself (conmon's exit command, the port proxy), which run this same binary.</summary>
public sealed class NativeBinaryTests : IDisposable
{
    readonly TempDirectory _root = new();
    readonly TempDirectory _context = new();
    string Root => _root.Path;

    public void Dispose()
    {
        NativeBinary.Run(Root, "rm", "-f", "web");
        _root.Dispose();
        _context.Dispose();
    }

    [Fact]
    public void Version_reports_the_client()
    {
        var output = NativeBinary.Check(Root, "version");
        Assert.Contains("Client: Berth", output);
    }

    [Fact]
    public void SQLite_is_linked_in_so_berth_is_one_file()
    {
        // No libe_sqlite3.so is shipped beside berth, and berth names no SQLite library to the dynamic loader; the
        // store still opens (version reads nothing from it, so `images` is run).
        string directory = Path.GetDirectoryName(NativeBinary.FilePath)!;
        Assert.Empty(Directory.EnumerateFiles(directory, "*sqlite*"));
        var needed = ProcessRunner.Run("ldd", [NativeBinary.FilePath]);
        Assert.True(needed.ExitCode == 0, needed.Stderr);
        Assert.DoesNotContain("sqlite", needed.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("REPOSITORY", NativeBinary.Check(Root, "images"));
    }

    [Fact]
    public async Task Import_build_run_publish_inspect_save_load_and_prune_work_in_the_native_binary()
    {
        NativeBinary.Check(Root, "import", BusyboxRootfs.TarPath, "bb");
        File.WriteAllText(Path.Combine(_context.Path, "Dockerfile"),
            "FROM bb\nARG GREETING=hello\nENV APP=/srv\nWORKDIR /srv\nCOPY page.html /srv/index.html\nRUN echo \"$GREETING\" > /srv/greeting\nEXPOSE 80\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/srv\"]\n");
        File.WriteAllText(Path.Combine(_context.Path, "page.html"), "native page\n");

        var build = NativeBinary.Run(Root, "build", "--progress", "plain", "-t", "site:v1", _context.Path);
        Assert.True(build.ExitCode == 0, build.Stderr + build.Stdout);
        Assert.Contains("Successfully tagged site:v1", build.Stdout + build.Stderr);
        var rebuild = NativeBinary.Check(Root, "build", "--progress", "plain", "-t", "site:v1", _context.Path);
        Assert.Contains("Using cache", rebuild);

        Assert.Contains("site", NativeBinary.Check(Root, "images", "--format", "{{.Repository}}:{{.Tag}}"));
        Assert.Contains("|1 GREETING=hello /bin/sh -c echo \"$GREETING\" > /srv/greeting", NativeBinary.Check(Root, "history", "--no-trunc", "site:v1"));
        Assert.Equal("[\"httpd\",\"-f\",\"-p\",\"80\",\"-h\",\"/srv\"]", NativeBinary.Check(Root, "inspect", "-f", "{{json .Config.Cmd}}", "site:v1").Trim());

        // Exit codes come back through conmon's exit file; an attached run removes its --rm container itself, a detached
        // one's is removed by conmon's exit command (`berth container cleanup`, this binary).
        var exit = NativeBinary.Run(Root, "run", "--rm", "--network", "none", "site:v1", "sh", "-c", "cat /srv/greeting; exit 3");
        Assert.Equal(3, exit.ExitCode);
        Assert.Equal("hello\n", exit.Stdout);
        Assert.Equal("", NativeBinary.Check(Root, "ps", "-aq").Trim());
        NativeBinary.Check(Root, "run", "-d", "--rm", "--network", "none", "site:v1", "sleep", "0.2");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (NativeBinary.Check(Root, "ps", "-aq").Trim() != "" && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal("", NativeBinary.Check(Root, "ps", "-aq").Trim());

        // A published port answers through the port proxy, itself this binary (`berth internal port-proxy`).
        int port = FreePort();
        NativeBinary.Check(Root, "run", "-d", "--name", "web", "-p", $"127.0.0.1:{port}:80", "site:v1");
        string page = await FetchAsync(port);
        Assert.Equal("native page\n", page);
        Assert.Contains($"127.0.0.1:{port}->80/tcp", NativeBinary.Check(Root, "ps", "--format", "{{.Ports}}"));
        Assert.Equal("running", NativeBinary.Check(Root, "inspect", "-f", "{{.State.Status}}", "web").Trim());
        NativeBinary.Check(Root, "stop", "-t", "1", "web");
        NativeBinary.Check(Root, "rm", "web");
        Assert.Equal("", NativeBinary.Check(Root, "ps", "-aq").Trim());

        string archive = Path.Combine(_context.Path, "site.tar");
        NativeBinary.Check(Root, "save", "-o", archive, "site:v1");
        NativeBinary.Check(Root, "rmi", "site:v1");
        Assert.Contains("Loaded image: site:v1", NativeBinary.Check(Root, "load", "-i", archive));
        Assert.Contains("The store is consistent", NativeBinary.Check(Root, "system", "check"));
        Assert.Contains("Total reclaimed space", NativeBinary.Check(Root, "system", "prune", "-a", "-f"));
        Assert.Equal("", NativeBinary.Check(Root, "images", "-q").Trim());
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static async Task<string> FetchAsync(int port)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Exception? last = null;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try { return await client.GetStringAsync($"http://127.0.0.1:{port}/"); }
            catch (HttpRequestException e) { last = e; await Task.Delay(100); }
        }
        throw new InvalidOperationException($"nothing answered on 127.0.0.1:{port}", last);
    }
}
