namespace WsCore.Protocol;

/// <summary>Which end of the connection this endpoint is: it decides the masking rules (RFC 6455 §5.1).</summary>
public enum WebSocketRole
{
    /// <summary>The server: receives masked frames, sends unmasked ones, closes the TCP connection first.</summary>
    Server,
    /// <summary>The client: receives unmasked frames, sends masked ones.</summary>
    Client,
}

/// <summary>The type of a data message.</summary>
public enum MessageType : byte
{
    /// <summary>UTF-8 text (opcode 0x1).</summary>
    Text = 1,
    /// <summary>Binary data (opcode 0x2).</summary>
    Binary = 2,
}

/// <summary>The connection's state in the closing handshake (RFC 6455 §7).</summary>
public enum WebSocketState
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
