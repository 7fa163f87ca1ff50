using WsCore.Framing;
using System.Buffers;
using WsCore.Compression;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>Bugs the fuzz targets found (fuzz/regressions/), each pinned by a direct test.</summary>
public class FuzzFoundRegressionTests
{
    private static byte[] Compress(ReadOnlySpan<byte> message)
    {
        using var c = new PerMessageDeflateCompressor(15, noContextTakeover: false);
        var output = new ArrayBufferWriter<byte>();
        byte[] buffer = new byte[4096];
        while (true)
        {
            OperationStatus s = c.Compress(message, buffer, true, out int consumed, out int written);
            output.Write(buffer.AsSpan(0, written));
            message = message.Slice(consumed);
            if (s == OperationStatus.Done) return output.WrittenSpan.ToArray();
        }
    }

    public static TheoryData<string> FailingCompressedMessages() => ["corrupt", "bomb", "invalid-utf8"];

    /// <summary>
    /// receive-deflate: after a compressed message failed the connection (1007 corrupt DEFLATE, 1009 inflated past
    /// MaxMessageLength, 1007 invalid UTF-8 text), HasPendingReceiveData stayed true because the unread inflate input
    /// was kept. A host that calls Receive again while it is true (as documented) then looped forever on NeedMoreData.
    /// </summary>
    [Theory]
    [MemberData(nameof(FailingCompressedMessages))]
    public void No_pending_receive_data_after_a_compressed_message_fails_the_connection(string kind)
    {
        byte[] payload = kind switch
        {
            "corrupt" => [0xFF, 0xFE, 0x00, 0x13, 0x37, 0x42],
            "bomb" => Compress(new byte[300_000]),
            _ => Compress([0x48, 0x69, 0xC0, 0xAF, 0x21]),
        };
        int opcode = kind == "invalid-utf8" ? 1 : 2;
        byte[] wire = Wire.Client(opcode, payload, rsv: 4); // RSV1: a compressed message
        using var server = new WebSocketProtocol(WebSocketRole.Server, new WebSocketProtocolOptions { MaxMessageLength = 1024 }, PerMessageDeflateParameters.Default);
        byte[] destination = new byte[16];
        ReadOnlySpan<byte> input = wire;
        ReceiveStatus status;
        int calls = 0;
        do
        {
            status = server.Receive(input, destination, out ReceiveResult r);
            input = input.Slice(r.BytesConsumed);
            Assert.True(++calls < 1000);
        }
        while (status == ReceiveStatus.MessageData);
        Assert.Equal(ReceiveStatus.ProtocolError, status);
        Assert.Equal(CloseHandshakeState.Closed, server.State);
        Assert.False(server.HasPendingReceiveData);
        Assert.Equal(ReceiveStatus.NeedMoreData, server.Receive(default, destination, out _));
        Assert.False(server.HasPendingReceiveData);
    }
    /// <summary>
    /// receive-deflate (a close frame 1000 with the reason byte 0x80): for an invalid piece shorter than 3 bytes,
    /// Utf8Validator looked for a lead byte before the start of the piece (an out-of-bounds read), found the close
    /// code's low byte 0xE8 there and threw ArgumentOutOfRangeException instead of answering "invalid".
    /// </summary>
    [Theory]
    [InlineData(new byte[] { 0xE8, 0x80 })]
    [InlineData(new byte[] { 0xF0, 0x80, 0x80 })]
    [InlineData(new byte[] { 0xE8, 0xBF, 0x80 })]
    public void Short_invalid_utf8_after_a_lead_byte_is_invalid_not_an_exception(byte[] bytes)
    {
        Assert.False(WsCore.Text.Utf8Validator.IsValid(bytes.AsSpan(1)));
        var v = new WsCore.Text.Utf8Validator();
        Assert.False(v.Validate(bytes.AsSpan(1), endOfMessage: false));
    }

    [Fact]
    public void Close_1000_with_reason_byte_0x80_fails_with_1007()
    {
        Assert.Equal(WsCore.Closing.ClosePayloadStatus.InvalidUtf8Reason, WsCore.Closing.ClosePayload.Read([0x03, 0xE8, 0x80], out _, out _));
        using var server = new WebSocketProtocol(WebSocketRole.Server);
        Assert.Equal(ReceiveStatus.ProtocolError, server.Receive(Wire.Client(8, [0x03, 0xE8, 0x80]), new byte[16], out _));
        Assert.Equal(ProtocolViolation.InvalidUtf8CloseReason, server.Violation);
    }
}
