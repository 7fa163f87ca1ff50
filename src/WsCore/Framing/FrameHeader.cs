using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace WsCore.Framing;

/// <summary>
/// A decoded RFC 6455 §5.2 frame header. The reader checks only what the header's own encoding allows
/// (a 64-bit length must have its top bit clear); the rules that depend on the connection's role and
/// negotiated extensions are checked by the protocol state machine.
/// </summary>
public readonly struct FrameHeader
{
    /// <summary>The largest header: 2 bytes, an 8-byte extended length and a 4-byte mask key.</summary>
    public const int MaxLength = 14;

    /// <summary>The largest payload a control frame may carry (§5.5).</summary>
    public const int MaxControlPayloadLength = 125;

    /// <summary>RSV1 as it sits in the first header byte.</summary>
    public const byte Rsv1Bit = 0x40;
    /// <summary>RSV2 as it sits in the first header byte.</summary>
    public const byte Rsv2Bit = 0x20;
    /// <summary>RSV3 as it sits in the first header byte.</summary>
    public const byte Rsv3Bit = 0x10;

    /// <summary>Creates a header.</summary>
    /// <param name="fin">Whether this frame ends its message.</param>
    /// <param name="reservedBits">RSV1-3 as they sit in the first header byte (a combination of <see cref="Rsv1Bit"/>, <see cref="Rsv2Bit"/>, <see cref="Rsv3Bit"/>).</param>
    /// <param name="opcode">The opcode (may be a reserved value when decoded from the wire).</param>
    /// <param name="isMasked">Whether the payload is masked.</param>
    /// <param name="maskKey">The mask key as <see cref="Masking.ReadKey"/> returns it; ignored when not masked.</param>
    /// <param name="payloadLength">The payload length (0 to <see cref="long.MaxValue"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="payloadLength"/> is negative.</exception>
    public FrameHeader(bool fin, byte reservedBits, WebSocketOpcode opcode, bool isMasked, uint maskKey, long payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        Fin = fin;
        ReservedBits = (byte)(reservedBits & (Rsv1Bit | Rsv2Bit | Rsv3Bit));
        Opcode = opcode;
        IsMasked = isMasked;
        MaskKey = isMasked ? maskKey : 0;
        PayloadLength = payloadLength;
    }

    /// <summary>The decoder's constructor: the flags and opcode as the first header byte holds them, a length known to be non-negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FrameHeader(int firstByte, bool isMasked, uint maskKey, long payloadLength)
    {
        Fin = (firstByte & 0x80) != 0;
        ReservedBits = (byte)(firstByte & (Rsv1Bit | Rsv2Bit | Rsv3Bit));
        Opcode = (WebSocketOpcode)(firstByte & 0x0F);
        IsMasked = isMasked;
        MaskKey = maskKey;
        PayloadLength = payloadLength;
    }

    /// <summary>Whether this frame ends its message.</summary>
    public bool Fin { get; }
    /// <summary>RSV1-3 as they sit in the first header byte.</summary>
    public byte ReservedBits { get; }
    /// <summary>Whether RSV1 is set (permessage-deflate's "compressed" bit).</summary>
    public bool Rsv1 => (ReservedBits & Rsv1Bit) != 0;
    /// <summary>The opcode; may be a reserved value when decoded from the wire.</summary>
    public WebSocketOpcode Opcode { get; }
    /// <summary>Whether the payload is masked.</summary>
    public bool IsMasked { get; }
    /// <summary>The mask key in the form <see cref="Masking"/> takes; 0 when not masked.</summary>
    public uint MaskKey { get; }
    /// <summary>The payload length.</summary>
    public long PayloadLength { get; }

    /// <summary>The length of this header on the wire.</summary>
    public int EncodedLength => GetEncodedLength(PayloadLength, IsMasked);

    /// <summary>The header length for a payload of the given length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetEncodedLength(long payloadLength, bool masked)
        => (payloadLength <= 125 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10) + (masked ? 4 : 0);

    /// <summary>
    /// Decodes a header from the start of <paramref name="source"/>.
    /// </summary>
    /// <param name="source">Bytes from the start of a frame.</param>
    /// <param name="header">The header, when the result is <see cref="OperationStatus.Done"/>.</param>
    /// <param name="bytesConsumed">The header's length, when the result is <see cref="OperationStatus.Done"/>; otherwise 0.</param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>; <see cref="OperationStatus.NeedMoreData"/> when the source ends inside the header;
    /// <see cref="OperationStatus.InvalidData"/> when a 64-bit length has its most significant bit set (§5.2).
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out FrameHeader header, out int bytesConsumed)
    {
        if (source.Length >= 2)
        {
            byte b0 = source[0], b1 = source[1];
            int len7 = b1 & 0x7F;
            bool masked = (b1 & 0x80) != 0;
            int needed = 2 + (masked ? 4 : 0);
            long length;
            if (len7 <= 125)
            {
                length = len7;
            }
            else if (len7 == 126)
            {
                needed += 2;
                if (source.Length < needed) goto NeedMore;
                length = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2));
            }
            else
            {
                needed += 8;
                if (source.Length < needed) goto NeedMore;
                ulong l = BinaryPrimitives.ReadUInt64BigEndian(source.Slice(2));
                if ((long)l < 0)
                {
                    header = default;
                    bytesConsumed = 0;
                    return OperationStatus.InvalidData;
                }
                length = (long)l;
            }
            if (source.Length < needed) goto NeedMore;
            uint key = masked ? BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(needed - 4)) : 0;
            header = new FrameHeader(b0, masked, key, length);
            bytesConsumed = needed;
            return OperationStatus.Done;
        }
    NeedMore:
        header = default;
        bytesConsumed = 0;
        return OperationStatus.NeedMoreData;
    }

    /// <summary>
    /// Encodes this header into <paramref name="destination"/>, using the shortest length form (§5.2).
    /// </summary>
    /// <param name="destination">Where to write; needs <see cref="EncodedLength"/> bytes.</param>
    /// <param name="bytesWritten">The header's length, or 0 when the destination is too small.</param>
    /// <returns><see cref="OperationStatus.Done"/>, or <see cref="OperationStatus.DestinationTooSmall"/>.</returns>
    public OperationStatus TryWrite(Span<byte> destination, out int bytesWritten)
    {
        int length = EncodedLength;
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return OperationStatus.DestinationTooSmall;
        }
        bytesWritten = Write(destination, Fin, ReservedBits, Opcode, PayloadLength, IsMasked, MaskKey);
        return OperationStatus.Done;
    }

    /// <summary>
    /// Encodes a header. The caller guarantees room for <see cref="GetEncodedLength"/> bytes.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Write(Span<byte> destination, bool fin, byte reservedBits, WebSocketOpcode opcode, long payloadLength, bool masked, uint maskKey)
    {
        destination[0] = (byte)((fin ? 0x80 : 0) | (reservedBits & 0x70) | ((byte)opcode & 0x0F));
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        int offset;
        if (payloadLength <= 125)
        {
            destination[1] = (byte)(maskBit | (byte)payloadLength);
            offset = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), (ushort)payloadLength);
            offset = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(2), (ulong)payloadLength);
            offset = 10;
        }
        if (masked)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(offset), maskKey);
            offset += 4;
        }
        return offset;
    }
}
