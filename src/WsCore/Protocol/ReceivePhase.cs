namespace WsCore.Protocol;

/// <summary>
/// Where <see cref="WebSocketProtocol"/>'s receive side is: each phase has one method that reads it
/// (<c>WebSocketProtocol.Receive…</c>), and each method names the phase that follows.
/// </summary>
/// <remarks>
/// <code>
///   Header ──valid control header──▶ ControlPayload ──ping, pong──▶ Header
///      │                                   └──────────close───────▶ Closed
///      ├──valid data header────────────▶ DataPayload ──frame read──▶ Header
///      ├──valid header, compressed msg─▶ CompressedPayload ──frame inflated──▶ Header
///      └──violation (in any phase)─────▶ Closed (later input is ignored)
/// </code>
/// Whether a message is open across frames is not a phase but part of the <see cref="ReceiveContext"/> the frame
/// rules read: control frames may come between its fragments.
/// </remarks>
internal enum ReceivePhase : byte
{
    /// <summary>Between frames: the next bytes are a frame header (possibly the rest of one held by the <see cref="Framing.FrameReader"/>).</summary>
    Header,
    /// <summary>Reading a ping, pong or close payload (at most 125 bytes) into the control buffer.</summary>
    ControlPayload,
    /// <summary>Reading an uncompressed text or binary frame's payload into the caller's destination.</summary>
    DataPayload,
    /// <summary>Reading a frame of a compressed message (RFC 7692): unmask into the inflate buffer, inflate into the destination.</summary>
    CompressedPayload,
    /// <summary>Receiving is over: the peer's close frame arrived or the connection was failed. Input is consumed and ignored.</summary>
    Closed,
}
