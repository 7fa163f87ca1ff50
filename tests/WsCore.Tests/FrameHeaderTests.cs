using System.Buffers;
using WsCore.Framing;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.2 base framing: decoding and encoding of frame headers.</summary>
public class FrameHeaderTests
{
    [Theory]
    [InlineData(0L, 7)]
    [InlineData(1L, 7)]
    [InlineData(125L, 7)]
    [InlineData(126L, 16)]
    [InlineData(127L, 16)]
    [InlineData(65535L, 16)]
    [InlineData(65536L, 64)]
    [InlineData(1L << 32, 64)]
    [InlineData(long.MaxValue, 64)]
    public void Section_5_2_LengthForms_DecodeEveryBoundary(long length, int form)
    {
        byte[] wire = Wire.Frame(2, default, announcedLength: length);
        int expectedHeader = form == 7 ? 2 : form == 16 ? 4 : 10;
        Assert.Equal(expectedHeader, wire.Length);
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(wire, out FrameHeader h, out int consumed));
        Assert.Equal(expectedHeader, consumed);
        Assert.Equal(length, h.PayloadLength);
        Assert.Equal(expectedHeader, h.EncodedLength);
        Assert.Equal(expectedHeader, FrameHeader.GetEncodedLength(length, masked: false));
        Assert.Equal(expectedHeader + 4, FrameHeader.GetEncodedLength(length, masked: true));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(125L)]
    [InlineData(126L)]
    [InlineData(65535L)]
    [InlineData(65536L)]
    [InlineData(long.MaxValue)]
    public void Section_5_2_LengthForms_EncodeShortestForm(long length)
    {
        var header = new FrameHeader(true, 0, WebSocketOpcode.Binary, false, 0, length);
        var buffer = new byte[FrameHeader.MaxLength];
        Assert.Equal(OperationStatus.Done, header.TryWrite(buffer, out int written));
        Assert.Equal(Wire.Frame(2, default, announcedLength: length), buffer.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Section_5_2_NonMinimalLengthForms_AreAccepted()
    {
        // The minimal-encoding rule binds senders; a receiver decodes a longer form to the same length.
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(Wire.Frame(1, default, lengthForm: 16, announcedLength: 5), out FrameHeader a, out int ca));
        Assert.Equal((5L, 4), (a.PayloadLength, ca));
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(Wire.Frame(1, default, lengthForm: 64, announcedLength: 5), out FrameHeader b, out int cb));
        Assert.Equal((5L, 10), (b.PayloadLength, cb));
    }

    [Theory]
    [InlineData(0x8000000000000000UL)]
    [InlineData(0xFFFFFFFFFFFFFFFFUL)]
    [InlineData(0x8000000000000001UL)]
    public void Section_5_2_SixtyFourBitLengthWithTopBitSet_IsInvalid(ulong length)
    {
        // CVE-2020-13935 looped forever on such a length.
        byte[] wire = { 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0 };
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(wire.AsSpan(2), length);
        Assert.Equal(OperationStatus.InvalidData, FrameHeader.TryRead(wire, out _, out int consumed));
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void Section_5_2_FinRsvOpcodeAndMask_AreDecoded()
    {
        for (int b0 = 0; b0 < 256; b0++)
        {
            byte[] wire = { (byte)b0, 0x80 | 3, 1, 2, 3, 4 };
            Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(wire, out FrameHeader h, out int consumed));
            Assert.Equal(6, consumed);
            Assert.Equal((b0 & 0x80) != 0, h.Fin);
            Assert.Equal((byte)(b0 & 0x70), h.ReservedBits);
            Assert.Equal((b0 & 0x40) != 0, h.Rsv1);
            Assert.Equal((WebSocketOpcode)(b0 & 0x0F), h.Opcode);
            Assert.True(h.IsMasked);
            Assert.Equal(Masking.ReadKey(new byte[] { 1, 2, 3, 4 }), h.MaskKey);
            Assert.Equal(3, h.PayloadLength);
        }
    }

    [Fact]
    public void Section_5_3_UnmaskedHeader_HasNoKey()
    {
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(new byte[] { 0x81, 0x05 }, out FrameHeader h, out _));
        Assert.False(h.IsMasked);
        Assert.Equal(0u, h.MaskKey);
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(5, true)]
    [InlineData(300, false)]
    [InlineData(300, true)]
    [InlineData(70000, false)]
    [InlineData(70000, true)]
    public void Section_5_2_TruncatedHeader_NeedsMoreData_AtEveryPrefix(int length, bool masked)
    {
        byte[] wire = Wire.Frame(2, default, maskKey: masked ? Wire.Key : null, announcedLength: length);
        for (int i = 0; i < wire.Length; i++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, FrameHeader.TryRead(wire.AsSpan(0, i), out _, out int consumed));
            Assert.Equal(0, consumed);
        }
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(wire, out FrameHeader h, out int all));
        Assert.Equal(wire.Length, all);
        Assert.Equal(length, h.PayloadLength);
    }

    [Fact]
    public void Section_5_2_TryWrite_DestinationTooSmall_WritesNothing()
    {
        var header = new FrameHeader(true, 0, WebSocketOpcode.Text, true, 0x01020304, 70000);
        Assert.Equal(14, header.EncodedLength);
        var buffer = new byte[13];
        Assert.Equal(OperationStatus.DestinationTooSmall, header.TryWrite(buffer, out int written));
        Assert.Equal(0, written);
        Assert.All(buffer, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Section_5_2_Constructor_KeepsOnlyRsvBits_AndDropsKeyWhenUnmasked()
    {
        var h = new FrameHeader(false, 0xFF, WebSocketOpcode.Ping, false, 1234, 0);
        Assert.Equal(0x70, h.ReservedBits);
        Assert.Equal(0u, h.MaskKey);
    }

    [Fact]
    public void Section_5_2_EveryHeaderField_RoundTrips()
    {
        var buffer = new byte[FrameHeader.MaxLength];
        foreach (long length in new[] { 0L, 125, 126, 65535, 65536, long.MaxValue })
        foreach (bool fin in new[] { false, true })
        foreach (bool masked in new[] { false, true })
        for (int rsv = 0; rsv < 8; rsv++)
        for (int op = 0; op < 16; op++)
        {
            var h = new FrameHeader(fin, (byte)(rsv << 4), (WebSocketOpcode)op, masked, 0xA1B2C3D4, length);
            Assert.Equal(OperationStatus.Done, h.TryWrite(buffer, out int written));
            Assert.Equal(h.EncodedLength, written);
            Assert.Equal(Wire.Frame(op, default, fin, rsv, masked ? new byte[] { 0xD4, 0xC3, 0xB2, 0xA1 } : null, announcedLength: length), buffer.AsSpan(0, written).ToArray());
            Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(buffer.AsSpan(0, written), out FrameHeader back, out int consumed));
            Assert.Equal(written, consumed);
            Assert.Equal((h.Fin, h.ReservedBits, h.Opcode, h.IsMasked, h.MaskKey, h.PayloadLength),
                (back.Fin, back.ReservedBits, back.Opcode, back.IsMasked, back.MaskKey, back.PayloadLength));
        }
    }

    [Theory]
    [InlineData(0, true)] [InlineData(1, true)] [InlineData(2, true)] [InlineData(8, true)] [InlineData(9, true)] [InlineData(10, true)]
    [InlineData(3, false)] [InlineData(4, false)] [InlineData(5, false)] [InlineData(6, false)] [InlineData(7, false)]
    [InlineData(11, false)] [InlineData(12, false)] [InlineData(13, false)] [InlineData(14, false)] [InlineData(15, false)]
    public void Section_5_2_Opcodes_DefinedAndControl(int opcode, bool defined)
    {
        Assert.Equal(defined, WebSocketOpcodes.IsDefined((WebSocketOpcode)opcode));
        Assert.Equal(opcode >= 8, WebSocketOpcodes.IsControl((WebSocketOpcode)opcode));
    }
}
