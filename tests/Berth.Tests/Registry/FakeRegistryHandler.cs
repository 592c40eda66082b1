using System.Net;

namespace Berth.Tests.Registry;

/// <summary>An HttpMessageHandler answering from a function and recording every request it saw (with its Authorization).</summary>
public sealed class FakeRegistryHandler(Func<HttpRequestMessage, int, HttpResponseMessage> respond) : HttpMessageHandler
{
    public List<(HttpMethod Method, Uri Uri, string? Authorization)> Requests { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Add((request.Method, request.RequestUri!, request.Headers.Authorization?.ToString()));
        var response = respond(request, Requests.Count);
        response.RequestMessage = request;
        return Task.FromResult(response);
    }

    public static HttpResponseMessage Status(HttpStatusCode code, string body = "")
        => new(code) { Content = new StringContent(body) };
}
