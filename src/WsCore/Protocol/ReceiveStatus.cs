namespace WsCore.Protocol;

/// <summary>What one call to <see cref="WebSocketProtocol.Receive"/> produced.</summary>
public enum ReceiveStatus
{
    /// <summary>All the input was consumed and no event is complete yet: call again with more bytes.</summary>
    NeedMoreData,
    /// <summary>
    /// Message data was written to the destination (<see cref="ReceiveResult.BytesWritten"/> bytes, possibly 0 for an
    /// empty frame); <see cref="ReceiveResult.EndOfMessage"/> says whether the message is complete.
    /// </summary>
    MessageData,
    /// <summary>A ping arrived; its payload is <see cref="WebSocketProtocol.ControlPayload"/>. A pong is queued when auto-pong is on.</summary>
    Ping,
    /// <summary>A pong arrived; its payload is <see cref="WebSocketProtocol.ControlPayload"/>.</summary>
    Pong,
    /// <summary>
    /// The peer's close frame arrived: see <see cref="WebSocketProtocol.PeerCloseCode"/> and <see cref="WebSocketProtocol.PeerCloseReason"/>.
    /// The reply is queued when auto-close-reply is on. Later input is ignored.
    /// </summary>
    Close,
    /// <summary>
    /// The peer broke the protocol (<see cref="WebSocketProtocol.Violation"/>): the close frame with the matching code is
    /// queued, the connection is <see cref="CloseHandshakeState.Closed"/> and later input is ignored.
    /// </summary>
    ProtocolError,
}
