using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using static WsCore.AspNetCore.Tests.ClientSupport;

namespace WsCore.AspNetCore.Tests;

/// <summary>
/// <c>AcceptWsCoreWebSocketAsync</c>: a <see cref="System.Net.WebSockets.WebSocket"/> over WsCore, served to code
/// written for ManagedWebSocket (receive until Close, answer it with CloseOutputAsync), with permessage-deflate; and
/// <c>IsWsCoreRequest</c> to serve plain HTTP and WebSockets on one path.
/// </summary>
public class AcceptWebSocketTests(TestApp app) : IClassFixture<TestApp>
{
    private KestrelServer Server => app.Server;

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task WebSocket_Echoes_AndClosesLikeManagedWebSocket(bool http2, bool compression)
    {
        using ClientWebSocket client = await Server.ConnectAsync("/ws", http2, compression);
        Assert.Equal(compression, client.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
        byte[] text = CompressibleText(50_000);
        Assert.Equal(text, await client.EchoAsync(text, WebSocketMessageType.Text));
        byte[] binary = RandomBytes(300_000, 3);
        Assert.Equal(binary, await client.EchoAsync(binary, WebSocketMessageType.Binary));
        await client.CloseNormallyAsync();
    }

    [Fact]
    public async Task WebSocket_RefusedRequest_GetsItsStatus()
    {
        using var client = new HttpClient(new SocketsHttpHandler());
        using HttpResponseMessage r = await client.GetAsync(Server.HttpUri("/ws", http2: false));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IsWsCoreRequest_SeparatesWebSocketsFromPlainHttp(bool http2)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.HttpUri("/both", http2))
        {
            Version = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using HttpResponseMessage r = await Server.Invoker.SendAsync(request, CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("plain HTTP", await r.Content.ReadAsStringAsync());

        using ClientWebSocket client = await Server.ConnectAsync("/both", http2);
        Assert.Equal([4, 5], await client.EchoAsync([4, 5], WebSocketMessageType.Binary));
        await client.CloseNormallyAsync();
    }
}
