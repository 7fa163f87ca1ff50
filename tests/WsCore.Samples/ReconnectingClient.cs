using WsCore.Closing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace Samples;

/// <summary>A client that stays connected: it reconnects with backoff when the close code says to, and stops when not.</summary>
public static class ReconnectingClient
{
    /// <summary>
    /// Runs <paramref name="session"/> on each connection; returns the close code that ended it for good, or the HTTP
    /// status of an opening handshake the server refused (e.g. 404).
    /// </summary>
    public static async Task<int> RunAsync(Uri uri, Func<WebSocketConnection, CancellationToken, Task> session,
        CancellationToken cancellationToken = default)
    {
        var options = new WebSocketClientOptions
        {
            Connection = new WebSocketConnectionOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) }, // a dead server is noticed
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        int attempt = 0;
        while (true)
        {
            int code;
            await using (WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(uri, options, cancellationToken))
            {
                if (client.Connection is WebSocketConnection connection)
                {
                    attempt = 0; // connected: a later failure starts the backoff from the beginning
                    await session(connection, cancellationToken);
                    // The peer's close code, or 1006 when the connection ended without one (network loss, keep-alive timeout).
                    code = connection.PeerCloseCode != 0 ? connection.PeerCloseCode : CloseCodes.AbnormalClosure;
                }
                else if (client.Handshake is { IsAccepted: false })
                {
                    return client.Handshake.StatusCode; // the server answered and refused (client.Failure says why): retrying will not help
                }
                else
                {
                    code = CloseCodes.AbnormalClosure; // no TCP connection or no answer in time: worth retrying
                }
            }
            // 1000 (done), 1002/1003/1007/1008/1009/1010 (stop and report): stop. 1001, 1006, 1011-1014: reconnect.
            if (!CloseCodeGuidance.ShouldReconnect(code)) return code;
            // Exponential backoff with full jitter: uniform in [0, min(30 s, 100 ms * 2^attempt)).
            await Task.Delay(ReconnectBackoff.GetDelay(attempt++, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30)), cancellationToken);
        }
    }

    /// <summary>A session: say hello, then print what the server sends until it closes.</summary>
    public static async Task PrintMessagesAsync(WebSocketConnection connection, CancellationToken cancellationToken)
    {
        if (await connection.SendTextAsync("hello", cancellationToken) != SendStatus.Done) return;
        while (true)
        {
            using ReceivedMessage message = await connection.ReceiveMessageAsync(cancellationToken);
            if (message.Kind != ConnectionReceiveKind.MessageData)
            {
                Console.WriteLine($"closed: {message.CloseCode} {message.CloseReason} ({CloseCodeGuidance.GetDescription(message.CloseCode)})");
                return;
            }
            Console.WriteLine(message.MessageKind == MessageKind.Text ? message.GetText() : $"{message.Length} bytes");
        }
    }
}
