namespace WsCore.Protocol;

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
    MessageKindMismatch,
    /// <summary>
    /// Nothing was written: the connection's outbound buffer is over its limit because the peer is not reading
    /// (see <c>WebSocketConnectionOptions.BackpressurePolicy</c>); with a closing policy the connection is now closing.
    /// </summary>
    BufferFull,
    /// <summary>
    /// Nothing was written: text given as UTF-16 (a <see cref="string"/> or characters to send as a text message or a
    /// close reason, see <c>WebSocketConnection.SendTextAsync</c>) that is not valid UTF-16, i.e. holds a lone surrogate.
    /// It is refused rather than replaced with U+FFFD, so that what the peer receives is what the caller gave.
    /// </summary>
    InvalidUtf16,
    /// <summary>
    /// Nothing was written: a whole message (a <see cref="PreparedMessage"/>) cannot be sent while a fragmented message
    /// is being sent, since frames of two messages may not interleave (RFC 6455 §5.4); send the last fragment first.
    /// </summary>
    MessageInProgress,
}
