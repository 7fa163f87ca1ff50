using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ConformanceRunner.Wire;

/// <summary>The opcodes of RFC 6455 §5.2 the runner names; any other 4-bit value may still be sent on purpose.</summary>
internal static class Opcode
{
    public const int Continuation = 0;
    public const int Text = 1;
    public const int Binary = 2;
    public const int Close = 8;
    public const int Ping = 9;
    public const int Pong = 10;

    public static bool IsControl(int opcode) => opcode > 7;
}

/// <summary>A decoded frame header (RFC 6455 §5.2).</summary>
internal readonly record struct FrameHeader(bool Fin, int Rsv, int Opcode, bool Masked, int LengthCode, long PayloadLength, int HeaderLength, uint MaskKey);

/// <summary>
/// Builds and parses raw frames. Building deliberately allows anything the wire format can carry (reserved bits,
/// reserved opcodes, oversized control frames, unfragmented control frames with FIN clear...), because the cases send
/// invalid frames on purpose.
/// </summary>
internal static class FrameCodec
{
    /// <summary>Encodes one whole frame. <paramref name="payloadLength"/> repeats <paramref name="payload"/> cyclically up to that length.</summary>
    public static byte[] Encode(int opcode, ReadOnlySpan<byte> payload, bool fin, int rsv, bool mask, byte[]? maskKey, long? payloadLength, out byte[]? usedMask)
    {
        long length = payloadLength ?? payload.Length;
        if (payloadLength is not null && payload.Length == 0 && length > 0)
            throw new ArgumentException("a repeated payload needs at least one octet", nameof(payload));
        int headerLength = HeaderLength(length, mask);
        var frame = new byte[checked(headerLength + (int)length)];
        usedMask = mask ? (maskKey ?? NewMaskKey()) : null;
        WriteHeader(frame, fin, rsv, opcode, length, usedMask);
        var body = frame.AsSpan(headerLength);
        if (payloadLength is null)
        {
            payload.CopyTo(body);
        }
        else
        {
            for (int i = 0; i < body.Length; i += payload.Length)
                payload[..Math.Min(payload.Length, body.Length - i)].CopyTo(body[i..]);
        }
        if (usedMask is not null)
            ApplyMask(body, usedMask, 0);
        return frame;
    }

    /// <summary>The header alone, for a frame whose payload is streamed afterwards (6.4.3 / 6.4.4 style).</summary>
    public static byte[] EncodeHeader(bool fin, int rsv, int opcode, long length, byte[]? maskKey)
    {
        var header = new byte[HeaderLength(length, maskKey is not null)];
        WriteHeader(header, fin, rsv, opcode, length, maskKey);
        return header;
    }

    public static int HeaderLength(long payloadLength, bool masked)
        => 2 + (payloadLength <= 125 ? 0 : payloadLength <= 0xFFFF ? 2 : 8) + (masked ? 4 : 0);

    private static void WriteHeader(Span<byte> dst, bool fin, int rsv, int opcode, long length, byte[]? maskKey)
    {
        dst[0] = (byte)((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0F));
        byte maskBit = maskKey is null ? (byte)0 : (byte)0x80;
        int at;
        if (length <= 125) { dst[1] = (byte)(maskBit | length); at = 2; }
        else if (length <= 0xFFFF) { dst[1] = (byte)(maskBit | 126); BinaryPrimitives.WriteUInt16BigEndian(dst[2..], (ushort)length); at = 4; }
        else { dst[1] = (byte)(maskBit | 127); BinaryPrimitives.WriteUInt64BigEndian(dst[2..], (ulong)length); at = 10; }
        maskKey?.CopyTo(dst[at..]);
    }

    public static byte[] NewMaskKey()
    {
        var key = new byte[4];
        RandomNumberGenerator.Fill(key);
        return key;
    }

    /// <summary>XORs <paramref name="data"/> with the key, starting at key offset <paramref name="keyOffset"/>.</summary>
    public static void ApplyMask(Span<byte> data, ReadOnlySpan<byte> key, long keyOffset)
    {
        Span<byte> rotated = stackalloc byte[8];
        for (int i = 0; i < 8; i++) rotated[i] = key[(int)((keyOffset + i) & 3)];
        ulong k = BinaryPrimitives.ReadUInt64LittleEndian(rotated);
        int n = 0;
        for (; n + 8 <= data.Length; n += 8)
        {
            var slot = data.Slice(n, 8);
            BinaryPrimitives.WriteUInt64LittleEndian(slot, BinaryPrimitives.ReadUInt64LittleEndian(slot) ^ k);
        }
        for (; n < data.Length; n++) data[n] ^= rotated[n & 7];
    }

    /// <summary>Reads a header if enough octets are buffered; false means "need more".</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> buffer, out FrameHeader header)
    {
        header = default;
        if (buffer.Length < 2) return false;
        bool fin = (buffer[0] & 0x80) != 0;
        int rsv = (buffer[0] >> 4) & 7;
        int opcode = buffer[0] & 0x0F;
        bool masked = (buffer[1] & 0x80) != 0;
        int code = buffer[1] & 0x7F;
        int headerLength = 2 + (code == 126 ? 2 : code == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (buffer.Length < headerLength) return false;
        long length = code switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]),
            127 => (long)(BinaryPrimitives.ReadUInt64BigEndian(buffer[2..]) & 0x7FFF_FFFF_FFFF_FFFF),
            _ => code,
        };
        uint key = masked ? BinaryPrimitives.ReadUInt32BigEndian(buffer[(headerLength - 4)..]) : 0;
        header = new FrameHeader(fin, rsv, opcode, masked, code, length, headerLength, key);
        return true;
    }
}
