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
    /// queued, the connection is <see cref="WebSocketState.Closed"/> and later input is ignored.
    /// </summary>
    ProtocolError,
}

/// <summary>The counts and flags that accompany a <see cref="ReceiveStatus"/>.</summary>
public readonly struct ReceiveResult
{
    internal ReceiveResult(int bytesConsumed, int bytesWritten, MessageType messageType, bool endOfMessage)
    {
        BytesConsumed = bytesConsumed;
        BytesWritten = bytesWritten;
        MessageType = messageType;
        EndOfMessage = endOfMessage;
    }

    /// <summary>How many input bytes the call consumed; the caller passes the rest (and anything new) next time.</summary>
    public int BytesConsumed { get; }

    /// <summary>How many payload bytes were written to the destination (for <see cref="ReceiveStatus.MessageData"/>).</summary>
    public int BytesWritten { get; }

    /// <summary>The type of the message the data belongs to (for <see cref="ReceiveStatus.MessageData"/>).</summary>
    public MessageType MessageType { get; }

    /// <summary>True when the data ends its message (for <see cref="ReceiveStatus.MessageData"/>).</summary>
    public bool EndOfMessage { get; }
}

/// <summary>The result of a send call on <see cref="WebSocketProtocol"/>.</summary>
public enum SendStatus
{
    /// <summary>The frame was written.</summary>
    Done,
    /// <summary>Nothing was written: this endpoint has already sent its close frame (or failed the connection).</summary>
    Closed,
    /// <summary>Nothing was written: a control frame payload longer than 125 bytes, or a close reason over 123 bytes.</summary>
    PayloadTooLong,
    /// <summary>Nothing was written: a close code that may not be sent (1005, 1006, 1015, or outside the valid ranges).</summary>
    InvalidCloseCode,
    /// <summary>Nothing was written: a close reason that is not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>Nothing was written: a fragment whose message type differs from the message it continues.</summary>
    MessageTypeMismatch,
    /// <summary>
    /// Nothing was written: the connection's outbound buffer is over its limit because the peer is not reading
    /// (see <c>WebSocketConnectionOptions.BackpressurePolicy</c>); with a closing policy the connection is now closing.
    /// </summary>
    BufferFull,
}
