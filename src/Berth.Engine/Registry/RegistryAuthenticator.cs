using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Berth.Engine.Registry;

/// <summary>Answers a registry's auth challenges for one host: Bearer tokens per scope (cached until expiry) or Basic credentials.</summary>
internal sealed class RegistryAuthenticator(RegistryEndpoint endpoint, RegistryCredential? credential, HttpClient http)
{
    readonly Dictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);
    readonly SemaphoreSlim _lock = new(1, 1);
    AuthChallenge? _challenge;

    /// <summary>A refresh token the token server returned during login (for <c>identitytoken</c> in config.json).</summary>
    public string? IssuedRefreshToken { get; private set; }

    public RegistryCredential? Credential => credential;

    /// <summary>The Authorization value to send before being challenged, when the scheme is already known.</summary>
    public async Task<AuthenticationHeaderValue?> HeaderForAsync(IReadOnlyList<string> scopes, CancellationToken ct)
    {
        var challenge = _challenge;
        if (challenge is null) return null;
        if (challenge.IsBasic)
            return credential is null ? null : new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue);
        if (challenge.IsBearer)
        {
            if (TryCached(ScopeKey(scopes), out string? token)) return new AuthenticationHeaderValue("Bearer", token);
            return new AuthenticationHeaderValue("Bearer", await FetchTokenAsync(challenge, scopes, ScopeKey(scopes), ct).ConfigureAwait(false));
        }
        return null;
    }

    /// <summary>Handles a 401: remembers the challenge and gets a fresh token (or decides on Basic). False when nothing can be done.</summary>
    public async Task<bool> OnUnauthorizedAsync(HttpResponseMessage response, IReadOnlyList<string> scopes, CancellationToken ct)
    {
        var challenges = AuthChallenge.Parse(response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        var challenge = challenges.FirstOrDefault(c => c.IsBearer) ?? challenges.FirstOrDefault(c => c.IsBasic);
        if (challenge is null) return false;
        _challenge = challenge;
        if (challenge.IsBasic) return credential is not null;
        // The registry may name the scope it wants (insufficient_scope); ask for it as well.
        var wanted = scopes.ToList();
        if (challenge.Scope is { Length: > 0 } s)
            foreach (string one in s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (!wanted.Contains(one)) wanted.Add(one);
        string key = ScopeKey(scopes);
        lock (_tokens) _tokens.Remove(key);
        await FetchTokenAsync(challenge, wanted, key, ct).ConfigureAwait(false);
        return true;
    }

    bool TryCached(string key, out string? token)
    {
        lock (_tokens)
        {
            if (_tokens.TryGetValue(key, out var entry) && entry.Expires > DateTimeOffset.UtcNow)
            {
                token = entry.Token;
                return true;
            }
        }
        token = null;
        return false;
    }

    static string ScopeKey(IEnumerable<string> scopes) => string.Join(' ', scopes.Order(StringComparer.Ordinal));

    /// <summary>Checks a token realm before anything is sent to it.</summary>
    /// <remarks>
    /// A realm over plain HTTP is only acceptable for a registry we already talk to in plain HTTP (loopback or configured
    /// insecure), and even then credentials go there only when the realm is on the registry's own host.
    /// </remarks>
    internal Uri ValidateRealm(AuthChallenge challenge, bool sendsCredentials)
    {
        if (challenge.Realm is not { Length: > 0 } realm || !Uri.TryCreate(realm, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new RegistryException($"registry {endpoint.Host} sent an invalid token realm \"{challenge.Realm}\"", host: endpoint.Host);
        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            if (!endpoint.IsInsecure)
                throw new RegistryException($"refusing token realm {realm} of registry {endpoint.Host}: a token server must use https", host: endpoint.Host);
            bool sameHost = string.Equals(uri.IdnHost, RegistryEndpoint.StripPort(endpoint.BaseUri.Authority), StringComparison.OrdinalIgnoreCase)
                || (RegistryEndpoint.IsLoopback(uri.IdnHost) && RegistryEndpoint.IsLoopback(endpoint.Host));
            if (sendsCredentials && !sameHost)
                throw new RegistryException($"refusing to send credentials for {endpoint.Host} to {uri.Host} over plain http (token realm {realm})", host: endpoint.Host);
        }
        return uri;
    }

    async Task<string> FetchTokenAsync(AuthChallenge challenge, IReadOnlyList<string> scopes, string key, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (TryCached(key, out string? cached)) return cached!;
            var realm = ValidateRealm(challenge, credential is not null);
            using var request = BuildTokenRequest(realm, challenge.Service, scopes);
            HttpResponseMessage response;
            byte[] body;
            try
            {
                response = await http.SendAsync(request, ct).ConfigureAwait(false);
                body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new RegistryException($"cannot reach token server {realm.Authority} for registry {endpoint.Host}: {e.Message}", host: endpoint.Host, inner: e);
            }
            using var _ = response;
            if (!response.IsSuccessStatusCode)
            {
                var errors = RegistryError.Parse(body);
                string detail = errors.Count > 0 ? errors[0].Message : ReasonOrBody(response, body);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    throw new RegistryException($"{(int)response.StatusCode} {response.ReasonPhrase ?? response.StatusCode.ToString()}: {detail} (token server {realm.Authority} for {endpoint.Host}; run `berth login {endpoint.Host}`)",
                        response.StatusCode, errors.FirstOrDefault()?.Code, endpoint.Host);
                throw new RegistryException($"token server {realm.Authority} for {endpoint.Host} answered {(int)response.StatusCode}: {detail}", response.StatusCode, errors.FirstOrDefault()?.Code, endpoint.Host);
            }
            var (token, expiresIn, refresh) = ParseTokenResponse(body, endpoint.Host);
            if (refresh is not null) IssuedRefreshToken = refresh;
            // Refresh a little before the server's expiry so a long transfer does not start with a dying token.
            var expires = DateTimeOffset.UtcNow.AddSeconds(Math.Max(expiresIn - 10, 1));
            lock (_tokens) _tokens[key] = (token, expires);
            return token;
        }
        finally
        {
            _lock.Release();
        }
    }

    HttpRequestMessage BuildTokenRequest(Uri realm, string? service, IReadOnlyList<string> scopes)
    {
        if (credential is { HasIdentityToken: true })
        {
            // OAuth2 refresh-token grant (what Docker does once it holds an identity token).
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"),
                new("refresh_token", credential.IdentityToken!),
                new("client_id", "berth"),
            };
            if (service is not null) form.Add(new("service", service));
            if (scopes.Count > 0) form.Add(new("scope", string.Join(' ', scopes)));
            return new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
        }
        var query = new List<string>();
        if (service is not null) query.Add("service=" + Uri.EscapeDataString(service));
        foreach (string scope in scopes) query.Add("scope=" + Uri.EscapeDataString(scope));
        if (credential is not null) query.Add("account=" + Uri.EscapeDataString(credential.Username));
        var builder = new UriBuilder(realm);
        string existing = builder.Query.TrimStart('?');
        builder.Query = string.Join('&', (existing.Length > 0 ? [existing] : Array.Empty<string>()).Concat(query));
        var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credential is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue);
        return request;
    }

    internal static (string Token, int ExpiresIn, string? RefreshToken) ParseTokenResponse(byte[] body, string host)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            string? token = Str(root, "token") ?? Str(root, "access_token");
            if (string.IsNullOrEmpty(token))
                throw new RegistryException($"token server for {host} returned no token", host: host);
            int expiresIn = root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v > 0 ? v : 60;
            return (token, expiresIn, Str(root, "refresh_token"));
        }
        catch (JsonException ex)
        {
            throw new RegistryException($"token server for {host} returned invalid JSON: {ex.Message.Split('\n')[0]}", host: host, inner: ex);
        }

        static string? Str(JsonElement root, string name)
            => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
    }

    static string ReasonOrBody(HttpResponseMessage response, byte[] body)
    {
        string text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).ReplaceLineEndings(" ").Trim();
        return text.Length > 0 ? text : response.ReasonPhrase ?? response.StatusCode.ToString();
    }
}
