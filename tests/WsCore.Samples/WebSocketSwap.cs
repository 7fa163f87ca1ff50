using System.Net.WebSockets;
using System.Text;
using WsCore.Interop;
using WsCore.Pipelines;

namespace Samples;

/// <summary>
/// Code written against System.Net.WebSockets runs on WsCore unchanged: <see cref="WsCoreWebSocket"/> is a
/// <see cref="WebSocket"/>. Here a client; on a server, ASP.NET Core's <c>context.AcceptWsCoreWebSocketAsync()</c> hands
/// out the same type in place of <c>context.WebSockets.AcceptWebSocketAsync()</c>.
/// </summary>
public static class WebSocketSwap
{
    /// <summary>
    /// Connects to a <c>ws://</c> or <c>wss://</c> URI, in place of <c>new ClientWebSocket()</c> and its
    /// <c>ConnectAsync</c>, and returns a <see cref="WebSocket"/> over WsCore, or null when the server refused.
    /// </summary>
    public static async Task<WebSocket?> ConnectAsync(Uri uri, CancellationToken cancellationToken = default)
    {
        // The counterparts of ClientWebSocketOptions: RequestHeaders (SetRequestHeader), Subprotocols, Proxy, SslOptions...
        var options = new WebSocketClientOptions { RequestHeaders = { { "User-Agent", "samples/1.0" } } };
        try
        {
            return await WsCoreWebSocket.ConnectAsync(uri, options, cancellationToken); // with the subprotocol and compression agreed
        }
        catch (WebSocketException e) when (e.InnerException is WebSocketConnectException { Failure: WebSocketConnectFailure.Handshake })
        {
            // As ClientWebSocket fails (WebSocketError.NotAWebSocket for a 404); the inner exception has StatusCode and Response.
            return null;
        }
    }

    /// <summary>Plain System.Net.WebSockets code: send a text message, read the reply, close.</summary>
    public static async Task<string> SendAndReceiveAsync(WebSocket webSocket, string text, CancellationToken cancellationToken = default)
    {
        await webSocket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        var reply = new MemoryStream();
        byte[] buffer = new byte[4096];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await webSocket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            reply.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        await webSocket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
        return Encoding.UTF8.GetString(reply.ToArray());
    }
}
