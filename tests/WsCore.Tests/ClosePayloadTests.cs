using System.Buffers;
using WsCore.Closing;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.5.1: the close frame's body (a 2-byte code and a UTF-8 reason).</summary>
public class ClosePayloadTests
{
    [Fact]
    public void Section_5_5_1_EmptyPayload_IsNoStatus()
    {
        Assert.Equal(ClosePayloadStatus.Valid, ClosePayload.Read(default, out ushort code, out ReadOnlySpan<byte> reason));
        Assert.Equal(CloseCodes.NoStatusReceived, code);
        Assert.True(reason.IsEmpty);
    }

    [Theory]
    [InlineData(0x03)] [InlineData(0xE8)] [InlineData(0x00)] [InlineData(0xFF)]
    public void Section_5_5_1_OneBytePayload_IsInvalid(byte b)
    {
        Assert.Equal(ClosePayloadStatus.OneByte, ClosePayload.Read(new[] { b }, out _, out _));
    }

    [Fact]
    public void Section_5_5_1_CodeAndReason_AreRead()
    {
        byte[] payload = Wire.ClosePayload(1001, "going away κόσμε");
        Assert.Equal(ClosePayloadStatus.Valid, ClosePayload.Read(payload, out ushort code, out ReadOnlySpan<byte> reason));
        Assert.Equal(1001, code);
        Assert.Equal(Wire.Utf8("going away κόσμε"), reason.ToArray());
    }

    [Theory]
    [InlineData("cebae1bdb9cf83cebcceb5eda080656469746564")] // surrogate (Autobahn 7.5.1)
    [InlineData("ff")]
    [InlineData("c0af")] // overlong
    [InlineData("e282")] // truncated at the end
    [InlineData("f4908080")] // above U+10FFFF
    public void Section_5_5_1_InvalidUtf8Reason_Is1007(string reasonHex)
    {
        byte[] payload = Wire.Concat(new byte[] { 0x03, 0xE8 }, Wire.Hex(reasonHex));
        Assert.Equal(ClosePayloadStatus.InvalidUtf8Reason, ClosePayload.Read(payload, out _, out _));
    }

    [Fact]
    public void Section_5_5_MaxReason_IsAccepted_AndOneMoreIsTooLong()
    {
        byte[] max = Wire.ClosePayload(1000, new string('*', 123));
        Assert.Equal(125, max.Length);
        Assert.Equal(ClosePayloadStatus.Valid, ClosePayload.Read(max, out _, out ReadOnlySpan<byte> reason));
        Assert.Equal(123, reason.Length);
        Assert.Equal(ClosePayloadStatus.TooLong, ClosePayload.Read(Wire.ClosePayload(1000, new string('*', 124)), out _, out _));
    }

    [Fact]
    public void Section_5_5_1_InvalidCodeIsReported_BeforeTheReason()
    {
        Assert.Equal(ClosePayloadStatus.InvalidCode, ClosePayload.Read(Wire.Concat(new byte[] { 0x03, 0xED }, new byte[] { 0xFF }), out _, out _));
    }

    [Fact]
    public void Section_5_5_1_TryWrite_WritesCodeAndReason()
    {
        var buffer = new byte[125];
        Assert.Equal(OperationStatus.Done, ClosePayload.TryWrite(buffer, 4000, Wire.Utf8("bye"), out int written));
        Assert.Equal(Wire.ClosePayload(4000, "bye"), buffer.AsSpan(0, written).ToArray());
    }

    [Theory]
    [InlineData(1005)] [InlineData(1006)] [InlineData(1015)] [InlineData(0)] [InlineData(999)] [InlineData(2000)] [InlineData(5000)]
    public void Section_7_4_1_TryWrite_RefusesCodesThatMayNotBeSent(int code)
    {
        var buffer = new byte[125];
        Assert.Equal(OperationStatus.InvalidData, ClosePayload.TryWrite(buffer, (ushort)code, default, out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Section_5_5_1_TryWrite_RefusesLongOrInvalidReasons_AndSmallDestinations()
    {
        var buffer = new byte[200];
        Assert.Equal(OperationStatus.InvalidData, ClosePayload.TryWrite(buffer, 1000, new byte[124], out _));
        Assert.Equal(OperationStatus.Done, ClosePayload.TryWrite(buffer, 1000, new byte[123], out int w));
        Assert.Equal(125, w);
        Assert.Equal(OperationStatus.InvalidData, ClosePayload.TryWrite(buffer, 1000, new byte[] { 0xC3 }, out _));
        Assert.Equal(OperationStatus.DestinationTooSmall, ClosePayload.TryWrite(new byte[4], 1000, Wire.Utf8("abc"), out int none));
        Assert.Equal(0, none);
    }

    [Theory]
    [InlineData(1000, 0, false, ClosePayloadStatus.Valid)]
    [InlineData(4999, 123, false, ClosePayloadStatus.Valid)]
    [InlineData(1005, 0, false, ClosePayloadStatus.InvalidCode)]
    [InlineData(999, 0, false, ClosePayloadStatus.InvalidCode)]
    [InlineData(1000, 124, false, ClosePayloadStatus.TooLong)]
    [InlineData(1000, 3, true, ClosePayloadStatus.InvalidUtf8Reason)]
    [InlineData(1006, 124, true, ClosePayloadStatus.InvalidCode)] // the first rule broken
    public void CheckOutgoing_names_the_rule_TryWrite_applies(int code, int reasonLength, bool badUtf8, ClosePayloadStatus expected)
    {
        byte[] reason = new byte[reasonLength];
        reason.AsSpan().Fill((byte)'a');
        if (badUtf8) reason[^1] = 0xC3;
        Assert.Equal(expected, ClosePayload.CheckOutgoing((ushort)code, reason));
        OperationStatus written = ClosePayload.TryWrite(new byte[125], (ushort)code, reason, out _);
        Assert.Equal(expected == ClosePayloadStatus.Valid ? OperationStatus.Done : OperationStatus.InvalidData, written);
    }
}
