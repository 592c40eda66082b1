using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Berth.Bench.Macro;

/// <summary>Debian's docker-registry on a free 127.0.0.1 port with its own storage; plain HTTP (loopback only).</summary>
public sealed class LocalRegistry : IDisposable
{
    readonly Process _process;
    readonly string _directory;
    public string Host { get; }

    public LocalRegistry(string directory)
    {
        if (!File.Exists("/usr/bin/docker-registry")) throw new BenchmarkFailedException("docker-registry not installed (scripts/install-deps.sh installs it)");
        _directory = directory;
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        int port = FreePort();
        Host = $"127.0.0.1:{port}";
        string config = Path.Combine(directory, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: {Path.Combine(directory, "data")}
              delete:
                enabled: true
            http:
              addr: {Host}
            """);
        var info = new ProcessStartInfo("/usr/bin/docker-registry") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(config);
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        using var client = new HttpClient();
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (client.GetAsync($"http://{Host}/v2/").GetAwaiter().GetResult().IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            Thread.Sleep(100);
        }
        Dispose();
        throw new BenchmarkFailedException("docker-registry did not answer within 30 s");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10000);
            }
        }
        catch (InvalidOperationException) { }
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
