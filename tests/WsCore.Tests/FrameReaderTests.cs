using System.Buffers;
using FsCheck.Xunit;
using WsCore.Framing;

namespace WsCore.Tests;

/// <summary>
/// RFC 6455 §5.2 headers that arrive split across reads: <see cref="FrameReader"/> keeps the bytes of an incomplete
/// header and gives the header <see cref="FrameHeader.TryRead"/> gives for the whole bytes, however they are split.
/// </summary>
public class FrameReaderTests
{
    /// <summary>Feeds <paramref name="bytes"/> in pieces until the reader answers Done or InvalidData (or the bytes end).</summary>
    private static (OperationStatus Status, FrameHeader Header, int Consumed) ReadInPieces(byte[] bytes, IEnumerable<int> pieceLengths)
    {
        var reader = new FrameReader();
        int position = 0;
        using IEnumerator<int> pieces = pieceLengths.GetEnumerator();
        while (true)
        {
            int length = pieces.MoveNext() ? Math.Min(pieces.Current, bytes.Length - position) : bytes.Length - position;
            ReadOnlySpan<byte> piece = bytes.AsSpan(position, length);
            int held = reader.BufferedLength;
            OperationStatus status = reader.TryRead(piece, out FrameHeader header, out int consumed);
            Assert.InRange(consumed, 0, piece.Length);
            if (status == OperationStatus.NeedMoreData)
            {
                Assert.Equal(piece.Length, consumed); // all of it is held
                Assert.Equal(held + piece.Length, reader.BufferedLength);
                Assert.InRange(reader.BufferedLength, 0, FrameHeader.MaxLength - 1);
                position += consumed;
                if (position == bytes.Length) return (status, default, position);
                continue;
            }
            Assert.Equal(0, reader.BufferedLength); // nothing held after Done or InvalidData
            if (status == OperationStatus.InvalidData) Assert.Equal(0, consumed);
            return (status, header, position + consumed);
        }
    }

    private static IEnumerable<int> Pieces(int[]? lengths)
    {
        foreach (int n in lengths ?? []) yield return n & 15; // 0-15 bytes: empty pieces too
    }

    [Property(MaxTest = 500)]
    public void Section_5_2_AnySplit_GivesTheHeaderOfTheWholeBytes(byte b0, byte b1, byte[] rest, int[] pieceLengths)
    {
        byte[] bytes = Wire.Concat([b0, b1], rest ?? []);
        OperationStatus whole = FrameHeader.TryRead(bytes, out FrameHeader expected, out int expectedLength);
        (OperationStatus status, FrameHeader header, int consumed) = ReadInPieces(bytes, Pieces(pieceLengths));
        Assert.Equal(whole, status);
        if (whole == OperationStatus.Done)
        {
            Assert.Equal(expectedLength, consumed);
            Assert.Equal((expected.Fin, expected.ReservedBits, expected.Opcode, expected.IsMasked, expected.MaskKey, expected.PayloadLength),
                (header.Fin, header.ReservedBits, header.Opcode, header.IsMasked, header.MaskKey, header.PayloadLength));
        }
    }

    [Theory]
    [InlineData("81 05", 2)]
    [InlineData("81 85 01 02 03 04", 6)]
    [InlineData("82 7E 01 00", 4)]
    [InlineData("82 FE 01 00 01 02 03 04", 8)]
    [InlineData("82 7F 00 00 00 00 00 01 00 00", 10)]
    [InlineData("82 FF 00 00 00 00 00 01 00 00 01 02 03 04", 14)]
    public void Section_5_2_OneByteAtATime_HoldsEveryByteUntilTheLast(string hex, int length)
    {
        byte[] bytes = Wire.Concat(Wire.Hex(hex), [0xEE, 0xEE]); // payload bytes follow
        var reader = new FrameReader();
        for (int i = 0; i < length - 1; i++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, reader.TryRead(bytes.AsSpan(i, 1), out _, out int c));
            Assert.Equal(1, c);
            Assert.Equal(i + 1, reader.BufferedLength);
        }
        // The last header byte arrives with the payload: only the header's byte is consumed.
        Assert.Equal(OperationStatus.Done, reader.TryRead(bytes.AsSpan(length - 1), out FrameHeader h, out int consumed));
        Assert.Equal(1, consumed);
        Assert.Equal(0, reader.BufferedLength);
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(bytes, out FrameHeader whole, out _));
        Assert.Equal((whole.Opcode, whole.IsMasked, whole.MaskKey, whole.PayloadLength), (h.Opcode, h.IsMasked, h.MaskKey, h.PayloadLength));
    }

    [Fact]
    public void Section_5_2_ASplit64BitLengthWithTheTopBitSet_IsInvalid_AndNothingIsHeld()
    {
        byte[] bytes = Wire.Hex("82 7F 80 00 00 00 00 00 00 00");
        var reader = new FrameReader();
        Assert.Equal(OperationStatus.NeedMoreData, reader.TryRead(bytes.AsSpan(0, 3), out _, out _));
        Assert.Equal(OperationStatus.InvalidData, reader.TryRead(bytes.AsSpan(3), out _, out int consumed));
        Assert.Equal(0, consumed);
        Assert.Equal(0, reader.BufferedLength);
    }

    [Fact]
    public void AWholeHeader_IsReadWithoutHoldingAnything()
    {
        var reader = new FrameReader();
        Assert.Equal(OperationStatus.Done, reader.TryRead(Wire.Hex("81 02 68 69"), out FrameHeader h, out int consumed));
        Assert.Equal(2, consumed);
        Assert.Equal(2, h.PayloadLength);
        Assert.Equal(0, reader.BufferedLength);
        Assert.Equal(OperationStatus.NeedMoreData, reader.TryRead(default, out _, out consumed));
        Assert.Equal(0, consumed);
        Assert.Equal(0, reader.BufferedLength);
    }

    [Fact]
    public void Reset_DropsTheHeldBytes()
    {
        var reader = new FrameReader();
        Assert.Equal(OperationStatus.NeedMoreData, reader.TryRead(Wire.Hex("82 7E 01"), out _, out _));
        Assert.Equal(3, reader.BufferedLength);
        reader.Reset();
        Assert.Equal(0, reader.BufferedLength);
        Assert.Equal(OperationStatus.Done, reader.TryRead(Wire.Hex("89 00"), out FrameHeader h, out _));
        Assert.Equal(WebSocketOpcode.Ping, h.Opcode);
    }
}
