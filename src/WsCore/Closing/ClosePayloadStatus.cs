using System.Buffers;
using System.Buffers.Binary;
using WsCore.Framing;
using WsCore.Text;

namespace WsCore.Closing;

/// <summary>The result of decoding a close frame's payload (RFC 6455 §5.5.1).</summary>
public enum ClosePayloadStatus
{
    /// <summary>The payload is valid: empty (no code, read as 1005) or a valid code and a UTF-8 reason.</summary>
    Valid,
    /// <summary>The payload is one byte long: a protocol error (1002).</summary>
    OneByte,
    /// <summary>The code may not appear on the wire: a protocol error (1002).</summary>
    InvalidCode,
    /// <summary>The reason is not valid UTF-8: invalid payload data (1007).</summary>
    InvalidUtf8Reason,
    /// <summary>The payload is longer than a control frame may be (125 bytes); for <see cref="ClosePayload.CheckOutgoing"/>, the reason is over <see cref="ClosePayload.MaxReasonLength"/> bytes.</summary>
    TooLong,
}
