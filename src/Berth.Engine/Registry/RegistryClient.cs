using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.IO;

namespace Berth.Engine.Registry;

/// <summary>A manifest as fetched: its exact bytes, media type and digest.</summary>
public sealed record RegistryManifest(byte[] Content, string MediaType, Digest Digest)
{
    /// <summary>The <c>Docker-Content-Digest</c> header the registry sent, if any (recorded for by-tag fetches).</summary>
    public string? DigestHeader { get; init; }
}

/// <summary>The result of <c>GET /v2/</c>: whether the registry wants auth and how.</summary>
public sealed record RegistryPing(HttpStatusCode StatusCode, IReadOnlyList<AuthChallenge> Challenges)
{
    public bool AuthRequired => StatusCode == HttpStatusCode.Unauthorized;
}

/// <summary>A Docker Registry v2 / OCI distribution client for one registry host: owns the HTTP connection pool, auth and retries.</summary>
public sealed class RegistryClient : IDisposable
{
    const int MaxManifestBytes = 4 * 1024 * 1024;
    const int MaxRedirects = 10;

    readonly HttpClient _http;
    readonly RegistryAuthenticator _auth;
    readonly RegistryClientOptions _options;

    /// <summary>Creates a client for <paramref name="host"/> (e.g. <c>docker.io</c>, <c>localhost:5000</c>).</summary>
    /// <param name="handler">Replaces the network stack (tests); when null a <see cref="SocketsHttpHandler"/> with the endpoint's TLS rules is used.</param>
    public RegistryClient(string host, RegistryCredential? credential = null, RegistryClientOptions? options = null, HttpMessageHandler? handler = null)
    {
        _options = options ?? new RegistryClientOptions();
        Endpoint = RegistryEndpoint.Resolve(host, _options);
        _http = new HttpClient(handler ?? CreateHandler(Endpoint, _options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(_options.UserAgent);
        _auth = new RegistryAuthenticator(Endpoint, credential, _http);
    }

    public RegistryEndpoint Endpoint { get; }

    public string Host => Endpoint.Host;

    /// <summary>The refresh token a token server handed out during <see cref="LoginAsync(CancellationToken)"/>, to store as <c>identitytoken</c>.</summary>
    public string? IssuedIdentityToken => _auth.IssuedRefreshToken;

    static SocketsHttpHandler CreateHandler(RegistryEndpoint endpoint, RegistryClientOptions options)
    {
        var ssl = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
                endpoint.ValidateServerCertificate(cert as X509Certificate2 ?? (cert is null ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData())), chain, errors),
        };
        if (endpoint.LoadClientCertificate() is { } clientCert)
            ssl.ClientCertificates = new X509CertificateCollection { clientCert };
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // redirects are followed by hand so Authorization never leaves the registry host
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = ssl,
        };
    }

    // ---- scopes ---------------------------------------------------------------------------------------------

    static string[] PullScope(string repo) => [$"repository:{repo}:pull"];
    static string[] PushScope(string repo) => [$"repository:{repo}:pull,push"];

    Uri ApiUri(string pathAndQuery) => new(Endpoint.BaseUri, pathAndQuery);

    static string Escape(string repo) => string.Join('/', repo.Split('/').Select(Uri.EscapeDataString));

    static void CheckRepository(string repo)
    {
        if (string.IsNullOrEmpty(repo) || repo.StartsWith('/') || repo.EndsWith('/') || repo.Contains("//") || repo.Any(char.IsAsciiLetterUpper))
            throw new InvalidInputException($"invalid repository name \"{repo}\": expected lowercase path components such as library/busybox");
    }

    // ---- ping and login ---------------------------------------------------------------------------------------

    /// <summary><c>GET /v2/</c> without authenticating: tells whether the registry is there and which auth it wants.</summary>
    public async Task<RegistryPing> PingAsync(CancellationToken ct = default)
    {
        using var response = await SendCoreAsync(() => new HttpRequestMessage(HttpMethod.Get, ApiUri("/v2/")), scopes: null, authenticate: false, followRedirects: false, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
            return new RegistryPing(response.StatusCode, AuthChallenge.Parse(response.Headers.WwwAuthenticate.Select(h => h.ToString())));
        throw await ErrorAsync(response, $"ping of {Host}", ct).ConfigureAwait(false);
    }

    /// <summary>Checks this client's credentials against <c>/v2/</c> (through the token server when the registry uses Bearer auth).</summary>
    public async Task LoginAsync(CancellationToken ct = default)
    {
        try
        {
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, ApiUri("/v2/")), [], ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw await ErrorAsync(response, $"login to {Host}", ct).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.StatusCode == HttpStatusCode.Unauthorized && !e.Message.StartsWith("login to", StringComparison.Ordinal))
        {
            throw new RegistryException($"login to {Host} failed: {e.Message}", e.StatusCode, e.ErrorCode, Host, e);
        }
    }

    /// <summary>Verifies <paramref name="user"/>/<paramref name="password"/> against <paramref name="host"/>; returns the credential to store (with an identity token when the server issued one).</summary>
    public static async Task<RegistryCredential> LoginAsync(string host, string user, string password, RegistryClientOptions? options = null, CancellationToken ct = default)
    {
        var credential = new RegistryCredential(user, password);
        using var client = new RegistryClient(host, credential, options);
        await client.LoginAsync(ct).ConfigureAwait(false);
        return credential;
    }

    // ---- manifests ------------------------------------------------------------------------------------------

    /// <summary>Fetches a manifest or index by tag or digest; a by-digest fetch is verified against the digest.</summary>
    public async Task<RegistryManifest> GetManifestAsync(string repo, string tagOrDigest, string accept = MediaTypes.ManifestAccept, CancellationToken ct = default)
    {
        CheckRepository(repo);
        var uri = ApiUri($"/v2/{Escape(repo)}/manifests/{Uri.EscapeDataString(tagOrDigest)}");
        using var response = await SendAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Get, uri);
            r.Headers.TryAddWithoutValidation("Accept", accept);
            return r;
        }, PullScope(repo), ct, followRedirects: true).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, ManifestName(repo, tagOrDigest), ct, isManifest: true).ConfigureAwait(false);

        byte[] bytes = await ReadLimitedAsync(response, MaxManifestBytes, $"manifest {ManifestName(repo, tagOrDigest)}", ct).ConfigureAwait(false);
        var actual = Digest.Of(bytes);
        string? header = HeaderValue(response, "Docker-Content-Digest");
        if (Digest.TryParse(tagOrDigest, out var wanted))
        {
            var computed = wanted.Algorithm == Digest.Sha256 ? actual : new Digest(wanted.Algorithm, Convert.ToHexStringLower(SHA512.HashData(bytes)));
            if (computed != wanted)
                throw new RegistryException($"digest mismatch for manifest {repo}@{wanted}: expected {wanted}, got {computed}", host: Host);
            actual = wanted;
        }
        else if (header is not null && Digest.TryParse(header, out var headerDigest) && headerDigest.Algorithm == Digest.Sha256 && headerDigest != actual)
        {
            throw new RegistryException($"digest mismatch for manifest {repo}:{tagOrDigest}: registry says {headerDigest}, content is {actual}", host: Host);
        }

        string? contentType = response.Content.Headers.ContentType?.MediaType;
        string mediaType = contentType is not null and not ("application/json" or "text/plain" or "application/octet-stream")
            ? contentType
            : ImageJson.SniffMediaType(bytes) ?? contentType ?? "application/octet-stream";
        return new RegistryManifest(bytes, mediaType, actual) { DigestHeader = header };
    }

    /// <summary><c>HEAD</c> of a manifest: its descriptor (media type, digest, size), or null when the registry does not have it.</summary>
    public async Task<Descriptor?> HeadManifestAsync(string repo, string tagOrDigest, string accept = MediaTypes.ManifestAccept, CancellationToken ct = default)
    {
        CheckRepository(repo);
        var uri = ApiUri($"/v2/{Escape(repo)}/manifests/{Uri.EscapeDataString(tagOrDigest)}");
        using var response = await SendAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Head, uri);
            r.Headers.TryAddWithoutValidation("Accept", accept);
            return r;
        }, PullScope(repo), ct, followRedirects: true).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, ManifestName(repo, tagOrDigest), ct, isManifest: true).ConfigureAwait(false);
        string? digest = HeaderValue(response, "Docker-Content-Digest") ?? (Digest.TryParse(tagOrDigest, out var d) ? d.ToString() : null);
        if (digest is null)
            throw new RegistryException($"registry {Host} sent no Docker-Content-Digest for {ManifestName(repo, tagOrDigest)}", host: Host);
        return new Descriptor
        {
            MediaType = response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream",
            Digest = digest,
            Size = response.Content.Headers.ContentLength ?? -1,
        };
    }

    /// <summary>Uploads a manifest under a tag (or its digest); returns its digest, checked against what the registry computed.</summary>
    public async Task<Digest> PutManifestAsync(string repo, string tagOrDigest, byte[] content, string mediaType, CancellationToken ct = default)
    {
        CheckRepository(repo);
        var digest = Digest.Of(content);
        var uri = ApiUri($"/v2/{Escape(repo)}/manifests/{Uri.EscapeDataString(tagOrDigest)}");
        using var response = await SendAsync(() =>
        {
            var body = new ByteArrayContent(content);
            body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return new HttpRequestMessage(HttpMethod.Put, uri) { Content = body };
        }, PushScope(repo), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, $"push of manifest {ManifestName(repo, tagOrDigest)}", ct).ConfigureAwait(false);
        if (HeaderValue(response, "Docker-Content-Digest") is { } header && Digest.TryParse(header, out var registryDigest)
            && registryDigest.Algorithm == Digest.Sha256 && registryDigest != digest)
            throw new RegistryException($"digest mismatch for pushed manifest {repo}:{tagOrDigest}: expected {digest}, registry computed {registryDigest}", host: Host);
        return digest;
    }

    /// <summary>Lists a repository's tags, following <c>Link</c> pagination.</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(string repo, CancellationToken ct = default)
    {
        CheckRepository(repo);
        var tags = new List<string>();
        Uri? next = ApiUri($"/v2/{Escape(repo)}/tags/list");
        while (next is not null)
        {
            var uri = next;
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), PullScope(repo), ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw await ErrorAsync(response, $"tag list of {repo}", ct).ConfigureAwait(false);
            byte[] body = await ReadLimitedAsync(response, 64 * 1024 * 1024, $"tag list of {repo}", ct).ConfigureAwait(false);
            using (var doc = System.Text.Json.JsonDocument.Parse(body))
                if (doc.RootElement.TryGetProperty("tags", out var t) && t.ValueKind == System.Text.Json.JsonValueKind.Array)
                    tags.AddRange(t.EnumerateArray().Select(e => e.GetString()).OfType<string>());
            next = null;
            if (HeaderValue(response, "Link") is { } link)
            {
                int lt = link.IndexOf('<'), gt = link.IndexOf('>');
                if (lt >= 0 && gt > lt) next = new Uri(uri, link[(lt + 1)..gt]);
            }
        }
        return tags;
    }

    // ---- blobs ----------------------------------------------------------------------------------------------

    /// <summary><c>HEAD</c> of a blob: true when the repository has it.</summary>
    public async Task<bool> BlobExistsAsync(string repo, Digest digest, CancellationToken ct = default)
    {
        CheckRepository(repo);
        var uri = ApiUri($"/v2/{Escape(repo)}/blobs/{digest}");
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, uri), PullScope(repo), ct, followRedirects: true).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, $"blob {repo}@{digest}", ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Streams a blob into <paramref name="destination"/>, hashing on the way; throws "digest mismatch" or "size mismatch" at the end.</summary>
    /// <remarks>The caller writes into a temporary file and discards it on failure: bytes are written before they are verified.</remarks>
    public Task DownloadBlobAsync(string repo, Descriptor descriptor, Stream destination, IProgress<long>? progress = null, CancellationToken ct = default)
        => DownloadBlobAsync(repo, descriptor, destination, 0, progress, ct);

    /// <summary>Resumes a download: <paramref name="destination"/> already holds the first <paramref name="offset"/> bytes (it must be readable and seekable to hash them).</summary>
    public async Task DownloadBlobAsync(string repo, Descriptor descriptor, Stream destination, long offset, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        CheckRepository(repo);
        var digest = descriptor.ParsedDigest;
        var algorithm = digest.Algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
        using var hash = IncrementalHash.CreateHash(algorithm);
        long written = 0;
        if (offset > 0)
        {
            if (!destination.CanSeek || !destination.CanRead)
                throw new ArgumentException("resuming a download needs a readable, seekable destination", nameof(destination));
            if (destination.Length < offset)
                throw new ArgumentOutOfRangeException(nameof(offset), $"destination holds {destination.Length} bytes, fewer than the resume offset {offset}");
            destination.Position = 0;
            await HashPrefixAsync(destination, hash, offset, ct).ConfigureAwait(false);
            destination.SetLength(offset);
            destination.Position = offset;
            written = offset;
        }

        var uri = ApiUri($"/v2/{Escape(repo)}/blobs/{digest}");
        byte[] buffer = new byte[128 * 1024];
        int attempt = 0;
        while (true)
        {
            attempt++;
            long start = written;
            if (descriptor.Size >= 0 && start == descriptor.Size && start > 0) break; // everything is already there
            using var response = await SendAsync(() =>
            {
                var r = new HttpRequestMessage(HttpMethod.Get, uri);
                if (start > 0) r.Headers.Range = new RangeHeaderValue(start, null);
                return r;
            }, PullScope(repo), ct, followRedirects: true, completion: HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);

            if (!response.IsSuccessStatusCode)
                throw await ErrorAsync(response, $"blob {repo}@{digest}", ct).ConfigureAwait(false);
            if (start > 0 && response.StatusCode == HttpStatusCode.OK)
            {
                // The server ignored Range: start over from byte 0.
                if (!destination.CanSeek)
                    throw new RegistryException($"registry {Host} does not support resuming blob {digest} and the destination cannot be rewound", host: Host);
                destination.SetLength(0);
                destination.Position = 0;
                hash.GetHashAndReset();
                written = 0;
            }
            else if (start > 0 && response.Content.Headers.ContentRange is { From: { } from } && from != start)
            {
                throw new RegistryException($"registry {Host} answered range bytes={start}- of blob {digest} with bytes {from}-", host: Host);
            }

            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                int n;
                while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    if (descriptor.Size >= 0 && written + n > descriptor.Size)
                        throw new RegistryException($"size mismatch for blob {repo}@{digest}: registry sent more than the expected {descriptor.Size} bytes", host: Host);
                    hash.AppendData(buffer, 0, n);
                    await destination.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    written += n;
                    progress?.Report(written);
                }
                break;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested && attempt < _options.MaxAttempts)
            {
                // The connection dropped mid-body: continue from what arrived (Range), after a pause.
                await Task.Delay(RetryDelay(attempt), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
            {
                throw new RegistryException($"download of blob {repo}@{digest} from {Host} failed after {written} bytes: {e.Message}", host: Host, inner: e);
            }
        }

        if (descriptor.Size >= 0 && written != descriptor.Size)
            throw new RegistryException($"size mismatch for blob {repo}@{digest}: expected {descriptor.Size} bytes, got {written}", host: Host);
        var actual = new Digest(digest.Algorithm, Convert.ToHexStringLower(hash.GetHashAndReset()));
        if (actual != digest)
            throw new RegistryException($"digest mismatch for blob {repo}@{digest}: expected {digest}, got {actual}", host: Host);
    }

    /// <summary>
    /// Opens a blob's bytes from <paramref name="offset"/> on (a Range request) without verifying them: the caller hashes
    /// what it reads, together with the first <paramref name="offset"/> bytes it already has. A registry that ignores
    /// Range sends the whole blob; its first bytes are skipped here.
    /// </summary>
    public async Task<Stream> OpenBlobAsync(string repo, Digest digest, long offset, CancellationToken ct = default)
    {
        CheckRepository(repo);
        var uri = ApiUri($"/v2/{Escape(repo)}/blobs/{digest}");
        var response = await SendAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Get, uri);
            if (offset > 0) r.Headers.Range = new RangeHeaderValue(offset, null);
            return r;
        }, PullScope(repo), ct, followRedirects: true, completion: HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode)
                throw await ErrorAsync(response, $"blob {repo}@{digest}", ct).ConfigureAwait(false);
            if (offset > 0 && response.StatusCode != HttpStatusCode.OK && response.Content.Headers.ContentRange is { From: { } from } && from != offset)
                throw new RegistryException($"registry {Host} answered range bytes={offset}- of blob {digest} with bytes {from}-", host: Host);
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            if (offset > 0 && response.StatusCode == HttpStatusCode.OK)
            {
                byte[] skip = new byte[128 * 1024];
                for (long left = offset; left > 0;)
                {
                    int n = await body.ReadAsync(skip.AsMemory(0, (int)Math.Min(skip.Length, left)), ct).ConfigureAwait(false);
                    if (n == 0) break; // shorter than what the caller has: the digest check will tell
                    left -= n;
                }
            }
            return new ResponseStream(response, body);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    static async Task HashPrefixAsync(Stream stream, IncrementalHash hash, long count, CancellationToken ct)
    {
        byte[] buffer = new byte[128 * 1024];
        while (count > 0)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct).ConfigureAwait(false);
            if (n == 0) throw new EndOfStreamException("destination ended before the resume offset");
            hash.AppendData(buffer, 0, n);
            count -= n;
        }
    }

    /// <summary>Uploads a blob from a stream that can be opened again for retries: one PUT when it fits a chunk, else POST → PATCH… → PUT.</summary>
    public async Task UploadBlobAsync(string repo, Digest digest, long size, Func<Stream> open, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        CheckRepository(repo);
        var location = await StartUploadAsync(repo, null, ct).ConfigureAwait(false);
        if (location is null) return; // cannot happen without a mount request
        if (size <= _options.ChunkSize)
        {
            await PutMonolithicAsync(repo, digest, size, location, open, progress, ct).ConfigureAwait(false);
            return;
        }
        await UploadChunkedAsync(repo, digest, size, location, open, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Uploads a blob from <paramref name="content"/> (read from its current position; rewound for retries when seekable).</summary>
    public Task UploadBlobAsync(string repo, Digest digest, long size, Stream content, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        long start = content.CanSeek ? content.Position : 0;
        bool first = true;
        return UploadBlobAsync(repo, digest, size, () =>
        {
            if (content.CanSeek) content.Position = start;
            else if (!first) throw new RegistryException($"upload of blob {digest} to {Host} must be retried but its stream cannot be rewound", host: Host);
            first = false;
            return new NonClosingStream(content);
        }, progress, ct);
    }

    /// <summary>
    /// Uploads a blob whose digest is only known once it has been produced (a layer compressed on the fly), as Docker
    /// does: POST, one PATCH streaming whatever <paramref name="write"/> writes, then PUT <c>?digest=</c> of what went out.
    /// Nothing is staged on disk. A failed session is started again once, calling <paramref name="write"/> from the start.
    /// </summary>
    /// <returns>The digest and size of the bytes uploaded.</returns>
    /// <exception cref="RegistryException">With status 405 or 501 when the registry takes no PATCH: upload with a known digest instead.</exception>
    public async Task<(Digest Digest, long Size)> UploadStreamedBlobAsync(string repo, Func<Stream, CancellationToken, Task> write, CancellationToken ct = default)
    {
        CheckRepository(repo);
        for (int session = 1; ; session++)
        {
            var location = await StartUploadAsync(repo, null, ct).ConfigureAwait(false)
                ?? throw new RegistryException($"registry {Host} answered a blob upload start as if it were a mount", host: Host);
            try
            {
                StreamedUploadContent? sent = null;
                using var response = await SendAsync(() =>
                {
                    sent = new StreamedUploadContent(write);
                    return new HttpRequestMessage(HttpMethod.Patch, location) { Content = sent };
                }, PushScope(repo), ct).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.Accepted)
                    throw await ErrorAsync(response, $"upload of blob to {repo}", ct).ConfigureAwait(false);
                var (digest, size) = sent!.Result ?? throw new RegistryException($"upload of blob to {repo}: the content was not sent", host: Host);
                var finish = WithQuery(response.Headers.Location is null ? location : LocationOf(response, location), "digest", digest.ToString());
                using var done = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, finish) { Content = new ByteArrayContent([]) }, PushScope(repo), ct).ConfigureAwait(false);
                await CompleteUploadAsync(repo, digest, done, ct).ConfigureAwait(false);
                return (digest, size);
            }
            catch (RegistryException e) when (session < 2 && !ct.IsCancellationRequested
                && e.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented))
            {
                // A session that went wrong half way (a dropped connection, a rejected digest) may hold stray bytes: open a new one.
                try
                {
                    using var _ = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, location), PushScope(repo), ct).ConfigureAwait(false);
                }
                catch (RegistryException)
                {
                    // An abandoned upload session expires on its own.
                }
            }
        }
    }

    /// <summary>Asks the registry to link a blob from another repository of the same registry. False (202) means: upload it normally.</summary>
    public async Task<bool> MountBlobAsync(string repo, Digest digest, string fromRepo, CancellationToken ct = default)
    {
        CheckRepository(repo);
        CheckRepository(fromRepo);
        var location = await StartUploadAsync(repo, (digest, fromRepo), ct).ConfigureAwait(false);
        if (location is null) return true;
        // 202: the registry opened an ordinary upload instead; cancel it, the caller uploads.
        try
        {
            using var _ = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, location), PushScope(repo), ct).ConfigureAwait(false);
        }
        catch (RegistryException)
        {
            // An abandoned upload session expires on its own.
        }
        return false;
    }

    /// <summary>POST to the uploads endpoint; returns the upload Location, or null when a mount succeeded (201).</summary>
    async Task<Uri?> StartUploadAsync(string repo, (Digest Digest, string From)? mount, CancellationToken ct)
    {
        string query = mount is { } m ? $"?mount={Uri.EscapeDataString(m.Digest.ToString())}&from={Uri.EscapeDataString(m.From)}" : "";
        var uri = ApiUri($"/v2/{Escape(repo)}/blobs/uploads/{query}");
        string[] scopes = mount is { } mm && mm.From != repo ? [.. PushScope(repo), $"repository:{mm.From}:pull"] : PushScope(repo);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent([]) }, scopes, ct).ConfigureAwait(false);
        if (mount is not null && response.StatusCode == HttpStatusCode.Created) return null;
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw await ErrorAsync(response, $"start of blob upload to {repo}", ct).ConfigureAwait(false);
        return LocationOf(response, uri);
    }

    Uri LocationOf(HttpResponseMessage response, Uri requestUri)
    {
        var location = response.Headers.Location
            ?? throw new RegistryException($"registry {Host} answered {(int)response.StatusCode} without a Location header", response.StatusCode, host: Host);
        return location.IsAbsoluteUri ? location : new Uri(requestUri, location);
    }

    static Uri WithQuery(Uri uri, string name, string value)
    {
        string add = Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value);
        var builder = new UriBuilder(uri);
        string existing = builder.Query.TrimStart('?');
        builder.Query = existing.Length > 0 ? existing + "&" + add : add;
        return builder.Uri;
    }

    async Task PutMonolithicAsync(string repo, Digest digest, long size, Uri location, Func<Stream> open, IProgress<long>? progress, CancellationToken ct)
    {
        var uri = WithQuery(location, "digest", digest.ToString());
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, uri) { Content = new UploadContent(open, size, progress) }, PushScope(repo), ct).ConfigureAwait(false);
        await CompleteUploadAsync(repo, digest, response, ct).ConfigureAwait(false);
    }

    async Task UploadChunkedAsync(string repo, Digest digest, long size, Uri location, Func<Stream> open, IProgress<long>? progress, CancellationToken ct)
    {
        byte[] chunk = new byte[(int)Math.Min(_options.ChunkSize, size)];
        long offset = 0;
        await using (var source = open())
        {
            while (offset < size)
            {
                int n = await source.ReadAtLeastAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, size - offset)), (int)Math.Min(chunk.Length, size - offset), throwOnEndOfStream: false, ct).ConfigureAwait(false);
                if (n == 0)
                    throw new RegistryException($"upload of blob {digest}: the content ended after {offset} of {size} bytes", host: Host);
                long from = offset;
                var target = location;
                using var response = await SendAsync(() =>
                {
                    var body = new ByteArrayContent(chunk, 0, n);
                    body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    body.Headers.TryAddWithoutValidation("Content-Range", $"{from}-{from + n - 1}");
                    return new HttpRequestMessage(HttpMethod.Patch, target) { Content = body };
                }, PushScope(repo), ct).ConfigureAwait(false);

                if (offset == 0 && response.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
                {
                    // This registry does not take chunks: send the whole blob in the final PUT instead.
                    await PutMonolithicAsync(repo, digest, size, location, open, progress, ct).ConfigureAwait(false);
                    return;
                }
                if (response.StatusCode != HttpStatusCode.Accepted)
                    throw await ErrorAsync(response, $"upload of blob {repo}@{digest} (bytes {from}-{from + n - 1})", ct).ConfigureAwait(false);
                if (HeaderValue(response, "Range") is { } range && ParseRangeEnd(range) is { } end && end != from + n - 1)
                    throw new RegistryException($"registry {Host} acknowledged bytes up to {end} of blob {digest} after a chunk ending at {from + n - 1}", host: Host);
                location = response.Headers.Location is null ? location : LocationOf(response, target);
                offset += n;
                progress?.Report(offset);
            }
        }
        var finish = WithQuery(location, "digest", digest.ToString());
        using var done = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, finish) { Content = new ByteArrayContent([]) }, PushScope(repo), ct).ConfigureAwait(false);
        await CompleteUploadAsync(repo, digest, done, ct).ConfigureAwait(false);
    }

    static long? ParseRangeEnd(string range)
    {
        // "0-1023" (Docker also accepts "bytes=0-1023")
        int dash = range.LastIndexOf('-');
        return dash >= 0 && long.TryParse(range[(dash + 1)..], out long end) ? end : null;
    }

    async Task CompleteUploadAsync(string repo, Digest digest, HttpResponseMessage response, CancellationToken ct)
    {
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.NoContent or HttpStatusCode.OK))
        {
            var e = await ErrorAsync(response, $"upload of blob {repo}@{digest}", ct).ConfigureAwait(false);
            if (e.ErrorCode == "DIGEST_INVALID")
                throw new RegistryException($"digest mismatch: registry {Host} rejected blob {digest} (content does not hash to it)", e.StatusCode, e.ErrorCode, Host, e);
            throw e;
        }
        if (HeaderValue(response, "Docker-Content-Digest") is { } header && Digest.TryParse(header, out var got) && got != digest)
            throw new RegistryException($"digest mismatch for uploaded blob {repo}: expected {digest}, registry stored {got}", host: Host);
    }

    // ---- transport: auth, retries, redirects ------------------------------------------------------------------

    Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, IReadOnlyList<string> scopes, CancellationToken ct,
        bool followRedirects = false, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
        => SendCoreAsync(create, scopes, authenticate: true, followRedirects, completion, ct);

    /// <summary>Sends a request built fresh for every attempt: adds auth, answers one 401 challenge, retries 5xx/429/connection failures with backoff, follows redirects without leaking Authorization.</summary>
    async Task<HttpResponseMessage> SendCoreAsync(Func<HttpRequestMessage> create, IReadOnlyList<string>? scopes, bool authenticate,
        bool followRedirects, HttpCompletionOption completion, CancellationToken ct)
    {
        bool challenged = false;
        for (int attempt = 1; ; attempt++)
        {
            using var request = create();
            AuthenticationHeaderValue? authorization = null;
            if (authenticate && scopes is not null)
                authorization = await _auth.HeaderForAsync(scopes, ct).ConfigureAwait(false);
            request.Headers.Authorization = authorization;

            HttpResponseMessage response;
            try
            {
                response = await SendFollowingRedirectsAsync(request, followRedirects, completion, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (IsTransient(e) && attempt < _options.MaxAttempts && !ct.IsCancellationRequested)
            {
                await Task.Delay(RetryDelay(attempt), ct).ConfigureAwait(false);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw ConnectionError(e);
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && authenticate && scopes is not null && !challenged)
            {
                challenged = true;
                bool canRetry = await _auth.OnUnauthorizedAsync(response, scopes, ct).ConfigureAwait(false);
                if (canRetry)
                {
                    response.Dispose();
                    attempt--; // answering a challenge is not a failed attempt
                    continue;
                }
                return response;
            }
            if (IsRetryableStatus(response.StatusCode) && attempt < _options.MaxAttempts)
            {
                var delay = RetryAfter(response) ?? RetryDelay(attempt);
                response.Dispose();
                await Task.Delay(delay, ct).ConfigureAwait(false);
                continue;
            }
            return response;
        }
    }

    async Task<HttpResponseMessage> SendFollowingRedirectsAsync(HttpRequestMessage request, bool followRedirects, HttpCompletionOption completion, CancellationToken ct)
    {
        var response = await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
        var origin = request.RequestUri!;
        var current = request;
        for (int hop = 0; followRedirects && IsRedirect(response.StatusCode) && response.Headers.Location is { } location; hop++)
        {
            if (hop >= MaxRedirects)
                throw new RegistryException($"too many redirects from {Host} for {origin.AbsolutePath}", response.StatusCode, host: Host);
            var target = location.IsAbsoluteUri ? location : new Uri(current.RequestUri!, location);
            response.Dispose();
            var next = new HttpRequestMessage(current.Method, target);
            foreach (var header in request.Headers)
                if (!header.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
                    next.Headers.TryAddWithoutValidation(header.Key, header.Value);
            // Blob storage (S3, a CDN) has its own signed URL: the registry's credentials stay with the registry.
            if (SameOrigin(origin, target)) next.Headers.Authorization = request.Headers.Authorization;
            if (current != request) current.Dispose();
            current = next;
            response = await _http.SendAsync(next, completion, ct).ConfigureAwait(false);
        }
        return response;
    }

    static bool SameOrigin(Uri a, Uri b)
        => a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    static bool IsRedirect(HttpStatusCode code) => code is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
        or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    static bool IsRetryableStatus(HttpStatusCode code) => (int)code >= 500 || code == HttpStatusCode.TooManyRequests;

    static bool IsTransient(HttpRequestException e)
    {
        if (e.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError) return false;
        if (FindInner<SocketException>(e) is { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable }) return false;
        if (FindInner<AuthenticationException>(e) is not null) return false;
        return e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded or HttpRequestError.Unknown
            || FindInner<IOException>(e) is not null;
    }

    TimeSpan RetryDelay(int attempt)
    {
        double ms = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        ms = Math.Min(ms, _options.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var delta = response.Headers.RetryAfter?.Delta;
        if (delta is null) return null;
        return delta.Value < _options.MaxRetryDelay ? delta.Value : _options.MaxRetryDelay;
    }

    static T? FindInner<T>(Exception e) where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is T t) return t;
        return null;
    }

    RegistryException ConnectionError(HttpRequestException e)
    {
        string authority = Endpoint.BaseUri.Authority;
        if (FindInner<AuthenticationException>(e) is { } tls || e.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            string why = (FindInner<AuthenticationException>(e)?.Message ?? e.Message).TrimEnd('.');
            return new RegistryException($"TLS handshake with registry {Host} failed ({why}); if it uses a private CA, put the CA certificate in {Endpoint.SuggestedCaPath}", host: Host, inner: e);
        }
        if (e.HttpRequestError == HttpRequestError.NameResolutionError || FindInner<SocketException>(e) is { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData })
            return new RegistryException($"cannot reach registry {Host}: unknown host {RegistryEndpoint.StripPort(authority)}", host: Host, inner: e);
        if (FindInner<SocketException>(e) is { SocketErrorCode: SocketError.ConnectionRefused })
            return new RegistryException($"cannot reach registry {Host}: connection refused ({authority})", host: Host, inner: e);
        return new RegistryException($"cannot reach registry {Host} ({authority}): {e.Message}", host: Host, inner: e);
    }

    // ---- responses ------------------------------------------------------------------------------------------

    static string? HeaderValue(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;

    static string ManifestName(string repo, string tagOrDigest) => Digest.TryParse(tagOrDigest, out _) ? $"{repo}@{tagOrDigest}" : $"{repo}:{tagOrDigest}";

    async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, int limit, string what, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > limit)
            throw new RegistryException($"{what} from {Host} is too large ({response.Content.Headers.ContentLength} bytes, limit {limit})", host: Host);
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var memory = new MemoryStream();
        byte[] buffer = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (memory.Length + n > limit)
                throw new RegistryException($"{what} from {Host} is larger than the {limit}-byte limit", host: Host);
            memory.Write(buffer, 0, n);
        }
        return memory.ToArray();
    }

    /// <summary>Turns a failed response into a one-line error naming what was asked for.</summary>
    async Task<RegistryException> ErrorAsync(HttpResponseMessage response, string what, CancellationToken ct, bool isManifest = false)
    {
        byte[] body = [];
        try
        {
            if (response.RequestMessage?.Method != HttpMethod.Head)
                body = await ReadLimitedAsync(response, 64 * 1024, "error body", ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RegistryException or IOException or HttpRequestException)
        {
            // A broken error body does not hide the status.
        }
        var errors = RegistryError.Parse(body);
        string? code = errors.FirstOrDefault()?.Code;
        string? message = errors.FirstOrDefault()?.Message;
        var status = response.StatusCode;
        string reason = $"{(int)status} {response.ReasonPhrase ?? status.ToString()}";
        string text = status switch
        {
            HttpStatusCode.Unauthorized => $"401 Unauthorized: {message ?? "authentication required"} ({what}; run `berth login {Host}`)",
            HttpStatusCode.Forbidden => $"403 Forbidden: {message ?? "access denied"} ({what} on {Host})",
            HttpStatusCode.NotFound when isManifest || code == "MANIFEST_UNKNOWN" => $"manifest unknown: {what} not found",
            HttpStatusCode.NotFound when code == "NAME_UNKNOWN" => $"repository unknown: {what} not found on {Host}",
            HttpStatusCode.NotFound when code == "BLOB_UNKNOWN" => $"blob unknown: {what} not found on {Host}",
            _ when message is not null => $"{reason}: {code?.ToLowerInvariant().Replace('_', ' ')}: {message} ({what} on {Host})",
            _ => $"{reason} ({what} on {Host})",
        };
        return new RegistryException(text, status, code, Host);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A request body read from a re-openable stream, reporting bytes sent.</summary>
    sealed class UploadContent(Func<Stream> open, long size, IProgress<long>? progress) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var source = open();
            byte[] buffer = new byte[128 * 1024];
            long sent = 0;
            int n;
            while (sent < size && (n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - sent)), cancellationToken).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                sent += n;
                progress?.Report(sent);
            }
            if (sent != size) throw new IOException($"upload content ended after {sent} of {size} bytes");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = size;
            return true;
        }

        protected override void Dispose(bool disposing) => base.Dispose(disposing);
    }

    /// <summary>A request body of unknown length produced by a callback (sent with chunked transfer encoding), hashed as it goes out.</summary>
    sealed class StreamedUploadContent(Func<Stream, CancellationToken, Task> write) : HttpContent
    {
        public (Digest Digest, long Size)? Result { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var hashing = new HashingWriteStream(stream, hash);
            // Big writes: the compressor hands out pieces of a few KiB, each would be a send(2) of its own.
            await using (var buffered = new BufferedStream(hashing, 1 << 20))
            {
                await write(buffered, cancellationToken).ConfigureAwait(false);
                await buffered.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            Result = (Digest.FromHash(hash.GetHashAndReset()), hashing.Written);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A response body that disposes its response with it.</summary>
    sealed class ResponseStream(HttpResponseMessage response, Stream body) : ForwardReadStream
    {
        public override int Read(byte[] buffer, int offset, int count) => body.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => body.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => body.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => body.ReadAsync(buffer, offset, count, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                body.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>Lets the client dispose what it opened without closing a caller's stream.</summary>
    sealed class NonClosingStream(Stream inner) : ForwardReadStream
    {
        public override bool CanRead => inner.CanRead;
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
    }
}
