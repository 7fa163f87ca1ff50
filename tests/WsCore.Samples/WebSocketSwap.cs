using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using WsCore.Handshake;
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
    /// <summary>Connects to a <c>ws://</c> URI and returns a <see cref="WebSocket"/> over WsCore, or null when the server refused.</summary>
    public static async Task<WebSocket?> ConnectAsync(Uri uri, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(uri.Host, uri.Port, cancellationToken);
        var transport = new SocketDuplexPipe(socket); // owns the socket from now on
        var request = new ClientUpgradeRequest { Host = uri.Authority, Target = uri.PathAndQuery };
        ClientHandshakeResult handshake = await PipeHandshake.ConnectAsync(transport, request, cancellationToken: cancellationToken);
        if (!handshake.IsAccepted)
        {
            await transport.DisposeAsync(); // handshake.StatusCode and handshake.Error say why
            return null;
        }
        return WsCoreWebSocket.FromHandshake(transport, handshake); // with the subprotocol and compression agreed
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
