namespace WsCore.Protocol;

/// <summary>
/// Where <see cref="WebSocketProtocol"/>'s receive side is. Each phase has one method that reads it (in
/// <c>WebSocketProtocol.Receive.cs</c> and, for compressed messages, <c>.Deflate.cs</c>), and that method names the
/// phase that follows.
/// </summary>
/// <remarks>
/// <code>
///   Header ─┬─ control frame ─▶ ControlPayload ─┬─ ping, pong ─▶ Header
///           │                                   └─ close ──────▶ Closed
///           ├─ data frame ────▶ DataPayload ─────── frame read ─▶ Header
///           └─ frame of a compressed message ─▶ CompressedPayload ── frame inflated ─▶ Header
///   any phase ── violation (FrameRules.Check, UTF-8, inflate, close payload) ─▶ Closed (later input is ignored)
/// </code>
/// Whether a message is open across frames is not a phase but part of the <see cref="ReceiveContext"/> the frame rules
/// read: control frames may come between a message's fragments. The fast path (a whole small message in one frame)
/// reads only in <see cref="Header"/> with no header bytes held and no message open, and leaves the phase there.
/// </remarks>
internal enum ReceivePhase : byte
{
    /// <summary>Between frames: the next bytes are a frame header, or the rest of one the <see cref="Framing.FrameReader"/> holds (<c>TryReceiveHeader</c>).</summary>
    Header = 0, // 0: the fast path tests "Header, nothing held, no message open" with one OR
    /// <summary>Reading a ping, pong or close payload (at most 125 bytes) into the control buffer (<c>ReceiveControlPayload</c>).</summary>
    ControlPayload,
    /// <summary>Reading an uncompressed text or binary frame's payload into the caller's destination (<c>ReceiveDataPayload</c>).</summary>
    DataPayload,
    /// <summary>Reading a frame of a compressed message (RFC 7692): unmask into the inflate buffer, inflate into the destination (<c>ReceiveCompressedPayload</c>).</summary>
    CompressedPayload,
    /// <summary>Receiving is over: the peer's close frame arrived or the connection was failed. Input is consumed and ignored.</summary>
    Closed,
}
