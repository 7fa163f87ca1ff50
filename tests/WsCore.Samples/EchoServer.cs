using System.Net;
using WsCore.Closing;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace Samples;

/// <summary>A WebSocket echo server on raw sockets: no ASP.NET Core, no HttpListener.</summary>
public static class EchoServer
{
    public static Task RunAsync(IPEndPoint endpoint, Action<IPEndPoint>? onListening = null, CancellationToken cancellationToken = default)
    {
        var options = new WebSocketServerOptions
        {
            Connection = new WebSocketConnectionOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) },
            // Accept only requests for /echo (404 otherwise); subprotocols and Origin can be checked here too.
            Policy = request => request.Path == "/echo"
                ? ServerHandshakeDecision.Accept()
                : ServerHandshakeDecision.Reject(404, "Try /echo."),
        };
        // Each connection runs the handler on its own task; the connection is closed when it returns.
        return SocketWebSockets.RunServerAsync(endpoint, EchoAsync, options, onListening, cancellationToken);
    }

    private static async Task EchoAsync(WebSocketConnection connection, HandshakeRequest request)
    {
        while (true)
        {
            // The whole message, in pooled memory: dispose it when done (0 B allocated per message).
            using ReceivedMessage message = await connection.ReceiveMessageAsync(maxBytes: 1024 * 1024);
            if (message.Kind != ConnectionReceiveKind.MessageData) return; // the peer closed (answered), failed (1009 over 1 MiB), or vanished
            if (message.MessageKind == MessageKind.Text && message.GetText() == "bye")
            {
                await connection.CloseAsync(CloseCodes.NormalClosure, "bye to you too");
                return;
            }
            if (await connection.SendAsync(message.Data, message.MessageKind) != SendStatus.Done) return;
        }
    }
}
