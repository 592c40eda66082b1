using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Berth.Engine.Registry;

/// <summary>Where a registry host is reached: base URI, plain HTTP or TLS, and the extra CA and client certificate for it.</summary>
public sealed class RegistryEndpoint
{
    /// <summary>Docker Hub's name as users write it; its API lives at <see cref="DockerHubApiHost"/>.</summary>
    public const string DockerHubHost = "docker.io";
    public const string DockerHubApiHost = "registry-1.docker.io";

    RegistryEndpoint(string host, Uri baseUri, bool isPlainHttp, bool isInsecure, IReadOnlyList<string> caFiles, (string Cert, string Key)? clientCertificate)
    {
        Host = host;
        BaseUri = baseUri;
        IsPlainHttp = isPlainHttp;
        IsInsecure = isInsecure;
        CaFiles = caFiles;
        ClientCertificateFiles = clientCertificate;
    }

    /// <summary>The registry host as the user wrote it (<c>docker.io</c>, <c>localhost:5000</c>).</summary>
    public string Host { get; }

    /// <summary>Scheme and authority the API is under, e.g. <c>https://registry-1.docker.io</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>Requests go over plain HTTP (loopback or configured insecure host without a certs.d folder).</summary>
    public bool IsPlainHttp { get; }

    /// <summary>The host is loopback or listed as insecure: plain HTTP and plain-HTTP token realms are acceptable.</summary>
    public bool IsInsecure { get; }

    /// <summary>Extra trusted CA files from the certs.d folders (<c>*.crt</c>).</summary>
    public IReadOnlyList<string> CaFiles { get; }

    /// <summary>Client certificate and key files (<c>*.cert</c>/<c>*.key</c>) from the certs.d folder, if any.</summary>
    public (string Cert, string Key)? ClientCertificateFiles { get; }

    /// <summary>The certs.d folder Berth tells users to put a CA in for this host.</summary>
    public string SuggestedCaPath => $"/etc/berth/certs.d/{Host}/ca.crt";

    /// <summary>Decides scheme and TLS material for <paramref name="host"/>.</summary>
    /// <remarks>
    /// Loopback and insecure hosts use plain HTTP unless a certs.d folder exists for them: a CA placed there
    /// says the registry speaks TLS (this is how the TLS tests reach a registry on 127.0.0.1).
    /// </remarks>
    public static RegistryEndpoint Resolve(string host, RegistryClientOptions? options = null)
    {
        options ??= new RegistryClientOptions();
        if (string.IsNullOrWhiteSpace(host) || host.Contains('/') || host.Contains('@'))
            throw new InvalidInputException($"invalid registry host \"{host}\": expected HOST[:PORT], e.g. localhost:5000");
        host = host.ToLowerInvariant();
        string apiHost = host is DockerHubHost or "index.docker.io" ? DockerHubApiHost : host;

        var caFiles = new List<string>();
        (string, string)? client = null;
        bool certsDirFound = false;
        foreach (string root in options.CertificateDirectories)
        {
            string dir = Path.Combine(root, host);
            if (!Directory.Exists(dir)) continue;
            certsDirFound = true;
            caFiles.AddRange(Directory.GetFiles(dir, "*.crt").Order(StringComparer.Ordinal));
            if (client is null)
            {
                foreach (string cert in Directory.GetFiles(dir, "*.cert").Order(StringComparer.Ordinal))
                {
                    string key = Path.ChangeExtension(cert, ".key");
                    if (!File.Exists(key))
                        throw new RegistryException($"client certificate {cert} has no matching key {key}", host: host);
                    client = (cert, key);
                    break;
                }
            }
        }

        bool insecure = IsLoopback(host) || IsListedInsecure(host, options.InsecureRegistries);
        bool plainHttp = insecure && !certsDirFound;
        var baseUri = new Uri((plainHttp ? "http://" : "https://") + apiHost);
        return new RegistryEndpoint(host, baseUri, plainHttp, insecure, caFiles, client);
    }

    /// <summary>
    /// Whether <paramref name="host"/> is listed: as written (<c>myreg:5000</c>), or, for an IP address, inside a listed
    /// CIDR range (<c>10.0.0.0/8</c>), as Docker's <c>insecure-registries</c> allows.
    /// </summary>
    public static bool IsListedInsecure(string host, IReadOnlySet<string> listed)
    {
        if (listed.Contains(host)) return true;
        if (!IPAddress.TryParse(StripPort(host), out var ip)) return false;
        foreach (string entry in listed)
            if (entry.Contains('/') && IPNetwork.TryParse(entry, out var network) && network.Contains(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip))
                return true;
        return false;
    }

    /// <summary>True for <c>localhost</c>, 127.0.0.0/8 and ::1, with or without a port.</summary>
    public static bool IsLoopback(string host)
    {
        string name = StripPort(host);
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>The host name of <c>HOST[:PORT]</c>, without brackets for IPv6.</summary>
    public static string StripPort(string host)
    {
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']');
            return close > 0 ? host[1..close] : host;
        }
        int colon = host.LastIndexOf(':');
        // More than one colon without brackets is a bare IPv6 address.
        if (colon > 0 && host.IndexOf(':') == colon) return host[..colon];
        return host;
    }

    /// <summary>Certificate check: the system store first, then the certs.d CAs as extra roots.</summary>
    internal bool ValidateServerCertificate(X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors || CaFiles.Count == 0) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (string file in CaFiles)
            custom.ChainPolicy.CustomTrustStore.AddRange(LoadPemCertificates(file));
        if (chain is not null)
            foreach (var element in chain.ChainElements)
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        return custom.Build(certificate);
    }

    static X509Certificate2Collection LoadPemCertificates(string file)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(file);
        return collection;
    }

    internal X509Certificate2? LoadClientCertificate()
    {
        if (ClientCertificateFiles is not { } files) return null;
        using var pem = X509Certificate2.CreateFromPemFile(files.Cert, files.Key);
        // Export/import so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public override string ToString() => $"{Host} ({BaseUri})";
}
