using System.Buffers;
using WsCore.Framing;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.2/§5.3: whole frames written by <see cref="FrameWriter"/>.</summary>
public class FrameWriterTests
{
    private static byte[] Payload(int length)
    {
        var p = new byte[length];
        for (int i = 0; i < length; i++) p[i] = (byte)(i * 7 + 3);
        return p;
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(125)] [InlineData(126)] [InlineData(65535)] [InlineData(65536)] [InlineData(70001)]
    public void Section_5_2_UnmaskedFrame_MatchesHandBuiltBytes(int length)
    {
        byte[] payload = Payload(length);
        var output = new ArrayBufferWriter<byte>();
        int written = FrameWriter.WriteFrame(output, WebSocketOpcode.Binary, payload, true, 0, false, 0);
        Assert.Equal(Wire.Frame(2, payload), output.WrittenSpan.ToArray());
        Assert.Equal(written, output.WrittenCount);
        Assert.Equal(FrameWriter.GetFrameLength(length, false), written);
    }

    [Theory]
    [InlineData(0)] [InlineData(3)] [InlineData(125)] [InlineData(126)] [InlineData(65535)] [InlineData(65536)]
    public void Section_5_3_MaskedFrame_MatchesHandBuiltBytes(int length)
    {
        byte[] payload = Payload(length);
        uint key = Masking.ReadKey(Wire.Key);
        var destination = new byte[FrameWriter.GetFrameLength(length, true)];
        Assert.Equal(OperationStatus.Done, FrameWriter.TryWriteFrame(destination, WebSocketOpcode.Text, payload, false, FrameHeader.Rsv1Bit, true, key, out int written));
        Assert.Equal(destination.Length, written);
        Assert.Equal(Wire.Frame(1, payload, fin: false, rsv: 4, maskKey: Wire.Key), destination);
    }

    [Fact]
    public void Section_5_2_TryWriteFrame_DestinationTooSmall_WritesNothing()
    {
        byte[] payload = Payload(200);
        var destination = new byte[FrameWriter.GetFrameLength(200, true) - 1];
        Assert.Equal(OperationStatus.DestinationTooSmall, FrameWriter.TryWriteFrame(destination, WebSocketOpcode.Binary, payload, true, 0, true, 42, out int written));
        Assert.Equal(0, written);
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Section_5_3_WriterDoesNotModifyTheCallersPayload()
    {
        byte[] payload = Payload(64);
        byte[] copy = (byte[])payload.Clone();
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(output, WebSocketOpcode.Binary, payload, true, 0, true, 0xDEADBEEF);
        Assert.Equal(copy, payload);
    }

    [Fact]
    public void Section_5_3_MaskKeys_AreNotConstant()
    {
        var seen = new HashSet<uint>();
        for (int i = 0; i < 600; i++) seen.Add(MaskKeys.Next()); // crosses the per-thread refill
        Assert.True(seen.Count > 590);
    }

    [Fact]
    public void Section_5_2_WriteFrame_NullOutput_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => FrameWriter.WriteFrame(null!, WebSocketOpcode.Binary, default, true, 0, false, 0));
    }

    [Fact]
    public void Section_5_2_FrameLength_NearTheLargestPayload_DoesNotOverflow()
    {
        // The largest payload §5.2 can announce is 2^63-1; a frame that size cannot be described by a long.
        Assert.Equal(long.MaxValue, FrameWriter.GetFrameLength(long.MaxValue - 14, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.GetFrameLength(long.MaxValue, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.GetFrameLength(-1, false));
    }

    [Fact]
    public void Section_5_2_NegativePayloadLength_IsRefused()
    {
        // A negative length would be encoded as a corrupt header (e.g. -1 sets the mask bit and the 64-bit marker).
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameHeader(true, 0, WebSocketOpcode.Binary, false, 0, -1));
    }
}
