namespace WsCore.Pipelines;

/// <summary>The outcome of <see cref="SocketWebSockets.ConnectAsync"/>: the open connection, or why there is none.</summary>
public sealed class WebSocketClientConnection : IAsyncDisposable
{
    internal WebSocketClientConnection(WebSocketConnection? connection, IWebSocketTransport? transport, ClientHandshakeResult? handshake, WebSocketConnectException? error)
    {
        Connection = connection;
        Transport = transport;
        Handshake = handshake;
        Error = error;
    }

    /// <summary>The open connection, or null when connecting or the handshake failed (see <see cref="Error"/>).</summary>
    public WebSocketConnection? Connection { get; }

    /// <summary>
    /// The transport under the connection: a <see cref="SocketDuplexPipe"/> for ws://, a TLS stream's pipes for wss://;
    /// null when there is no connection.
    /// </summary>
    public IWebSocketTransport? Transport { get; }

    /// <summary>The handshake's result (status, subprotocol, extensions), or null when no answer was read.</summary>
    public ClientHandshakeResult? Handshake { get; }

    /// <summary>
    /// Why there is no connection, or null: the step that failed (<see cref="WebSocketConnectException.Failure"/>), the
    /// HTTP status of the server or proxy that refused (<see cref="WebSocketConnectException.StatusCode"/>), the server's answer.
    /// </summary>
    public WebSocketConnectException? Error { get; }

    /// <summary>Why there is no connection, for people (<see cref="Error"/>'s message), or null.</summary>
    public string? Failure => Error?.Message;

    /// <summary>Closes the transport (after the closing handshake, if the application did one) and releases the engine.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Connection is not null) await Connection.DisposeAsync().ConfigureAwait(false);
        if (Transport is not null)
        {
            await Transport.Output.CompleteAsync().ConfigureAwait(false);
            if (Transport is IAsyncDisposable disposable) await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }
}
