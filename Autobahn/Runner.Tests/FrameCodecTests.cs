using ConformanceRunner.Wire;

namespace ConformanceRunner.Tests;

/// <summary>The runner's own frame codec (RFC 6455 §5.2 header, §5.3 masking).</summary>
public class FrameCodecTests
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(125, true)]
    [InlineData(126, true)]
    [InlineData(65535, false)]
    [InlineData(65536, true)]
    public void Encode_then_read_header_round_trips_every_length_encoding(int length, bool mask)
    {
        var payload = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        var frame = FrameCodec.Encode(Opcode.Binary, payload, fin: true, rsv: 0, mask, null, null, out var key);
        Assert.True(FrameCodec.TryReadHeader(frame, out var h));
        Assert.Equal(length, h.PayloadLength);
        Assert.Equal(mask, h.Masked);
        Assert.Equal(FrameCodec.HeaderLength(length, mask), h.HeaderLength);
        var body = frame.AsSpan(h.HeaderLength).ToArray();
        if (mask) FrameCodec.ApplyMask(body, key!, 0);
        Assert.Equal(payload, body);
    }

    [Fact]
    public void Reserved_bits_and_opcodes_are_encoded_as_asked()
    {
        var frame = FrameCodec.Encode(13, "ab"u8, fin: false, rsv: 5, mask: false, null, null, out _);
        Assert.Equal(0x5D, frame[0]);
        Assert.True(FrameCodec.TryReadHeader(frame, out var h));
        Assert.Equal((false, 5, 13), (h.Fin, h.Rsv, h.Opcode));
    }

    [Fact]
    public void Repeated_payload_fills_the_requested_length()
    {
        var frame = FrameCodec.Encode(Opcode.Text, "abc"u8, true, 0, false, null, payloadLength: 7, out _);
        Assert.Equal("abcabca"u8.ToArray(), frame.AsSpan(2).ToArray());
    }

    [Fact]
    public void Masking_continues_the_key_at_an_offset()
    {
        byte[] key = { 1, 2, 3, 4 };
        var whole = new byte[11];
        FrameCodec.ApplyMask(whole, key, 0);
        var part = new byte[6];
        FrameCodec.ApplyMask(part, key, 5);
        Assert.Equal(whole.AsSpan(5).ToArray(), part);
    }

    [Fact]
    public void Header_needs_all_its_octets()
    {
        var frame = FrameCodec.Encode(Opcode.Text, new byte[300], true, 0, true, null, null, out _);
        for (int n = 0; n < 8; n++) Assert.False(FrameCodec.TryReadHeader(frame.AsSpan(0, n), out _));
        Assert.True(FrameCodec.TryReadHeader(frame.AsSpan(0, 8), out _));
    }
}
