using System.Net;
using System.Net.Sockets;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>The outcome of <see cref="SocketWebSockets.ConnectAsync"/>.</summary>
public sealed class WebSocketClientConnection : IAsyncDisposable
{
    internal WebSocketClientConnection(WebSocketConnection? connection, SocketDuplexPipe? transport, ClientHandshakeResult? handshake, string? failure)
    {
        Connection = connection;
        Transport = transport;
        Handshake = handshake;
        Failure = failure;
    }

    /// <summary>The open connection, or null when connecting or the handshake failed.</summary>
    public WebSocketConnection? Connection { get; }

    /// <summary>The socket transport (null when the TCP connection could not be made).</summary>
    public SocketDuplexPipe? Transport { get; }

    /// <summary>The handshake's result (status, subprotocol, extensions), or null when no answer was read.</summary>
    public ClientHandshakeResult? Handshake { get; }

    /// <summary>Why there is no connection, or null.</summary>
    public string? Failure { get; }

    /// <summary>Closes the transport (after the closing handshake, if the application did one) and releases the engine.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Connection is not null) await Connection.DisposeAsync().ConfigureAwait(false);
        if (Transport is not null)
        {
            await Transport.Output.CompleteAsync().ConfigureAwait(false);
            await Transport.DisposeAsync().ConfigureAwait(false);
        }
    }
}
