using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WsCore.AspNetCore;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace Samples;

/// <summary>
/// WebSockets in an ASP.NET Core app with endpoint routing, over HTTP/1.1 upgrade and HTTP/2 extended CONNECT.
/// Program.cs: <c>var app = WebApplication.CreateBuilder(args).Build(); ChatEndpoints.Map(app); app.Run();</c>
/// </summary>
public static class ChatEndpoints
{
    public static void Map(WebApplication app)
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
            while (true)
            {
                using ReceivedMessage message = await connection.ReceiveMessageAsync(maxBytes: 64 * 1024, context.RequestAborted);
                if (message.Kind != ConnectionReceiveKind.MessageData) break; // closed (the engine answered), failed or aborted
                if (message.MessageKind != MessageKind.Text) continue;
                string reply = $"{context.User.Identity?.Name ?? "anonymous"} said: {message.GetText()}";
                if (await connection.SendTextAsync(reply, context.RequestAborted) != SendStatus.Done) break;
            }
            // Returning closes a connection left open (1000; 1011 if the handler threw) and disposes it.
        }, options);
    }
}
