using WsCore.Closing;

namespace WsCore.Protocol;

/// <summary>The table from each <see cref="ProtocolViolation"/> to the close code RFC 6455 asks for.</summary>
public static class ProtocolViolations
{
    /// <summary>The close code to send when failing the connection for this violation.</summary>
    public static ushort GetCloseCode(ProtocolViolation violation) => violation switch
    {
        ProtocolViolation.None => CloseCodes.NormalClosure,
        ProtocolViolation.InvalidUtf8 or ProtocolViolation.InvalidUtf8CloseReason or ProtocolViolation.InvalidCompressedData => CloseCodes.InvalidPayloadData,
        ProtocolViolation.FrameTooLarge or ProtocolViolation.MessageTooLarge or ProtocolViolation.TooManyFragments => CloseCodes.MessageTooBig,
        _ => CloseCodes.ProtocolError,
    };

    /// <summary>A short English description of the violation, suitable as a close reason (always under 123 bytes of ASCII).</summary>
    public static string GetDescription(ProtocolViolation violation) => violation switch
    {
        ProtocolViolation.None => "",
        ProtocolViolation.ReservedBitsSet => "reserved bits set",
        ProtocolViolation.ReservedOpcode => "reserved opcode",
        ProtocolViolation.FragmentedControlFrame => "fragmented control frame",
        ProtocolViolation.ControlFrameTooLong => "control frame too long",
        ProtocolViolation.UnmaskedFrameFromClient => "unmasked client frame",
        ProtocolViolation.MaskedFrameFromServer => "masked server frame",
        ProtocolViolation.InvalidPayloadLength => "invalid payload length",
        ProtocolViolation.UnexpectedContinuation => "unexpected continuation frame",
        ProtocolViolation.ExpectedContinuation => "expected continuation frame",
        ProtocolViolation.InvalidUtf8 => "invalid UTF-8 in text message",
        ProtocolViolation.InvalidCloseCode => "invalid close code",
        ProtocolViolation.OneByteClosePayload => "one-byte close payload",
        ProtocolViolation.InvalidUtf8CloseReason => "invalid UTF-8 in close reason",
        ProtocolViolation.FrameTooLarge => "frame too large",
        ProtocolViolation.MessageTooLarge => "message too large",
        ProtocolViolation.TooManyFragments => "too many fragments",
        ProtocolViolation.InvalidCompressedData => "invalid compressed data",
        _ => "protocol error",
    };
}
