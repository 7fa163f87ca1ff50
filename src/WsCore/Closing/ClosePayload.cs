using System.Buffers;
using System.Buffers.Binary;
using WsCore.Framing;
using WsCore.Text;

namespace WsCore.Closing;

/// <summary>Reads and writes close frame payloads: a 2-byte big-endian code and an optional UTF-8 reason.</summary>
public static class ClosePayload
{
    /// <summary>The longest reason that fits a control frame: 125 - 2 bytes.</summary>
    public const int MaxReasonLength = FrameHeader.MaxControlPayloadLength - 2;

    /// <summary>Decodes and validates a close payload.</summary>
    /// <param name="payload">The unmasked payload of a close frame.</param>
    /// <param name="code">The code; <see cref="CloseCodes.NoStatusReceived"/> for an empty payload.</param>
    /// <param name="reason">The UTF-8 reason (empty if none); meaningful only when the result is <see cref="ClosePayloadStatus.Valid"/>.</param>
    public static ClosePayloadStatus Read(ReadOnlySpan<byte> payload, out ushort code, out ReadOnlySpan<byte> reason)
    {
        reason = default;
        if (payload.Length == 0)
        {
            code = CloseCodes.NoStatusReceived;
            return ClosePayloadStatus.Valid;
        }
        if (payload.Length == 1)
        {
            code = 0;
            return ClosePayloadStatus.OneByte;
        }
        code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (payload.Length > FrameHeader.MaxControlPayloadLength) return ClosePayloadStatus.TooLong;
        if (!CloseCodes.IsValidOnWire(code)) return ClosePayloadStatus.InvalidCode;
        ReadOnlySpan<byte> r = payload.Slice(2);
        if (!Utf8Validator.IsValid(r)) return ClosePayloadStatus.InvalidUtf8Reason;
        reason = r;
        return ClosePayloadStatus.Valid;
    }

    /// <summary>
    /// Checks what this endpoint is about to send in a close frame (the rule <see cref="TryWrite"/> applies): a code that
    /// may be sent (<see cref="CloseCodes.IsValidToSend"/>), a reason of at most <see cref="MaxReasonLength"/> bytes, valid UTF-8.
    /// </summary>
    /// <param name="code">The code.</param>
    /// <param name="reason">The UTF-8 reason (empty if none).</param>
    /// <returns><see cref="ClosePayloadStatus.Valid"/>; else the first rule broken: <see cref="ClosePayloadStatus.InvalidCode"/>,
    /// <see cref="ClosePayloadStatus.TooLong"/> (the reason), or <see cref="ClosePayloadStatus.InvalidUtf8Reason"/>.</returns>
    public static ClosePayloadStatus CheckOutgoing(ushort code, ReadOnlySpan<byte> reason)
    {
        if (!CloseCodes.IsValidToSend(code)) return ClosePayloadStatus.InvalidCode;
        if (reason.Length > MaxReasonLength) return ClosePayloadStatus.TooLong;
        return Utf8Validator.IsValid(reason) ? ClosePayloadStatus.Valid : ClosePayloadStatus.InvalidUtf8Reason;
    }

    /// <summary>Encodes a close payload.</summary>
    /// <param name="destination">Where to write; 2 + reason length bytes.</param>
    /// <param name="code">A code for which <see cref="CloseCodes.IsValidToSend"/> is true.</param>
    /// <param name="reason">A UTF-8 reason of at most <see cref="MaxReasonLength"/> bytes.</param>
    /// <param name="bytesWritten">The payload's length, or 0 on failure.</param>
    /// <returns><see cref="OperationStatus.Done"/>; <see cref="OperationStatus.InvalidData"/> when <see cref="CheckOutgoing"/>
    /// refuses the code or reason (it says which rule); <see cref="OperationStatus.DestinationTooSmall"/>.</returns>
    public static OperationStatus TryWrite(Span<byte> destination, ushort code, ReadOnlySpan<byte> reason, out int bytesWritten)
    {
        bytesWritten = 0;
        if (CheckOutgoing(code, reason) != ClosePayloadStatus.Valid) return OperationStatus.InvalidData;
        if (destination.Length < 2 + reason.Length) return OperationStatus.DestinationTooSmall;
        bytesWritten = WriteChecked(destination, code, reason);
        return OperationStatus.Done;
    }

    /// <summary>Encodes a payload <see cref="CheckOutgoing"/> accepted into a destination of at least 2 + reason length bytes.</summary>
    internal static int WriteChecked(Span<byte> destination, ushort code, ReadOnlySpan<byte> reason)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, code);
        reason.CopyTo(destination.Slice(2));
        return 2 + reason.Length;
    }
}
