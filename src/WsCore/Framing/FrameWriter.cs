using System.Buffers;

namespace WsCore.Framing;

/// <summary>
/// Writes whole frames (header and payload, masked when a key is given) into a span or an
/// <see cref="IBufferWriter{T}"/>. It enforces no protocol rule beyond the encoding itself: the
/// connection state machine decides what may be sent.
/// </summary>
public static class FrameWriter
{
    /// <summary>The number of bytes a frame with this payload length takes on the wire.</summary>
    /// <param name="payloadLength">0 to <see cref="long.MaxValue"/> minus the header length (larger frames cannot be measured in a long).</param>
    /// <param name="masked">Whether the frame carries a mask key.</param>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative or the frame's length would not fit a long.</exception>
    public static long GetFrameLength(long payloadLength, bool masked)
    {
        int headerLength = FrameHeader.GetEncodedLength(payloadLength, masked);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, long.MaxValue - headerLength);
        return headerLength + payloadLength;
    }

    /// <summary>Writes one frame into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where to write; needs <see cref="GetFrameLength"/> bytes.</param>
    /// <param name="opcode">The frame's opcode.</param>
    /// <param name="payload">The unmasked payload.</param>
    /// <param name="fin">Whether the frame ends its message.</param>
    /// <param name="reservedBits">RSV1-3 as they sit in the first header byte.</param>
    /// <param name="masked">Whether to mask the payload (a client must, a server must not).</param>
    /// <param name="maskKey">The mask key (see <see cref="MaskKeys.Next"/>); ignored when not masked.</param>
    /// <param name="bytesWritten">The frame's length, or 0 when the destination is too small.</param>
    /// <returns><see cref="OperationStatus.Done"/>, or <see cref="OperationStatus.DestinationTooSmall"/> with nothing written.</returns>
    public static OperationStatus TryWriteFrame(Span<byte> destination, WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fin,
        byte reservedBits, bool masked, uint maskKey, out int bytesWritten)
    {
        int headerLength = FrameHeader.GetEncodedLength(payload.Length, masked);
        if ((long)destination.Length < (long)headerLength + payload.Length)
        {
            bytesWritten = 0;
            return OperationStatus.DestinationTooSmall;
        }
        bytesWritten = WriteUnchecked(destination, opcode, payload, fin, reservedBits, masked, maskKey);
        return OperationStatus.Done;
    }

    /// <summary>Writes one frame into <paramref name="output"/> and advances it.</summary>
    /// <param name="output">The buffer writer; it is asked for the whole frame at once.</param>
    /// <param name="opcode">The frame's opcode.</param>
    /// <param name="payload">The unmasked payload.</param>
    /// <param name="fin">Whether the frame ends its message.</param>
    /// <param name="reservedBits">RSV1-3 as they sit in the first header byte.</param>
    /// <param name="masked">Whether to mask the payload.</param>
    /// <param name="maskKey">The mask key; ignored when not masked.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteFrame(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fin,
        byte reservedBits, bool masked, uint maskKey)
    {
        ArgumentNullException.ThrowIfNull(output);
        int length = FrameHeader.GetEncodedLength(payload.Length, masked) + payload.Length;
        Span<byte> span = output.GetSpan(length);
        int written = WriteUnchecked(span, opcode, payload, fin, reservedBits, masked, maskKey);
        output.Advance(written);
        return written;
    }

    /// <summary>Payloads up to this length are written with one GetSpan/Advance; longer ones by <see cref="WriteLargeFrame"/>, in pieces.</summary>
    internal const int SingleSpanPayloadLength = 16 * 1024;

    /// <summary>
    /// Writes a frame whose payload is long: the header, then the payload in pieces of whatever size the writer offers
    /// (at most <see cref="SingleSpanPayloadLength"/> asked at a time), so the writer never needs a span of the frame's size.
    /// </summary>
    internal static void WriteLargeFrame(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fin,
        bool masked, uint maskKey)
    {
        Span<byte> headerSpan = output.GetSpan(FrameHeader.MaxLength);
        output.Advance(FrameHeader.Write(headerSpan, fin, 0, opcode, payload.Length, masked, maskKey));
        int maskOffset = 0;
        while (!payload.IsEmpty)
        {
            Span<byte> span = output.GetSpan(Math.Min(payload.Length, SingleSpanPayloadLength));
            int n = Math.Min(span.Length, payload.Length);
            if (masked) maskOffset = Masking.Apply(payload.Slice(0, n), span, maskKey, maskOffset);
            else payload.Slice(0, n).CopyTo(span);
            output.Advance(n);
            payload = payload.Slice(n);
        }
    }

    /// <summary>The longest payload <see cref="WriteHeaderInPlace"/> frames: the 16-bit length form's limit.</summary>
    internal const int MaxInPlacePayloadLength = ushort.MaxValue;

    /// <summary>
    /// The room to leave in front of a payload that is produced straight into the output (e.g. by a compressor) and
    /// framed there by <see cref="WriteHeaderInPlace"/>: a header with a 16-bit length, plus the mask key when masked.
    /// </summary>
    internal static int GetInPlaceHeaderReserve(bool masked) => masked ? 8 : 4;

    /// <summary>
    /// Turns a payload already written at <c>span[GetInPlaceHeaderReserve(masked)..]</c> (at most
    /// <see cref="MaxInPlacePayloadLength"/> bytes) into a frame starting at <c>span[0]</c>: writes the header in its
    /// shortest form, moving the payload down when that header is shorter than the room left, and masks the payload in place.
    /// </summary>
    /// <returns>The frame's length.</returns>
    internal static int WriteHeaderInPlace(Span<byte> span, int payloadLength, WebSocketOpcode opcode, bool fin, byte reservedBits,
        bool masked, uint maskKey)
    {
        int reserve = GetInPlaceHeaderReserve(masked);
        int headerLength = FrameHeader.GetEncodedLength(payloadLength, masked);
        if (headerLength < reserve) span.Slice(reserve, payloadLength).CopyTo(span.Slice(headerLength)); // short form: close the gap
        FrameHeader.Write(span, fin, reservedBits, opcode, payloadLength, masked, maskKey);
        if (masked) Masking.Apply(span.Slice(headerLength, payloadLength), maskKey, 0);
        return headerLength + payloadLength;
    }

    internal static int WriteUnchecked(Span<byte> destination, WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fin,
        byte reservedBits, bool masked, uint maskKey)
    {
        int headerLength = FrameHeader.Write(destination, fin, reservedBits, opcode, payload.Length, masked, maskKey);
        Span<byte> body = destination.Slice(headerLength, payload.Length);
        if (masked)
        {
            Masking.Apply(payload, body, maskKey, 0);
        }
        else
        {
            payload.CopyTo(body);
        }
        return headerLength + payload.Length;
    }
}
