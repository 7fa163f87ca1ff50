using System.Buffers;
using WsCore.Framing;

namespace WsCore.Fuzz;

/// <summary>
/// <c>frame-header</c>: <see cref="FrameHeader.TryRead"/> on arbitrary bytes. Checks: the result is stable under
/// every shorter prefix (NeedMoreData until the header is complete) and under extra bytes after it; consumed bytes
/// never exceed the input; re-encoding with <see cref="FrameHeader.TryWrite"/> reproduces the input when it used the
/// minimal length form, and otherwise decodes back to the same header; and the rest of the input, written as a whole
/// frame with <see cref="FrameWriter.TryWriteFrame"/> under this header's mask, reads back unchanged; and
/// <see cref="FrameReader"/> fed the input in two pieces, split anywhere, gives the same answer and header.
/// </summary>
public sealed class FrameHeaderTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "frame-header";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        OperationStatus status = FrameHeader.TryRead(input, out FrameHeader header, out int consumed);
        Oracle.Check(status is OperationStatus.Done or OperationStatus.NeedMoreData or OperationStatus.InvalidData, "TryRead returned {0}", status);
        Oracle.Check(consumed >= 0 && consumed <= input.Length, "TryRead consumed {0} bytes", consumed);
        int wireLength = WireHeaderLength(input);
        if (status != OperationStatus.Done)
        {
            Oracle.Check(consumed == 0, "TryRead consumed bytes without Done");
            if (status == OperationStatus.NeedMoreData)
                Oracle.Check(input.Length < wireLength, "NeedMoreData with a complete header of {0} bytes", wireLength);
            else
                Oracle.Check(input.Length >= wireLength && (input[1] & 0x7F) == 127 && (input[2] & 0x80) != 0, "InvalidData for a header that is not a 64-bit length with its top bit set");
        }
        else
        {
            Oracle.Check(consumed == wireLength, "TryRead consumed {0} bytes, the header's own encoding says otherwise", consumed);
            CheckFields(input, header);
        }

        // Prefix stability: a shorter prefix of a complete header needs more data; every prefix gives the same answer once complete.
        int limit = Math.Min(input.Length, FrameHeader.MaxLength + 1);
        for (int k = 0; k < limit; k++)
        {
            OperationStatus s = FrameHeader.TryRead(input.Slice(0, k), out FrameHeader h, out int c);
            if (k < wireLength)
            {
                Oracle.Check(s == OperationStatus.NeedMoreData && c == 0, "prefix of {0} bytes did not need more data", k);
            }
            else
            {
                Oracle.Check(s == status && c == consumed, "prefix of {0} bytes changed the result", k);
                if (s == OperationStatus.Done) Oracle.Check(SameHeader(h, header), "prefix of {0} bytes changed the header", k);
            }
        }
        CheckSplitReads(input, status, header, consumed);
        if (status != OperationStatus.Done) return;

        // Re-encode.
        Span<byte> encoded = stackalloc byte[FrameHeader.MaxLength];
        Oracle.Check(header.TryWrite(encoded.Slice(0, header.EncodedLength - 1), out int w0) == OperationStatus.DestinationTooSmall && w0 == 0,
            "TryWrite into a too-small destination");
        Oracle.Check(header.TryWrite(encoded, out int written) == OperationStatus.Done, "TryWrite failed");
        Oracle.Check(written == header.EncodedLength && written <= FrameHeader.MaxLength, "TryWrite wrote {0} bytes", written);
        bool minimal = written == consumed;
        if (minimal)
        {
            Oracle.Equal(input.Slice(0, consumed), encoded.Slice(0, written), "minimal header re-encoding");
        }
        else
        {
            Oracle.Check(written < consumed, "re-encoding is longer than a non-minimal input");
        }
        Oracle.Check(FrameHeader.TryRead(encoded.Slice(0, written), out FrameHeader back, out int backConsumed) == OperationStatus.Done
            && backConsumed == written && SameHeader(back, header), "re-encoded header does not read back");

        // A whole frame with the rest of the input as payload, under this header's flags and mask.
        ReadOnlySpan<byte> payload = input.Slice(consumed);
        byte[] frame = new byte[FrameWriter.GetFrameLength(payload.Length, header.IsMasked)];
        Oracle.Check(FrameWriter.TryWriteFrame(frame.AsSpan(0, frame.Length - 1), header.Opcode, payload, header.Fin, header.ReservedBits,
            header.IsMasked, header.MaskKey, out int tooSmall) == OperationStatus.DestinationTooSmall && tooSmall == 0, "TryWriteFrame into a too-small destination");
        Oracle.Check(FrameWriter.TryWriteFrame(frame, header.Opcode, payload, header.Fin, header.ReservedBits, header.IsMasked, header.MaskKey,
            out int frameLength) == OperationStatus.Done && frameLength == frame.Length, "TryWriteFrame failed");
        Oracle.Check(FrameHeader.TryRead(frame, out FrameHeader fh, out int fhLength) == OperationStatus.Done, "written frame header does not read");
        Oracle.Check(fh.PayloadLength == payload.Length && fh.Fin == header.Fin && fh.Opcode == header.Opcode && fh.ReservedBits == header.ReservedBits
            && fh.IsMasked == header.IsMasked && fh.MaskKey == header.MaskKey, "written frame header differs");
        Span<byte> body = frame.AsSpan(fhLength);
        Oracle.Check(body.Length == payload.Length, "written frame has {0} payload bytes", body.Length);
        if (fh.IsMasked)
        {
            // Unmask in uneven pieces to exercise the carried mask offset.
            int offset = 0, start = 0, piece = 1;
            while (start < body.Length)
            {
                int n = Math.Min(piece, body.Length - start);
                offset = Masking.Apply(body.Slice(start, n), fh.MaskKey, offset);
                start += n;
                piece = piece * 2 + 1;
            }
            Oracle.Check(offset == (body.Length & 3), "mask offset after the payload is {0}", offset);
        }
        Oracle.Equal(payload, body, "frame payload round trip");
    }

    /// <summary>
    /// <see cref="FrameReader"/> given the first k bytes, then the rest (for every k up to one past the longest header):
    /// the same answer and header as <see cref="FrameHeader.TryRead"/> on the whole input, the bytes held in between.
    /// </summary>
    private static void CheckSplitReads(ReadOnlySpan<byte> input, OperationStatus status, FrameHeader header, int consumed)
    {
        int limit = Math.Min(input.Length, FrameHeader.MaxLength + 1);
        for (int k = 0; k <= limit; k++)
        {
            var reader = new FrameReader();
            OperationStatus s = reader.TryRead(input.Slice(0, k), out FrameHeader h, out int c);
            int total = c;
            if (s == OperationStatus.NeedMoreData)
            {
                Oracle.Check(c == k && reader.BufferedLength == k, "FrameReader split at {0} did not hold the first piece", k);
                s = reader.TryRead(input.Slice(k), out h, out c);
                total = k + c;
            }
            Oracle.Check(s == status, "FrameReader split at {0} answered differently", k);
            if (s == OperationStatus.Done)
            {
                Oracle.Check(total == consumed && SameHeader(h, header) && reader.BufferedLength == 0, "FrameReader split at {0} changed the header", k);
            }
            else if (s == OperationStatus.NeedMoreData)
            {
                Oracle.Check(c == input.Length - k && reader.BufferedLength == input.Length, "FrameReader split at {0} did not hold all the bytes", k);
            }
            else
            {
                Oracle.Check(c == 0 && reader.BufferedLength == 0, "FrameReader split at {0}: invalid header left bytes held", k);
            }
        }
    }

    /// <summary>The header length the first two bytes announce (2 when fewer than 2 bytes are present).</summary>
    private static int WireHeaderLength(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2) return 2;
        int len7 = input[1] & 0x7F;
        return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((input[1] & 0x80) != 0 ? 4 : 0);
    }

    private static void CheckFields(ReadOnlySpan<byte> input, FrameHeader header)
    {
        Oracle.Check(header.Fin == ((input[0] & 0x80) != 0), "FIN");
        Oracle.Check(header.ReservedBits == (input[0] & 0x70), "RSV");
        Oracle.Check((byte)header.Opcode == (input[0] & 0x0F), "opcode");
        Oracle.Check(header.IsMasked == ((input[1] & 0x80) != 0), "MASK");
        int len7 = input[1] & 0x7F;
        long expected = len7 switch
        {
            126 => (input[2] << 8) | input[3],
            127 => (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(input.Slice(2)),
            _ => len7,
        };
        Oracle.Check(expected >= 0 && header.PayloadLength == expected, "payload length {0}", header.PayloadLength);
        int keyAt = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
        uint key = header.IsMasked ? Masking.ReadKey(input.Slice(keyAt)) : 0;
        Oracle.Check(header.MaskKey == key, "mask key");
    }

    private static bool SameHeader(FrameHeader a, FrameHeader b)
        => a.Fin == b.Fin && a.ReservedBits == b.ReservedBits && a.Opcode == b.Opcode && a.IsMasked == b.IsMasked && a.MaskKey == b.MaskKey && a.PayloadLength == b.PayloadLength;
}
