using System.Net;
using Berth.Tests.Registry;

namespace Berth.Tests.RegistryService;

/// <summary>
/// A small HTTP proxy on 127.0.0.1 in front of a <see cref="LocalRegistry"/>: records every request (with its Range header)
/// and lets a test rewrite response bodies, e.g. flip a byte of one blob.
/// </summary>
public sealed class RegistryProxy : IDisposable
{
    readonly HttpListener _listener = new();
    readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None });
    readonly string _target;
    readonly Task _loop;

    public RegistryProxy(LocalRegistry registry)
    {
        _target = $"http://{registry.Host}";
        Port = LocalRegistry.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";

    /// <summary>Rewrites a response body: (request path, body) → body to send.</summary>
    public Func<string, byte[], byte[]>? RewriteBody { get; set; }

    public List<(string Method, string Path, string? Range)> Requests { get; } = [];

    /// <summary>When set, a full GET of this blob sends half its bytes, then completes <see cref="HalfSent"/> and stalls (until disposal).</summary>
    public string? StallBlobHalfWay { get; set; }

    public TaskCompletionSource HalfSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    readonly CancellationTokenSource _stopping = new();

    /// <summary>Answers a request with this status instead of forwarding it, when it returns one: (method, path, how many requests came before) → status.</summary>
    public Func<string, string, int, int?>? Intercept { get; set; }

    /// <summary>GET requests for one blob digest.</summary>
    public IReadOnlyList<(string Method, string Path, string? Range)> BlobGets(string digest)
    {
        lock (Requests) return Requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/blobs/" + digest, StringComparison.Ordinal)).ToList();
    }

    async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            var request = context.Request;
            string path = request.Url!.AbsolutePath;
            int seen;
            lock (Requests)
            {
                seen = Requests.Count;
                Requests.Add((request.HttpMethod, path, request.Headers["Range"]));
            }
            if (Intercept?.Invoke(request.HttpMethod, path, seen) is int status)
            {
                context.Response.StatusCode = status;
                return;
            }
            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), _target + request.Url.PathAndQuery);
            foreach (string name in new[] { "Accept", "Range", "Authorization" })
                if (request.Headers[name] is { } value) forward.Headers.TryAddWithoutValidation(name, value);
            if (request.HasEntityBody)
            {
                using var body = new MemoryStream();
                await request.InputStream.CopyToAsync(body);
                forward.Content = new ByteArrayContent(body.ToArray());
                if (request.ContentType is { } type) forward.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
            using var response = await _upstream.SendAsync(forward);
            byte[] bytes = await response.Content.ReadAsByteArrayAsync();
            if (RewriteBody is { } rewrite && request.HttpMethod == "GET") bytes = rewrite(path, bytes);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (header.Key is "Content-Length" or "Transfer-Encoding" or "Connection" or "Date" or "Server") continue;
                if (header.Key == "Content-Type") { context.Response.ContentType = header.Value.First(); continue; }
                foreach (string v in header.Value) context.Response.AddHeader(header.Key, v.Replace(_target, "http://" + Host));
            }
            if (StallBlobHalfWay is { } stall && request.HttpMethod == "GET" && request.Headers["Range"] is null
                && path.EndsWith("/blobs/" + stall, StringComparison.Ordinal) && response.IsSuccessStatusCode)
            {
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                await context.Response.OutputStream.FlushAsync();
                HalfSent.TrySetResult();
                try { await Task.Delay(Timeout.Infinite, _stopping.Token); } catch (OperationCanceledException) { }
                context.Response.Abort();
                return;
            }
            if (request.HttpMethod != "HEAD")
            {
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
            }
        }
        catch (Exception)
        {
            try { context.Response.StatusCode = 502; } catch (InvalidOperationException) { }
        }
        finally
        {
            try { context.Response.Close(); } catch (Exception) { }
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        // Close alone: after Stop, the managed listener's Close binds the port again to remove its prefix, which fails
        // when another test has taken the port meanwhile ("Address already in use", seen in a full run).
        try { _listener.Close(); }
        catch (HttpListenerException) { }
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _upstream.Dispose();
    }
}
