using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Registry;

namespace Berth.Tests.Registry;

/// <summary>Auth, redirect and retry rules checked against a fake HTTP handler.</summary>
public class RegistryTransportTests
{
    static readonly RegistryClientOptions Fast = new() { RetryBaseDelay = TimeSpan.FromMilliseconds(1), MaxAttempts = 4 };

    static HttpResponseMessage Challenge(string header)
    {
        var r = FakeRegistryHandler.Status(HttpStatusCode.Unauthorized, """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""");
        r.Headers.TryAddWithoutValidation("WWW-Authenticate", header);
        return r;
    }

    [Fact]
    public async Task Credentials_are_not_sent_to_a_plain_http_realm_on_another_host()
    {
        var handler = new FakeRegistryHandler((req, _) => req.RequestUri!.Host == "127.0.0.1"
            ? Challenge("Bearer realm=\"http://evil.example/token\",service=\"reg\"")
            : FakeRegistryHandler.Status(HttpStatusCode.OK, """{"token":"t"}"""));
        using var client = new RegistryClient("127.0.0.1:5000", new RegistryCredential("u", "p"), Fast, handler);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync("a/b", "latest"));
        Assert.Equal("refusing to send credentials for 127.0.0.1:5000 to evil.example over plain http (token realm http://evil.example/token)", e.Message);
        Assert.DoesNotContain(handler.Requests, r => r.Uri.Host == "evil.example");
    }

    [Fact]
    public async Task A_tls_registry_may_not_use_a_plain_http_realm_at_all()
    {
        var handler = new FakeRegistryHandler((req, _) => req.RequestUri!.Host == "reg.example"
            ? Challenge("Bearer realm=\"http://reg.example/token\",service=\"reg\"")
            : FakeRegistryHandler.Status(HttpStatusCode.OK, """{"token":"t"}"""));
        using var client = new RegistryClient("reg.example", null, Fast, handler);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync("a/b", "latest"));
        Assert.Contains("a token server must use https", e.Message);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Bearer_flow_asks_the_realm_for_the_scope_and_retries_with_the_token()
    {
        byte[] manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"a\",\"digest\":\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":0},\"layers\":[]}"u8.ToArray();
        var handler = new FakeRegistryHandler((req, _) =>
        {
            if (req.RequestUri!.Host == "auth.example")
            {
                Assert.Equal("Basic " + Convert.ToBase64String("u:p"u8.ToArray()), req.Headers.Authorization?.ToString());
                Assert.Contains("scope=repository%3Aa%2Fb%3Apull", req.RequestUri.Query);
                Assert.Contains("service=reg.example", req.RequestUri.Query);
                return FakeRegistryHandler.Status(HttpStatusCode.OK, """{"access_token":"tok-1","expires_in":300}""");
            }
            if (req.Headers.Authorization?.ToString() != "Bearer tok-1")
                return Challenge("Bearer realm=\"https://auth.example/token\",service=\"reg.example\",scope=\"repository:a/b:pull\"");
            var ok = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(manifest) };
            ok.Content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OciManifest);
            return ok;
        });
        using var client = new RegistryClient("reg.example", new RegistryCredential("u", "p"), Fast, handler);
        var got = await client.GetManifestAsync("a/b", "latest");
        Assert.Equal(manifest, got.Content);
        await client.GetManifestAsync("a/b", "latest");
        Assert.Single(handler.Requests, r => r.Uri.Host == "auth.example");
        Assert.Equal(4, handler.Requests.Count); // challenge, token, retry, cached token
    }

    [Fact]
    public async Task Redirect_to_blob_storage_drops_the_authorization_header()
    {
        byte[] blob = "layer bytes"u8.ToArray();
        var digest = Digest.Of(blob);
        var handler = new FakeRegistryHandler((req, _) =>
        {
            if (req.RequestUri!.Host == "storage.example")
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(blob) };
            if (req.Headers.Authorization is null) return Challenge("Basic realm=\"reg\"");
            var redirect = new HttpResponseMessage(HttpStatusCode.TemporaryRedirect) { Content = new StringContent("") };
            redirect.Headers.Location = new Uri("https://storage.example/signed/blob?sig=abc");
            return redirect;
        });
        using var client = new RegistryClient("reg.example", new RegistryCredential("u", "p"), Fast, handler);
        using var sink = new MemoryStream();
        await client.DownloadBlobAsync("a/b", new Descriptor { MediaType = MediaTypes.OciLayer, Digest = digest.ToString(), Size = blob.Length }, sink);
        Assert.Equal(blob, sink.ToArray());
        var storage = Assert.Single(handler.Requests, r => r.Uri.Host == "storage.example");
        Assert.Null(storage.Authorization);
        Assert.Contains(handler.Requests, r => r.Uri.Host == "reg.example" && r.Authorization is not null);
    }

    [Fact]
    public async Task Server_errors_and_429_are_retried_until_success()
    {
        var handler = new FakeRegistryHandler((_, n) => n switch
        {
            1 => FakeRegistryHandler.Status(HttpStatusCode.InternalServerError),
            2 => FakeRegistryHandler.Status(HttpStatusCode.ServiceUnavailable),
            3 => FakeRegistryHandler.Status(HttpStatusCode.TooManyRequests),
            _ => FakeRegistryHandler.Status(HttpStatusCode.OK, "{}"),
        });
        using var client = new RegistryClient("reg.example", null, Fast, handler);
        var ping = await client.PingAsync();
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal(4, handler.Requests.Count);
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_error_is_reported()
    {
        var handler = new FakeRegistryHandler((_, _) => FakeRegistryHandler.Status(HttpStatusCode.BadGateway));
        using var client = new RegistryClient("reg.example", null, Fast, handler);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.BlobExistsAsync("a/b", Digest.Of("x")));
        Assert.Equal(HttpStatusCode.BadGateway, e.StatusCode);
        Assert.Equal(Fast.MaxAttempts, handler.Requests.Count);
    }

    [Fact]
    public async Task Connection_resets_are_retried()
    {
        var handler = new FakeRegistryHandler((_, n) => n < 3
            ? throw new HttpRequestException(HttpRequestError.ConnectionError, "reset", new IOException("reset", new SocketException((int)SocketError.ConnectionReset)))
            : FakeRegistryHandler.Status(HttpStatusCode.OK, "{}"));
        using var client = new RegistryClient("reg.example", null, Fast, handler);
        await client.PingAsync();
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        var handler = new FakeRegistryHandler((_, _) => FakeRegistryHandler.Status(HttpStatusCode.Forbidden, """{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"""));
        using var client = new RegistryClient("reg.example", null, Fast, handler);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync("a/b", "v1"));
        Assert.Single(handler.Requests);
        Assert.Equal("DENIED", e.ErrorCode);
        Assert.StartsWith("403 Forbidden: requested access to the resource is denied", e.Message);
    }

    [Fact]
    public async Task A_manifest_fetched_by_digest_must_hash_to_it()
    {
        var handler = new FakeRegistryHandler((_, _) =>
        {
            var r = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"schemaVersion":2}""") };
            r.Content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OciManifest);
            return r;
        });
        using var client = new RegistryClient("reg.example", null, Fast, handler);
        var wanted = Digest.Of("something else");
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync("a/b", wanted.ToString()));
        Assert.StartsWith($"digest mismatch for manifest a/b@{wanted}: expected {wanted}, got {Digest.Of("""{"schemaVersion":2}""")}", e.Message);
    }

    [Fact]
    public async Task Chunked_upload_follows_relative_locations_and_falls_back_when_patch_is_refused()
    {
        byte[] blob = new byte[2500];
        Random.Shared.NextBytes(blob);
        var digest = Digest.Of(blob);
        var handler = new FakeRegistryHandler((req, _) =>
        {
            if (req.Method == HttpMethod.Post)
            {
                var r = FakeRegistryHandler.Status(HttpStatusCode.Accepted);
                r.Headers.Location = new Uri("/v2/a/b/blobs/uploads/u1?state=x", UriKind.Relative);
                return r;
            }
            if (req.Method == HttpMethod.Patch) return FakeRegistryHandler.Status(HttpStatusCode.MethodNotAllowed);
            Assert.Equal(HttpMethod.Put, req.Method);
            Assert.Equal("/v2/a/b/blobs/uploads/u1", req.RequestUri!.AbsolutePath);
            Assert.Equal($"?state=x&digest={Uri.EscapeDataString(digest.ToString())}", req.RequestUri.Query);
            Assert.Equal(blob, req.Content!.ReadAsByteArrayAsync().Result);
            var created = FakeRegistryHandler.Status(HttpStatusCode.Created);
            created.Headers.TryAddWithoutValidation("Docker-Content-Digest", digest.ToString());
            return created;
        });
        using var client = new RegistryClient("reg.example", null, Fast with { ChunkSize = 1000 }, handler);
        await client.UploadBlobAsync("a/b", digest, blob.Length, () => new MemoryStream(blob));
        Assert.Equal(["POST", "PATCH", "PUT"], handler.Requests.Select(r => r.Method.Method));
    }
}

/// <summary>Identity-token (OAuth2 refresh) logins and downloads that lose their connection half way.</summary>
public class RegistryTransportRecoveryTests
{
    static readonly RegistryClientOptions Fast = new() { RetryBaseDelay = TimeSpan.FromMilliseconds(1), MaxAttempts = 4 };

    [Fact]
    public async Task An_identity_token_is_exchanged_with_the_oauth2_refresh_grant()
    {
        string? form = null;
        var handler = new FakeRegistryHandler((req, _) =>
        {
            if (req.RequestUri!.Host == "auth.example")
            {
                Assert.Equal(HttpMethod.Post, req.Method);
                form = req.Content!.ReadAsStringAsync().Result;
                return FakeRegistryHandler.Status(HttpStatusCode.OK, """{"access_token":"tok","expires_in":60}""");
            }
            if (req.Headers.Authorization?.ToString() == "Bearer tok") return FakeRegistryHandler.Status(HttpStatusCode.OK, "{}");
            var r = FakeRegistryHandler.Status(HttpStatusCode.Unauthorized);
            r.Headers.TryAddWithoutValidation("WWW-Authenticate", "Bearer realm=\"https://auth.example/token\",service=\"reg\"");
            return r;
        });
        using var client = new RegistryClient("reg.example", RegistryCredential.FromIdentityToken("refresh-1"), Fast, handler);
        await client.LoginAsync();
        Assert.NotNull(form);
        Assert.Contains("grant_type=refresh_token", form);
        Assert.Contains("refresh_token=refresh-1", form);
        Assert.Contains("service=reg", form);
    }

    [Fact]
    public async Task A_download_cut_off_mid_body_resumes_with_a_range_request()
    {
        byte[] blob = new byte[50_000];
        Random.Shared.NextBytes(blob);
        var ranges = new List<string?>();
        var handler = new FakeRegistryHandler((req, n) =>
        {
            ranges.Add(req.Headers.Range?.ToString());
            if (n == 1)
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new FailingStream(blob, failAfter: 20_000)) };
            long from = req.Headers.Range!.Ranges.Single().From!.Value;
            var partial = new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = new ByteArrayContent(blob[(int)from..]) };
            partial.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, blob.Length - 1, blob.Length);
            return partial;
        });
        using var client = new RegistryClient("reg.example", null, Fast, handler);
        using var sink = new MemoryStream();
        await client.DownloadBlobAsync("a/b", new Descriptor { MediaType = MediaTypes.OciLayer, Digest = Digest.Of(blob).ToString(), Size = blob.Length }, sink);
        Assert.Equal(blob, sink.ToArray());
        Assert.Null(ranges[0]);
        Assert.StartsWith("bytes=", ranges[1]);
        Assert.NotEqual("bytes=0-", ranges[1]);
    }

    /// <summary>Returns the first bytes of a buffer, then fails as a dropped connection does.</summary>
    sealed class FailingStream(byte[] data, int failAfter) : Stream
    {
        int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAfter) throw new IOException("connection reset by peer");
            int n = Math.Min(count, Math.Min(failAfter, data.Length) - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
