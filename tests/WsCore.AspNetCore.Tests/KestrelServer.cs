using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace WsCore.AspNetCore.Tests;

/// <summary>
/// A real Kestrel on loopback (ports from the OS) with two endpoints: HTTP/1.1, and HTTP/2 with prior knowledge (h2c),
/// where WebSockets come as extended CONNECT (RFC 8441). Tests map their routes with <c>configure</c>.
/// </summary>
public sealed class KestrelServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;
    private ListenOptions? _http1;
    private ListenOptions? _http2;

    private KestrelServer(Action<WebApplication> configure, Action<KestrelServerLimits>? limits)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => { o.Protocols = HttpProtocols.Http1; _http1 = o; });
            k.Listen(IPAddress.Loopback, 0, o => { o.Protocols = HttpProtocols.Http2; _http2 = o; });
            limits?.Invoke(k.Limits);
        });
        _app = builder.Build();
        configure(_app);
    }

    public static async Task<KestrelServer> StartAsync(Action<WebApplication> configure, Action<KestrelServerLimits>? limits = null)
    {
        var server = new KestrelServer(configure, limits);
        await server._app.StartAsync();
        return server;
    }

    public int Http1Port => _http1!.IPEndPoint!.Port;

    public int Http2Port => _http2!.IPEndPoint!.Port;

    public Uri WebSocketUri(string pathAndQuery, bool http2) => new($"ws://127.0.0.1:{(http2 ? Http2Port : Http1Port)}{pathAndQuery}");

    public Uri HttpUri(string pathAndQuery, bool http2) => new($"http://127.0.0.1:{(http2 ? Http2Port : Http1Port)}{pathAndQuery}");

    /// <summary>
    /// Connects a <see cref="ClientWebSocket"/>: HTTP/1.1 upgrade, or HTTP/2 extended CONNECT over h2c (an invoker with a
    /// <see cref="SocketsHttpHandler"/>, the version exact), with permessage-deflate offered when asked.
    /// </summary>
    public async Task<ClientWebSocket> ConnectAsync(string pathAndQuery, bool http2, bool compression = false,
        Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        if (compression) client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        configure?.Invoke(client.Options);
        using var cts = new CancellationTokenSource(Timeout);
        if (http2)
        {
            client.Options.HttpVersion = HttpVersion.Version20;
            client.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
            await client.ConnectAsync(WebSocketUri(pathAndQuery, http2), Invoker, cts.Token);
        }
        else
        {
            await client.ConnectAsync(WebSocketUri(pathAndQuery, http2), cts.Token);
        }
        return client;
    }

    /// <summary>One HTTP/2 connection pool for the test's ClientWebSockets and HttpClient requests.</summary>
    public HttpMessageInvoker Invoker { get; } = new(new SocketsHttpHandler(), disposeHandler: true);

    /// <summary>Sends a raw HTTP/1.1 request head and reads the answer until the server closes or the head (and a short body) is in.</summary>
    public async Task<RawResponse> SendRawAsync(string head)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Http1Port), cts.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(head.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n"), cts.Token);
        var received = new List<byte>();
        byte[] buffer = new byte[4096];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, cts.Token);
            if (n == 0) break;
            received.AddRange(buffer.AsSpan(0, n));
            if (RawResponse.TryParse(received.ToArray(), out RawResponse? response)) return response;
        }
        return RawResponse.TryParse(received.ToArray(), out RawResponse? last) ? last : throw new InvalidOperationException("no response");
    }

    public async ValueTask DisposeAsync()
    {
        Invoker.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
