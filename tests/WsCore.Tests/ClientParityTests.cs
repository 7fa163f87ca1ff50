using System.Net;
using System.Net.WebSockets;
using System.Text;
using WsCore.Compression;
using WsCore.Interop;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>Which client a parity scenario runs with.</summary>
public enum ParityClient
{
    /// <summary>The runtime's <see cref="System.Net.WebSockets.ClientWebSocket"/>.</summary>
    ClientWebSocket,

    /// <summary><see cref="WsCoreWebSocket.ConnectAsync"/>.</summary>
    WsCore,
}

/// <summary>
/// <see cref="WsCoreWebSocket.ConnectAsync"/> beside <see cref="ClientWebSocket"/>, scenario by scenario, against one
/// WsCore server (<see cref="TestWsServer"/>, plain and TLS with a certificate made in the test): both clients are
/// driven through the same <see cref="WebSocket"/> code and must see the same thing. Where the two are configured,
/// the lines differ only in spelling: <c>Options.SetRequestHeader</c> / <c>RequestHeaders.Set</c>,
/// <c>AddSubProtocol</c> / <c>Subprotocols</c>, <c>DangerousDeflateOptions</c> / <c>PerMessageDeflate</c>.
/// </summary>
public class ClientParityTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>What a scenario asks of the client, set the same way on both.</summary>
    private sealed record Spec
    {
        public string[] Subprotocols { get; init; } = [];
        public (string Name, string Value)[] Headers { get; init; } = [];
        public bool Deflate { get; init; }
        public IWebProxy? Proxy { get; init; }
    }

    private static async Task<WebSocket> ConnectAsync(ParityClient kind, Uri uri, Spec? spec = null)
    {
        spec ??= new Spec();
        using var timeout = new CancellationTokenSource(Timeout);
        if (kind == ParityClient.ClientWebSocket)
        {
            var client = new ClientWebSocket();
            client.Options.Proxy = spec.Proxy; // null: direct, whatever the environment says
            client.Options.RemoteCertificateValidationCallback = TestCertificates.AcceptLocalhost;
            client.Options.CollectHttpResponseDetails = true;
            foreach (string subprotocol in spec.Subprotocols) client.Options.AddSubProtocol(subprotocol);
            foreach ((string name, string value) in spec.Headers) client.Options.SetRequestHeader(name, value);
            if (spec.Deflate) client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
            try
            {
                await client.ConnectAsync(uri, timeout.Token);
            }
            catch
            {
                client.Dispose();
                throw;
            }
            return client;
        }
        var options = new WebSocketClientOptions
        {
            Proxy = spec.Proxy,
            RemoteCertificateValidationCallback = TestCertificates.AcceptLocalhost,
            Subprotocols = spec.Subprotocols,
            Connection = new WebSocketConnectionOptions
            {
                Protocol = new WebSocketProtocolOptions { PerMessageDeflate = spec.Deflate ? new PerMessageDeflateOptions { Enabled = true } : PerMessageDeflateOptions.Disabled },
            },
        };
        foreach ((string name, string value) in spec.Headers) options.RequestHeaders.Set(name, value);
        return await WsCoreWebSocket.ConnectAsync(uri, options, timeout.Token);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(WebSocket ws)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var data = new MemoryStream();
        byte[] buffer = new byte[8192];
        while (true)
        {
            ValueWebSocketReceiveResult r = await ws.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            data.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageType, data.ToArray());
        }
    }

    private static async Task CloseAsync(WebSocket ws)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        Assert.Equal(WebSocketState.Closed, ws.State);
    }

    public static TheoryData<ParityClient, bool> Clients => new()
    {
        { ParityClient.ClientWebSocket, false },
        { ParityClient.ClientWebSocket, true },
        { ParityClient.WsCore, false },
        { ParityClient.WsCore, true },
    };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Text_and_binary_messages_are_echoed(ParityClient kind, bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        using WebSocket ws = await ConnectAsync(kind, server.Uri());
        Assert.Equal(WebSocketState.Open, ws.State);
        Assert.Null(ws.SubProtocol);
        byte[] text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("ünïcödé ", 5000)));
        byte[] binary = new byte[70_000];
        new Random(3).NextBytes(binary);
        using var timeout = new CancellationTokenSource(Timeout);
        await ws.SendAsync(text, WebSocketMessageType.Text, true, timeout.Token);
        var echoedText = await ReceiveMessageAsync(ws);
        Assert.Equal(WebSocketMessageType.Text, echoedText.Type);
        Assert.Equal(text, echoedText.Data);
        // A fragmented binary message: three frames, one message back.
        await ws.SendAsync(binary.AsMemory(0, 1000), WebSocketMessageType.Binary, false, timeout.Token);
        await ws.SendAsync(binary.AsMemory(1000, 30_000), WebSocketMessageType.Binary, false, timeout.Token);
        await ws.SendAsync(binary.AsMemory(31_000), WebSocketMessageType.Binary, true, timeout.Token);
        var echoedBinary = await ReceiveMessageAsync(ws);
        Assert.Equal(WebSocketMessageType.Binary, echoedBinary.Type);
        Assert.Equal(binary, echoedBinary.Data);
        await CloseAsync(ws);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task The_subprotocol_the_server_chose_is_reported(ParityClient kind, bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        using WebSocket ws = await ConnectAsync(kind, server.Uri(), new Spec { Subprotocols = ["chat.v1", "chat.v2"] });
        Assert.Equal("chat.v2", ws.SubProtocol);
        Assert.Equal(["chat.v1", "chat.v2"], server.Requests.Single().Subprotocols);
        await CloseAsync(ws);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Custom_request_headers_reach_the_server(ParityClient kind, bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        using WebSocket ws = await ConnectAsync(kind, server.Uri("/echo?room=7"), new Spec
        {
            Headers = [("Authorization", "Bearer abc.def"), ("Cookie", "session=42; theme=dark"), ("User-Agent", "parity-test/1.0"), ("X-Trace", "t-1")],
        });
        Handshake.HandshakeRequest request = server.Requests.Single();
        Assert.Equal("/echo", request.Path);
        Assert.Equal("?room=7", request.Query);
        Assert.Equal($"localhost:{server.Port}", request.Host);
        Assert.True(request.TryGetHeader("Authorization", out string? authorization));
        Assert.Equal("Bearer abc.def", authorization);
        Assert.True(request.TryGetHeader("Cookie", out string? cookie));
        Assert.Equal("session=42; theme=dark", cookie);
        Assert.True(request.TryGetHeader("User-Agent", out string? agent));
        Assert.Equal("parity-test/1.0", agent);
        Assert.True(request.TryGetHeader("X-Trace", out string? trace));
        Assert.Equal("t-1", trace);
        await CloseAsync(ws);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Permessage_deflate_is_negotiated_and_messages_round_trip(ParityClient kind, bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls, compression: true);
        using WebSocket ws = await ConnectAsync(kind, server.Uri(), new Spec { Deflate = true });
        Assert.Contains("permessage-deflate", server.Requests.Single().Extensions);
        byte[] text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("compress me ", 10_000)));
        using var timeout = new CancellationTokenSource(Timeout);
        await ws.SendAsync(text, WebSocketMessageType.Text, true, timeout.Token);
        Assert.Equal(text, (await ReceiveMessageAsync(ws)).Data);
        Assert.True(Assert.Single(server.CompressionEnabled));
        if (ws is WsCoreWebSocket wsCore) Assert.True(wsCore.Connection.IsCompressionEnabled);
        else Assert.Contains("permessage-deflate", string.Join(",", ((ClientWebSocket)ws).HttpResponseHeaders!["Sec-WebSocket-Extensions"]));
        await CloseAsync(ws);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task A_close_the_client_starts_ends_closed_with_the_echoed_status(ParityClient kind, bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        using WebSocket ws = await ConnectAsync(kind, server.Uri());
        using var timeout = new CancellationTokenSource(Timeout);
        await ws.CloseAsync((WebSocketCloseStatus)4001, "client done", timeout.Token);
        Assert.Equal(WebSocketState.Closed, ws.State);
        Assert.Equal((WebSocketCloseStatus)4001, ws.CloseStatus); // the server's engine echoes the code (RFC 6455 §5.5.1)
        Assert.Equal("", ws.CloseStatusDescription);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task A_close_the_server_starts_is_received_with_its_status_and_description(ParityClient kind, bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        using WebSocket ws = await ConnectAsync(kind, server.Uri("/close"));
        var first = await ReceiveMessageAsync(ws);
        Assert.Equal("closing", Encoding.UTF8.GetString(first.Data));
        using var timeout = new CancellationTokenSource(Timeout);
        ValueWebSocketReceiveResult close = await ws.ReceiveAsync(new byte[16].AsMemory(), timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(WebSocketState.CloseReceived, ws.State);
        Assert.Equal((WebSocketCloseStatus)TestWsServer.ServerCloseCode, ws.CloseStatus);
        Assert.Equal(TestWsServer.ServerCloseReason, ws.CloseStatusDescription);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        Assert.Equal(WebSocketState.Closed, ws.State);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task A_403_from_the_server_fails_the_connect_with_NotAWebSocket_naming_the_status(ParityClient kind, bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(kind, server.Uri("/reject")));
        Assert.Equal(WebSocketError.NotAWebSocket, e.WebSocketErrorCode);
        Assert.Equal("The server returned status code '403' when status code '101' was expected.", e.Message);
        if (kind == ParityClient.WsCore)
        {
            var detail = Assert.IsType<WebSocketConnectException>(e.InnerException);
            Assert.Equal(WebSocketConnectFailure.Handshake, detail.Failure);
            Assert.Equal(403, detail.StatusCode);
            Assert.Equal(Handshake.HandshakeResponseError.UnexpectedStatusCode, detail.HandshakeError);
            Assert.Equal(403, detail.Response!.StatusCode);
        }
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Nothing_listening_fails_the_connect_with_Faulted(ParityClient kind, bool tls)
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(kind, new Uri($"{(tls ? "wss" : "ws")}://127.0.0.1:{port}/")));
        Assert.Equal(WebSocketError.Faulted, e.WebSocketErrorCode);
        if (kind == ParityClient.WsCore) Assert.Equal(WebSocketConnectFailure.Connect, Assert.IsType<WebSocketConnectException>(e.InnerException).Failure);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Through_an_http_proxy_the_client_tunnels_with_connect(ParityClient kind, bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        await using var proxy = new ConnectProxy();
        using WebSocket ws = await ConnectAsync(kind, server.Uri(), new Spec { Proxy = new WebProxy(proxy.Uri) });
        using var timeout = new CancellationTokenSource(Timeout);
        await ws.SendAsync("through the tunnel"u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
        Assert.Equal("through the tunnel", Encoding.UTF8.GetString((await ReceiveMessageAsync(ws)).Data));
        Assert.Equal($"CONNECT localhost:{server.Port} HTTP/1.1", Assert.Single(proxy.RequestLines));
        await CloseAsync(ws);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task A_proxy_that_asks_for_credentials_fails_the_connect_with_Faulted(ParityClient kind, bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        await using var proxy = new ConnectProxy(requiredAuthorization: "Basic " + Convert.ToBase64String("user:secret"u8.ToArray()));
        WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(kind, server.Uri(), new Spec { Proxy = new WebProxy(proxy.Uri) }));
        Assert.Equal(WebSocketError.Faulted, e.WebSocketErrorCode);
        if (kind == ParityClient.WsCore)
        {
            var detail = Assert.IsType<WebSocketConnectException>(e.InnerException);
            Assert.Equal(WebSocketConnectFailure.Proxy, detail.Failure);
            Assert.Equal(407, detail.StatusCode);
            Assert.Contains("407", detail.Message);
        }
        Assert.Empty(server.Requests);
    }
}
