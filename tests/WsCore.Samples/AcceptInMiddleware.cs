using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WsCore.AspNetCore;
using WsCore.Closing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace Samples;

/// <summary>
/// Without endpoint routing: accept in a middleware, as a <see cref="WebSocketConnection"/> or, for existing
/// System.Net.WebSockets code, as a <see cref="WebSocket"/> in place of <c>context.WebSockets.AcceptWebSocketAsync()</c>.
/// </summary>
public static class AcceptInMiddleware
{
    public static void Use(WebApplication app)
    {
        app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            if (!context.IsWsCoreRequest) { await next(context); return; } // plain HTTP on the same paths goes on

            if (context.Request.Path == "/connection")
            {
                WsCoreAcceptResult accepted = await context.AcceptWsCoreAsync();
                if (!accepted.IsAccepted) return; // accepted.StatusCode (400, 403, 426, ...) has been sent
                await using WebSocketConnection connection = accepted.Connection!;
                using ReceivedMessage message = await connection.ReceiveMessageAsync(maxBytes: 4096, context.RequestAborted);
                if (message.Kind == ConnectionReceiveKind.MessageData) await connection.SendAsync(message.Data, message.MessageKind);
                await connection.CloseAsync(CloseCodes.NormalClosure, "one message only");
            }
            else if (context.Request.Path == "/websocket")
            {
                using WebSocket? webSocket = await context.AcceptWsCoreWebSocketAsync();
                if (webSocket is null) return; // refused: context.Response.StatusCode says why
                byte[] buffer = new byte[4096];
                while (true)
                {
                    ValueWebSocketReceiveResult r = await webSocket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        await webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                        break;
                    }
                    await webSocket.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, context.RequestAborted);
                }
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
            }
        });
    }
}
