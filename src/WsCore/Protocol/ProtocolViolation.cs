using WsCore.Closing;

namespace WsCore.Protocol;

/// <summary>Every way a peer can break RFC 6455 (or this endpoint's limits). <see cref="ProtocolViolations"/> maps each to its close code.</summary>
public enum ProtocolViolation
{
    /// <summary>No violation.</summary>
    None = 0,
    /// <summary>RSV1, RSV2 or RSV3 set without an extension that defines it, or RSV1 where permessage-deflate does not allow it (§5.2, RFC 7692 §6).</summary>
    ReservedBitsSet,
    /// <summary>A reserved opcode (3-7, 11-15) (§5.2).</summary>
    ReservedOpcode,
    /// <summary>A control frame without FIN (§5.5).</summary>
    FragmentedControlFrame,
    /// <summary>A control frame with more than 125 bytes of payload (§5.5).</summary>
    ControlFrameTooLong,
    /// <summary>A client sent an unmasked frame to a server (§5.1).</summary>
    UnmaskedFrameFromClient,
    /// <summary>A server sent a masked frame to a client (§5.1).</summary>
    MaskedFrameFromServer,
    /// <summary>A 64-bit payload length with its most significant bit set (§5.2).</summary>
    InvalidPayloadLength,
    /// <summary>A continuation frame with no message in progress (§5.4).</summary>
    UnexpectedContinuation,
    /// <summary>A new text or binary frame while a fragmented message is still in progress (§5.4).</summary>
    ExpectedContinuation,
    /// <summary>A text message that is not valid UTF-8 (§8.1).</summary>
    InvalidUtf8,
    /// <summary>A close frame with a code that may not appear on the wire (§7.4).</summary>
    InvalidCloseCode,
    /// <summary>A close frame whose payload is exactly one byte (§5.5.1).</summary>
    OneByteClosePayload,
    /// <summary>A close frame whose reason is not valid UTF-8 (§5.5.1).</summary>
    InvalidUtf8CloseReason,
    /// <summary>A frame whose payload is longer than the configured maximum.</summary>
    FrameTooLarge,
    /// <summary>A message longer than the configured maximum (after decompression, when compressed).</summary>
    MessageTooLarge,
    /// <summary>A message split into more fragments than the configured maximum.</summary>
    TooManyFragments,
    /// <summary>A compressed message whose deflate data is corrupt (RFC 7692).</summary>
    InvalidCompressedData,
}
