using System.Buffers;
using System.Buffers.Binary;
using WsCore.Closing;
using WsCore.Framing;

namespace WsCore.Fuzz;

/// <summary>
/// <c>close-payload</c>: <see cref="ClosePayload.Read"/> on arbitrary bytes, checked against the RFC 6455 §5.5.1 / §7.4
/// rules computed independently (length, <see cref="CloseCodes.IsValidOnWire"/>, <see cref="System.Text.Unicode.Utf8.IsValid"/>);
/// a valid payload must be reproduced byte for byte by <see cref="ClosePayload.TryWrite"/>, and TryWrite must refuse
/// exactly what Read refuses.
/// </summary>
public sealed class ClosePayloadTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "close-payload";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        ClosePayloadStatus status = ClosePayload.Read(input, out ushort code, out ReadOnlySpan<byte> reason);
        ClosePayloadStatus expected;
        if (input.Length == 0) expected = ClosePayloadStatus.Valid;
        else if (input.Length == 1) expected = ClosePayloadStatus.OneByte;
        else if (input.Length > FrameHeader.MaxControlPayloadLength) expected = ClosePayloadStatus.TooLong;
        else if (!CloseCodes.IsValidOnWire(BinaryPrimitives.ReadUInt16BigEndian(input))) expected = ClosePayloadStatus.InvalidCode;
        else if (!System.Text.Unicode.Utf8.IsValid(input.Slice(2))) expected = ClosePayloadStatus.InvalidUtf8Reason;
        else expected = ClosePayloadStatus.Valid;
        Oracle.Check(status == expected, "Read returned " + status + ", expected " + expected);

        if (input.Length == 0)
        {
            Oracle.Check(code == CloseCodes.NoStatusReceived && reason.IsEmpty, "empty payload must read as 1005 with no reason");
            return;
        }
        if (input.Length >= 2) Oracle.Check(code == BinaryPrimitives.ReadUInt16BigEndian(input), "code {0}", code);
        if (status != ClosePayloadStatus.Valid) return;

        Oracle.Check(CloseCodes.IsValidToSend(code), "a valid received code {0} may not be sent back", code);
        Oracle.Equal(input.Slice(2), reason, "reason");
        Span<byte> buffer = stackalloc byte[FrameHeader.MaxControlPayloadLength + 8];
        Oracle.Check(ClosePayload.TryWrite(buffer.Slice(0, input.Length - 1), code, reason, out int w0) == OperationStatus.DestinationTooSmall && w0 == 0,
            "TryWrite into a too-small destination");
        Oracle.Check(ClosePayload.TryWrite(buffer, code, reason, out int written) == OperationStatus.Done, "TryWrite refused a payload Read accepted");
        Oracle.Equal(input, buffer.Slice(0, written), "TryWrite round trip");

        // TryWrite must refuse the same code with a reason one byte too long, and an invalid code with this reason.
        if (input.Length == FrameHeader.MaxControlPayloadLength)
        {
            byte[] longer = new byte[ClosePayload.MaxReasonLength + 1];
            reason.CopyTo(longer);
            longer[^1] = (byte)'x';
            Oracle.Check(ClosePayload.TryWrite(buffer, code, longer, out int wl) == OperationStatus.InvalidData && wl == 0, "TryWrite accepted a 124-byte reason");
        }
        Oracle.Check(ClosePayload.TryWrite(buffer, CloseCodes.NoStatusReceived, reason, out int wi) == OperationStatus.InvalidData && wi == 0, "TryWrite accepted 1005");
    }
}
