using System.Net;
using System.Net.WebSockets;

namespace WsCore.AspNetCore.Tests;

/// <summary>
/// The policy and the Origin list of <see cref="WsCoreAcceptOptions"/>: subprotocol selection (the server's preference
/// among the client's offers, checked by the handshake layer), rejections with the policy's status, Origins (403).
/// </summary>
public class AcceptPolicyTests(TestApp app) : IClassFixture<TestApp>
{
    private KestrelServer Server => app.Server;

    [Theory]
    [InlineData(false, new[] { "chat.v1", "chat.v2" }, "chat.v2")]
    [InlineData(true, new[] { "chat.v1", "chat.v2" }, "chat.v2")]
    [InlineData(false, new[] { "other", "chat.v1" }, "chat.v1")]
    [InlineData(true, new[] { "other", "chat.v1" }, "chat.v1")]
    public async Task Subprotocol_IsThePolicysChoice(bool http2, string[] offered, string chosen)
    {
        using ClientWebSocket client = await Server.ConnectAsync("/chat", http2, compression: true, o =>
        {
            foreach (string s in offered) o.AddSubProtocol(s);
        });
        Assert.Equal(chosen, client.SubProtocol);
        string[] info = (await client.ReceiveTextAsync()).Split('|');
        Assert.Equal(chosen, info[3]);
        Assert.Equal("True", info[2]); // and permessage-deflate beside it
        await client.CloseNormallyAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NoAcceptableSubprotocol_IsThePolicysStatus(bool http2)
    {
        await Assert.ThrowsAsync<WebSocketException>(() => Server.ConnectAsync("/chat", http2, configure: o => o.AddSubProtocol("other")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PolicyRejection_IsItsStatus_AndAcceptanceWorks(bool http2)
    {
        var rejected = new ClientWebSocket();
        rejected.Options.CollectHttpResponseDetails = true;
        if (http2)
        {
            rejected.Options.HttpVersion = HttpVersion.Version20;
            rejected.Options.HttpVersionPolicy = System.Net.Http.HttpVersionPolicy.RequestVersionExact;
        }
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        await Assert.ThrowsAsync<WebSocketException>(() => rejected.ConnectAsync(Server.WebSocketUri("/private", http2), Server.Invoker, cts.Token));
        Assert.Equal(HttpStatusCode.Forbidden, rejected.HttpStatusCode);
        rejected.Dispose();

        using ClientWebSocket accepted = await Server.ConnectAsync("/private?token=secret", http2);
        Assert.Equal([1, 2, 3], await accepted.EchoAsync([1, 2, 3], WebSocketMessageType.Binary));
        await accepted.CloseNormallyAsync();
    }

    [Theory]
    [InlineData(false, "https://good.example", true)]
    [InlineData(true, "https://good.example", true)]
    [InlineData(false, "HTTPS://GOOD.EXAMPLE", true)]
    [InlineData(false, "https://evil.example", false)]
    [InlineData(true, "https://evil.example", false)]
    [InlineData(false, null, true)] // non-browser clients send no Origin
    public async Task AllowedOrigins_Refuse_OtherOrigins_With403(bool http2, string? origin, bool allowed)
    {
        Action<ClientWebSocketOptions> configure = o =>
        {
            if (origin is not null) o.SetRequestHeader("Origin", origin);
        };
        if (allowed)
        {
            using ClientWebSocket client = await Server.ConnectAsync("/origin", http2, configure: configure);
            Assert.Equal([7], await client.EchoAsync([7], WebSocketMessageType.Binary));
            await client.CloseNormallyAsync();
            return;
        }
        var refused = new ClientWebSocket();
        refused.Options.CollectHttpResponseDetails = true;
        configure(refused.Options);
        if (http2)
        {
            refused.Options.HttpVersion = HttpVersion.Version20;
            refused.Options.HttpVersionPolicy = System.Net.Http.HttpVersionPolicy.RequestVersionExact;
        }
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(Server.WebSocketUri("/origin", http2), Server.Invoker, cts.Token));
        Assert.Equal(HttpStatusCode.Forbidden, refused.HttpStatusCode);
        refused.Dispose();
    }
}
