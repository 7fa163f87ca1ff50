using System.Buffers;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;
using static WsCore.AspNetCore.Tests.ClientSupport;

namespace WsCore.AspNetCore.Tests;

/// <summary>The README's ASP.NET Core example, as written there (between the builder and <c>app.Run()</c>), served and used.</summary>
public class ReadmeExampleTests
{
    private static void Readme(WebApplication app)
    {
        var options = new WsCoreAcceptOptions
        {
            Connection = new WebSocketConnectionOptions
            {
                Protocol = new WebSocketProtocolOptions { PerMessageDeflate = new PerMessageDeflateOptions { Enabled = true } },
                KeepAliveInterval = TimeSpan.FromSeconds(30),
            },
            AllowedOrigins = ["https://example.com"],          // browsers from elsewhere get 403
            Policy = request => request.OffersSubprotocol("chat.v1")
                ? ServerHandshakeDecision.Accept("chat.v1")
                : ServerHandshakeDecision.Reject(400, "This endpoint speaks chat.v1."),
        };

        app.MapWsCore("/chat", async (WebSocketConnection connection, HttpContext context) =>
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                while (true)
                {
                    ConnectionReceiveResult r = await connection.ReceiveAsync(buffer);
                    if (r.Kind != ConnectionReceiveKind.MessageData) break; // closed (the engine answered), failed or aborted
                    // r.Count bytes of an r.MessageKind message, r.EndOfMessage on its last piece: echo them.
                    if (await connection.SendAsync(buffer.AsMemory(0, r.Count), r.MessageKind, r.EndOfMessage) != SendStatus.Done) break;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }, options);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheExample_Serves_ABrowserFromItsOrigin(bool http2)
    {
        await using KestrelServer server = await KestrelServer.StartAsync(Readme);
        using ClientWebSocket client = await server.ConnectAsync("/chat", http2, compression: true, o =>
        {
            o.AddSubProtocol("chat.v1");
            o.SetRequestHeader("Origin", "https://example.com");
        });
        Assert.Equal("chat.v1", client.SubProtocol);
        Assert.True(client.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
        byte[] big = CompressibleText(20_000); // larger than the 16 KiB buffer: echoed piece by piece
        Assert.Equal(big, await client.EchoAsync(big, WebSocketMessageType.Text));
        await client.CloseNormallyAsync();

        await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectAsync("/chat", http2, configure: o =>
        {
            o.AddSubProtocol("chat.v1");
            o.SetRequestHeader("Origin", "https://elsewhere.example");
        }));
    }
}
