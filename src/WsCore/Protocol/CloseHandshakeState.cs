namespace WsCore.Protocol;

/// <summary>The connection's state in the closing handshake (RFC 6455 §7).</summary>
public enum CloseHandshakeState
{
    /// <summary>Data flows both ways.</summary>
    Open,
    /// <summary>This endpoint has sent (or queued) its close frame and waits for the peer's; it still receives data.</summary>
    CloseSent,
    /// <summary>The peer's close frame arrived; this endpoint has not sent its own yet.</summary>
    CloseReceived,
    /// <summary>Both close frames have been exchanged (or the connection was failed): the transport may be closed once pending output is written.</summary>
    Closed,
}
