using System.Net;
using System.Net.WebSockets;
using System.Text;
using static WsCore.AspNetCore.Tests.ClientSupport;

namespace WsCore.AspNetCore.Tests;

/// <summary>
/// <c>MapWsCore</c> on Kestrel against the runtime's <see cref="ClientWebSocket"/>: over an HTTP/1.1 upgrade (101) and
/// HTTP/2 extended CONNECT (RFC 8441: 200, no key), with and without permessage-deflate (RFC 7692) negotiated by the
/// handshake layer; what happens when the handler returns or throws.
/// </summary>
public class MapWsCoreTests(TestApp app) : IClassFixture<TestApp>
{
    private KestrelServer Server => app.Server;

    public static TheoryData<bool, bool> Http2AndCompression => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Http2AndCompression))]
    public async Task Echo_RoundTrips_TextAndBinary_SmallAndLarge(bool http2, bool compression)
    {
        using ClientWebSocket client = await Server.ConnectAsync("/echo", http2, compression);
        Assert.Equal(http2 ? HttpStatusCode.OK : HttpStatusCode.SwitchingProtocols, client.HttpStatusCode);
        byte[] text = CompressibleText(10);
        Assert.Equal(text, await client.EchoAsync(text, WebSocketMessageType.Text));
        byte[] small = RandomBytes(125, 1);
        Assert.Equal(small, await client.EchoAsync(small, WebSocketMessageType.Binary));
        byte[] big = RandomBytes(1024 * 1024 + 3, 2);
        Assert.Equal(big, await client.EchoAsync(big, WebSocketMessageType.Binary));
        byte[] bigText = CompressibleText(100_000);
        Assert.Equal(bigText, await client.EchoAsync(bigText, WebSocketMessageType.Text));
        Assert.Empty(await client.EchoAsync([], WebSocketMessageType.Binary));
        await client.CloseNormallyAsync();
    }

    [Theory]
    [MemberData(nameof(Http2AndCompression))]
    public async Task Deflate_IsNegotiated_ExactlyWhenBothSidesWantIt(bool http2, bool compression)
    {
        using ClientWebSocket client = await Server.ConnectAsync("/info", http2, compression);
        string[] info = (await client.ReceiveTextAsync()).Split('|');
        Assert.Equal(http2 ? "HTTP/2" : "HTTP/1.1", info[0]);
        Assert.Equal(http2.ToString(), info[1]); // IsExtendedConnect
        Assert.Equal(compression.ToString(), info[2]); // the server connection's IsCompressionEnabled
        Assert.Equal("", info[3]); // no subprotocol
        Assert.Equal(http2 ? "200" : "101", info[4]);
        Assert.Equal(compression.ToString(), info[5]);
        Assert.NotNull(client.HttpResponseHeaders);
        Assert.Equal(compression, client.HttpResponseHeaders.TryGetValue("Sec-WebSocket-Extensions", out IEnumerable<string>? extensions));
        if (compression) Assert.StartsWith("permessage-deflate", extensions!.Single(), StringComparison.Ordinal);
        // HTTP/2 answers without Sec-WebSocket-Accept (RFC 8441 §5), HTTP/1.1 with it.
        Assert.Equal(!http2, client.HttpResponseHeaders.ContainsKey("Sec-WebSocket-Accept"));
        byte[] text = CompressibleText(1000);
        Assert.Equal(text, await client.EchoAsync(text, WebSocketMessageType.Text));
        await client.CloseNormallyAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServerWithoutDeflate_DeclinesTheOffer(bool http2)
    {
        using ClientWebSocket client = await Server.ConnectAsync("/echo-plain", http2, compression: true);
        Assert.False(client.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
        byte[] text = CompressibleText(100);
        Assert.Equal(text, await client.EchoAsync(text, WebSocketMessageType.Text));
        await client.CloseNormallyAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RouteValues_ReachTheHandler(bool http2)
    {
        using ClientWebSocket client = await Server.ConnectAsync("/room/lobby", http2);
        Assert.Equal("lobby", await client.ReceiveTextAsync());
        await client.CloseNormallyAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HandlerThatReturns_ClosesNormally(bool http2)
    {
        using ClientWebSocket client = await Server.ConnectAsync("/returns", http2);
        (WebSocketMessageType type, _) = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HandlerThatThrows_ClosesWith1011(bool http2)
    {
        using ClientWebSocket client = await Server.ConnectAsync("/throws", http2);
        (WebSocketMessageType type, _) = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, client.CloseStatus);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ManyConnections_AtOnce(bool http2)
    {
        ClientWebSocket[] clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Server.ConnectAsync("/echo", http2, compression: true)));
        await Task.WhenAll(clients.Select(async (client, i) =>
        {
            byte[] payload = Encoding.UTF8.GetBytes($"client {i}");
            Assert.Equal(payload, await client.EchoAsync(payload, WebSocketMessageType.Text));
            await client.CloseNormallyAsync();
            client.Dispose();
        }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FragmentedMessage_IsEchoed(bool http2)
    {
        using ClientWebSocket client = await Server.ConnectAsync("/echo", http2, compression: true);
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        Task<(WebSocketMessageType Type, byte[] Data)> receive = client.ReceiveMessageAsync();
        await client.SendAsync(Encoding.UTF8.GetBytes("frag"), WebSocketMessageType.Text, false, cts.Token);
        await client.SendAsync(Encoding.UTF8.GetBytes("ment"), WebSocketMessageType.Text, false, cts.Token);
        await client.SendAsync(Encoding.UTF8.GetBytes("ed"), WebSocketMessageType.Text, true, cts.Token);
        (WebSocketMessageType type, byte[] data) = await receive;
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("fragmented", Encoding.UTF8.GetString(data));
        await client.CloseNormallyAsync();
    }
}
