using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Berth.Engine.Content;
using Berth.Engine.Registry;

namespace Berth.Tests.Registry;

/// <summary>What kind of registry <see cref="LocalRegistry"/> starts.</summary>
public sealed record LocalRegistryOptions
{
    /// <summary>Serve TLS with a test CA; the CA is put in a temp certs.d folder clients are pointed at.</summary>
    public bool Tls { get; init; }

    /// <summary>Users for htpasswd (bcrypt) Basic auth.</summary>
    public IReadOnlyDictionary<string, string>? BasicUsers { get; init; }

    /// <summary>Users for token (Bearer) auth through a <see cref="TestTokenServer"/>.</summary>
    public IReadOnlyDictionary<string, string>? TokenUsers { get; init; }
}

/// <summary>A real <c>docker-registry</c> (CNCF distribution) on a free 127.0.0.1 port with its storage in a temp folder; killed at dispose.</summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    public const string InstallHint = "run scripts/install-deps.sh (apt-installs docker-registry, skopeo, umoci, apache2-utils)";

    readonly Process _process;
    readonly StringBuilder _log;

    LocalRegistry(string root, int port, Process process, StringBuilder log, string? certsDirectory, TestTokenServer? tokenServer)
    {
        RootDirectory = root;
        Port = port;
        _process = process;
        _log = log;
        CertsDirectory = certsDirectory;
        TokenServer = tokenServer;
    }

    public string RootDirectory { get; }
    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public string StorageDirectory => Path.Combine(RootDirectory, "data");

    /// <summary>The certs.d root holding <c>127.0.0.1:PORT/ca.crt</c> (TLS registries only).</summary>
    public string? CertsDirectory { get; }

    public TestTokenServer? TokenServer { get; }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Client options for this registry: its certs.d folder and fast retries.</summary>
    public RegistryClientOptions ClientOptions => new()
    {
        CertificateDirectories = CertsDirectory is null ? [] : [CertsDirectory],
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        MaxAttempts = 3,
    };

    public RegistryClient CreateClient(RegistryCredential? credential = null, RegistryClientOptions? options = null)
        => new(Host, credential, options ?? ClientOptions);

    /// <summary>Where the filesystem driver keeps a blob's bytes.</summary>
    public string BlobDataPath(Digest digest)
        => Path.Combine(StorageDirectory, "docker", "registry", "v2", "blobs", digest.Algorithm, digest.Hex[..2], digest.Hex, "data");

    public static string FindTool(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"{name} is not installed: {InstallHint}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<LocalRegistry> StartAsync(LocalRegistryOptions? options = null)
    {
        options ??= new LocalRegistryOptions();
        string binary = FindTool("docker-registry");
        string root = Directory.CreateTempSubdirectory("berth-registry-").FullName;
        int port = FreePort();
        var config = new StringBuilder();
        config.Append($"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {Path.Combine(root, "data")}
              delete:
                enabled: true
              cache:
                blobdescriptor: inmemory
            http:
              addr: 127.0.0.1:{port}
              secret: berth-test-secret

            """);

        string? certsDirectory = null;
        if (options.Tls)
        {
            using var ca = TestCertificates.CreateCa("berth test CA");
            using var server = TestCertificates.CreateServer(ca);
            TestCertificates.WriteCertificatePem(server, Path.Combine(root, "server.crt"));
            TestCertificates.WriteKeyPem(server, Path.Combine(root, "server.key"));
            certsDirectory = Path.Combine(root, "certs.d");
            string hostDir = Path.Combine(certsDirectory, $"127.0.0.1:{port}");
            Directory.CreateDirectory(hostDir);
            TestCertificates.WriteCertificatePem(ca, Path.Combine(hostDir, "ca.crt"));
            config.Append($"""
                  tls:
                    certificate: {Path.Combine(root, "server.crt")}
                    key: {Path.Combine(root, "server.key")}

                """);
        }

        if (options.BasicUsers is { } users)
        {
            string htpasswd = FindTool("htpasswd");
            var lines = new StringBuilder();
            foreach (var (user, password) in users)
            {
                var psi = new ProcessStartInfo(htpasswd) { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (string a in new[] { "-Bbn", user, password }) psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                string line = await p.StandardOutput.ReadToEndAsync();
                await p.WaitForExitAsync();
                if (p.ExitCode != 0) throw new InvalidOperationException("htpasswd failed: " + await p.StandardError.ReadToEndAsync());
                lines.AppendLine(line.Trim());
            }
            File.WriteAllText(Path.Combine(root, "htpasswd"), lines.ToString());
            config.Append($"""
                auth:
                  htpasswd:
                    realm: berth-test
                    path: {Path.Combine(root, "htpasswd")}

                """);
        }

        TestTokenServer? tokenServer = null;
        if (options.TokenUsers is { } tokenUsers)
        {
            tokenServer = new TestTokenServer(tokenUsers);
            tokenServer.WriteRootCertBundle(Path.Combine(root, "token-bundle.pem"));
            config.Append($"""
                auth:
                  token:
                    realm: {tokenServer.Realm}
                    service: {TestTokenServer.Service}
                    issuer: {TestTokenServer.Issuer}
                    rootcertbundle: {Path.Combine(root, "token-bundle.pem")}

                """);
        }

        string configPath = Path.Combine(root, "config.yml");
        File.WriteAllText(configPath, config.ToString());

        var log = new StringBuilder();
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(configPath);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var registry = new LocalRegistry(root, port, process, log, certsDirectory, tokenServer);
        await registry.WaitUntilReadyAsync();
        return registry;
    }

    async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode}: {Log}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException($"docker-registry did not listen on {Host} within 20s: {Log}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        TokenServer?.Dispose();
        try { Directory.Delete(RootDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>xunit class fixture: one plain-HTTP registry shared by a test class.</summary>
public sealed class PlainRegistryFixture : IAsyncLifetime
{
    public LocalRegistry Registry { get; private set; } = null!;
    public async Task InitializeAsync() => Registry = await LocalRegistry.StartAsync();
    public async Task DisposeAsync() => await Registry.DisposeAsync();
}
