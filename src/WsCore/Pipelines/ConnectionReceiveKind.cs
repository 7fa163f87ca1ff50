using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>What <see cref="WebSocketConnection.ReceiveAsync"/> returned.</summary>
public enum ConnectionReceiveKind
{
    /// <summary>Message data was written into the buffer.</summary>
    MessageData,
    /// <summary>
    /// The peer closed the WebSocket (its code is in <see cref="ConnectionReceiveResult.CloseCode"/>). With
    /// <see cref="WebSocketProtocolOptions.AutoCloseReply"/> the reply was sent (state Closed); without it the state is
    /// CloseReceived until the application answers with <see cref="WebSocketConnection.CloseOutputAsync(ushort, ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// </summary>
    Close,
    /// <summary>The peer broke the protocol; the close frame with <see cref="ConnectionReceiveResult.CloseCode"/> was sent and the transport closed.</summary>
    ProtocolError,
    /// <summary>The transport ended without a closing handshake (close code 1006), or the connection was aborted.</summary>
    Aborted,
}
