using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Berth.Tests.Registry;

/// <summary>
/// A tiny Docker token server (distribution's docs/spec/auth/token.md) for the registry's <c>auth.token</c> config:
/// issues RS256 JWTs with an <c>x5c</c> header whose certificate is in the registry's rootcertbundle.
/// Anonymous callers get pull only; callers with the right Basic credentials get what they ask for.
/// </summary>
public sealed class TestTokenServer : IDisposable
{
    public const string Service = "berth-test-registry";
    public const string Issuer = "berth-test-issuer";

    readonly HttpListener _listener = new();
    readonly RSA _key = RSA.Create(2048);
    readonly X509Certificate2 _cert;
    readonly Dictionary<string, string> _users;
    readonly Task _loop;

    public TestTokenServer(IReadOnlyDictionary<string, string> users)
    {
        _users = new Dictionary<string, string>(users);
        var request = new CertificateRequest("CN=berth test token signer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        Port = LocalRegistry.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Realm => $"http://127.0.0.1:{Port}/token";

    /// <summary>Each token request seen: (had Basic credentials, scopes asked for).</summary>
    public List<(bool Authenticated, string[] Scopes)> Requests { get; } = [];

    public int TokensIssued { get; private set; }

    public void WriteRootCertBundle(string path) => TestCertificates.WriteCertificatePem(_cert, path);

    async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            try { Handle(context); }
            catch (Exception e)
            {
                context.Response.StatusCode = 500;
                byte[] b = Encoding.UTF8.GetBytes(e.Message);
                context.Response.OutputStream.Write(b);
            }
            finally { context.Response.Close(); }
        }
    }

    void Handle(HttpListenerContext context)
    {
        var query = context.Request.QueryString;
        string[] scopes = query.GetValues("scope")?.SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray() ?? [];
        string? user = null;
        string? auth = context.Request.Headers["Authorization"];
        lock (Requests) Requests.Add((auth is not null, scopes));
        if (auth is not null)
        {
            if (!auth.StartsWith("Basic ", StringComparison.Ordinal)) { Deny(context, "unsupported authorization"); return; }
            string[] pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth[6..])).Split(':', 2);
            if (pair.Length != 2 || !_users.TryGetValue(pair[0], out string? password) || password != pair[1])
            {
                Deny(context, "invalid username or password");
                return;
            }
            user = pair[0];
        }

        var access = new List<object>();
        foreach (string scope in scopes)
        {
            int first = scope.IndexOf(':'), last = scope.LastIndexOf(':');
            if (first <= 0 || last <= first) continue;
            string[] actions = scope[(last + 1)..].Split(',');
            if (user is null) actions = actions.Where(a => a == "pull").ToArray();
            access.Add(new { type = scope[..first], name = scope[(first + 1)..last], actions });
        }
        string token = Sign(user ?? "", access);
        TokensIssued++;
        Write(context, 200, JsonSerializer.Serialize(new { token, access_token = token, expires_in = 300, issued_at = DateTime.UtcNow.ToString("o") }));
    }

    static void Deny(HttpListenerContext context, string message)
        => Write(context, 401, JsonSerializer.Serialize(new { errors = new[] { new { code = "UNAUTHORIZED", message } } }));

    static void Write(HttpListenerContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
    }

    string Sign(string subject, List<object> access)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new { typ = "JWT", alg = "RS256", x5c = new[] { Convert.ToBase64String(_cert.RawData) } };
        var claims = new { iss = Issuer, sub = subject, aud = Service, exp = now + 300, nbf = now - 10, iat = now, jti = Guid.NewGuid().ToString("N"), access };
        string signingInput = B64(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + B64(JsonSerializer.SerializeToUtf8Bytes(claims));
        byte[] signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + B64(signature);
    }

    static string B64(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        // Close alone: after Stop, the managed listener's Close binds the port again to remove its prefix, which fails
        // when another test has taken the port meanwhile ("Address already in use", seen in a full run).
        try { _listener.Close(); }
        catch (HttpListenerException) { }
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _key.Dispose();
        _cert.Dispose();
    }
}
