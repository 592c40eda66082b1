using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Berth.Tests.Build;

/// <summary>Serves the files of a directory over HTTP/1.0 on 127.0.0.1 (an ephemeral port) until disposed; unknown paths get 404.</summary>
public sealed class StaticHttpServer : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly string _root;
    readonly Task _loop;

    public string BaseUrl { get; }

    public StaticHttpServer(string root)
    {
        _root = root;
        _listener.Start();
        BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _loop = Task.Run(AcceptAsync);
    }

    async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var request = new StringBuilder();
            var buffer = new byte[4096];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int n = await stream.ReadAsync(buffer);
                if (n == 0) return;
                request.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            string path = request.ToString().Split(' ')[1].TrimStart('/');
            string file = Path.Combine(_root, path);
            byte[] body = path.Length > 0 && !path.Contains("..", StringComparison.Ordinal) && File.Exists(file) ? File.ReadAllBytes(file) : [];
            string status = body.Length > 0 || File.Exists(file) ? "200 OK" : "404 Not Found";
            string head = $"HTTP/1.0 {status}\r\nContent-Length: {body.Length}\r\nContent-Type: application/octet-stream\r\n" +
                          "Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(body);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _loop.Wait(TimeSpan.FromSeconds(10));
    }
}
