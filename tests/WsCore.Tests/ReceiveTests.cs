using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.1-§5.3, §5.6: receiving frames through <see cref="WebSocketProtocol.Receive"/>.</summary>
public class ReceiveTests
{
    private static byte[] Pattern(int length)
    {
        var p = new byte[length];
        for (int i = 0; i < length; i++) p[i] = (byte)('a' + i % 26);
        return p;
    }

    [Theory]
    [InlineData(WebSocketRole.Server, 0)]
    [InlineData(WebSocketRole.Server, 125)]
    [InlineData(WebSocketRole.Server, 126)]
    [InlineData(WebSocketRole.Server, 65535)]
    [InlineData(WebSocketRole.Server, 65536)]
    [InlineData(WebSocketRole.Client, 0)]
    [InlineData(WebSocketRole.Client, 125)]
    [InlineData(WebSocketRole.Client, 126)]
    [InlineData(WebSocketRole.Client, 65535)]
    [InlineData(WebSocketRole.Client, 65536)]
    public void Section_5_2_EveryLengthForm_DeliversTheMessage(WebSocketRole role, int length)
    {
        byte[] payload = Pattern(length);
        foreach (int opcode in new[] { 1, 2 })
        {
            var h = new Harness(role).Feed(Wire.To(role, opcode, payload));
            Event e = Assert.Single(h.Events);
            Assert.Equal(ReceiveStatus.MessageData, e.Kind);
            Assert.Equal((MessageKind)opcode, e.Type);
            Assert.Equal(payload, e.Data);
            Assert.Empty(h.Drain());
            Assert.Equal(CloseHandshakeState.Open, h.Protocol.State);
        }
    }

    [Fact]
    public void Section_5_2_ExplicitLengthForms_WithSmallPayloads_AreAccepted()
    {
        byte[] payload = Pattern(10);
        foreach (int form in new[] { 16, 64 })
        {
            var h = new Harness(WebSocketRole.Server).Feed(Wire.Frame(2, payload, maskKey: Wire.Key, lengthForm: form));
            Assert.Equal(payload, Assert.Single(h.Events).Data);
        }
    }

    [Fact]
    public void Section_5_6_OneEventPerCall_ConsumesOnlyItsFrame()
    {
        byte[] a = Wire.Client(1, Wire.Utf8("first"));
        byte[] b = Wire.Client(2, new byte[] { 1, 2, 3 });
        byte[] input = Wire.Concat(a, b);
        var p = new WebSocketProtocol(WebSocketRole.Server);
        var dest = new byte[64];
        Assert.Equal(ReceiveStatus.MessageData, p.Receive(input, dest, out ReceiveResult r1));
        Assert.Equal(a.Length, r1.BytesConsumed);
        Assert.Equal(5, r1.BytesWritten);
        Assert.True(r1.EndOfMessage);
        Assert.Equal(MessageKind.Text, r1.MessageKind);
        Assert.Equal(ReceiveStatus.MessageData, p.Receive(input.AsSpan(r1.BytesConsumed), dest, out ReceiveResult r2));
        Assert.Equal(b.Length, r2.BytesConsumed);
        Assert.Equal(MessageKind.Binary, r2.MessageKind);
        Assert.Equal(new byte[] { 1, 2, 3 }, dest.AsSpan(0, 3).ToArray());
        Assert.Equal(ReceiveStatus.NeedMoreData, p.Receive(default, dest, out ReceiveResult r3));
        Assert.Equal(0, r3.BytesConsumed);
    }

    [Fact]
    public void Section_5_2_HeaderSplitAtEveryPosition_IsReassembled()
    {
        byte[] payload = Pattern(300);
        byte[] frame = Wire.Client(2, payload);
        for (int split = 0; split <= frame.Length; split++)
        {
            var h = new Harness(WebSocketRole.Server).Feed(frame[..split], frame[split..]);
            Assert.Equal(payload, Assert.Single(h.Events).Data);
        }
        // Every byte of the header (and the payload) in its own call.
        var bytewise = new Harness(WebSocketRole.Server);
        foreach (byte x in frame) bytewise.FeedPiece(new[] { x });
        Assert.Equal(payload, Assert.Single(bytewise.Events).Data);
    }

    [Fact]
    public void Section_5_2_SmallDestination_DeliversTheMessageInChunks()
    {
        byte[] payload = Pattern(1000);
        var p = new WebSocketProtocol(WebSocketRole.Client);
        byte[] input = Wire.Server(2, payload);
        var dest = new byte[7];
        var received = new List<byte>();
        int offset = 0, calls = 0;
        while (true)
        {
            Assert.Equal(ReceiveStatus.MessageData, p.Receive(input.AsSpan(offset), dest, out ReceiveResult r));
            calls++;
            offset += r.BytesConsumed;
            received.AddRange(dest.AsSpan(0, r.BytesWritten).ToArray());
            Assert.Equal(received.Count == payload.Length, r.EndOfMessage);
            if (r.EndOfMessage) break;
            Assert.Equal(7, r.BytesWritten);
        }
        Assert.Equal(input.Length, offset);
        Assert.Equal(payload, received.ToArray());
        Assert.Equal((1000 + 6) / 7, calls);
    }

    [Fact]
    public void Section_5_2_PayloadArrivingLater_IsDeliveredAsItComes()
    {
        byte[] payload = Pattern(50);
        byte[] frame = Wire.Client(1, payload);
        var p = new WebSocketProtocol(WebSocketRole.Server);
        var dest = new byte[100];
        // Header only: the header is consumed, no data yet.
        Assert.Equal(ReceiveStatus.NeedMoreData, p.Receive(frame.AsSpan(0, 6), dest, out ReceiveResult r0));
        Assert.Equal(6, r0.BytesConsumed);
        Assert.Equal(ReceiveStatus.MessageData, p.Receive(frame.AsSpan(6, 20), dest, out ReceiveResult r1));
        Assert.Equal((20, 20, false), (r1.BytesConsumed, r1.BytesWritten, r1.EndOfMessage));
        Assert.Equal(payload[..20], dest[..20]);
        Assert.Equal(ReceiveStatus.MessageData, p.Receive(frame.AsSpan(26), dest, out ReceiveResult r2));
        Assert.Equal((30, 30, true), (r2.BytesConsumed, r2.BytesWritten, r2.EndOfMessage));
        Assert.Equal(payload[20..], dest[..30]);
    }

    [Fact]
    public void Section_5_1_ServerFailsAnUnmaskedClientFrame()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Server(1, Wire.Utf8("hello")));
        Assert.Equal(ProtocolViolation.UnmaskedFrameFromClient, Assert.Single(h.Events).Violation);
        Assert.Equal(CloseCodes.ProtocolError, h.DrainClose().CloseCode);
    }

    [Fact]
    public void Section_5_1_ClientFailsAMaskedServerFrame()
    {
        var h = new Harness(WebSocketRole.Client).Feed(Wire.Client(1, Wire.Utf8("hello")));
        Assert.Equal(ProtocolViolation.MaskedFrameFromServer, Assert.Single(h.Events).Violation);
        ParsedFrame close = h.DrainClose();
        Assert.Equal(CloseCodes.ProtocolError, close.CloseCode);
        Assert.True(close.Masked); // §5.3: a client masks every frame, the close too
    }

    [Theory]
    [InlineData(WebSocketRole.Server, 1, 1)] [InlineData(WebSocketRole.Server, 2, 1)] [InlineData(WebSocketRole.Server, 4, 2)]
    [InlineData(WebSocketRole.Server, 7, 2)] [InlineData(WebSocketRole.Server, 4, 9)] [InlineData(WebSocketRole.Server, 1, 8)]
    [InlineData(WebSocketRole.Server, 2, 0)] [InlineData(WebSocketRole.Client, 4, 1)] [InlineData(WebSocketRole.Client, 3, 10)]
    public void Section_5_2_RsvBitsWithoutExtension_Fail(WebSocketRole role, int rsv, int opcode)
    {
        byte[] before = opcode == 0 ? Wire.To(role, 1, Wire.Utf8("a"), fin: false) : Array.Empty<byte>();
        byte[] payload = opcode == 8 ? Wire.ClosePayload(1000) : Wire.Utf8("x");
        var h = new Harness(role).Feed(before, Wire.To(role, opcode, payload, rsv: rsv));
        Assert.Equal(ProtocolViolation.ReservedBitsSet, h.Error!.Violation);
        Assert.Equal(CloseCodes.ProtocolError, h.DrainClose().CloseCode);
    }

    [Fact]
    public void Section_5_2_NegotiatedRsv1_IsAllowedOnlyOnTheFirstDataFrame()
    {
        // RFC 7692 §6: RSV1 marks a compressed message on its first frame; never on continuations or control frames.
        // "Hello" compressed, as in RFC 7692 §7.2.3.1, split over two frames.
        byte[] hello = { 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 };
        var deflate = WsCore.Compression.PerMessageDeflateParameters.Default;
        var h = new Harness(WebSocketRole.Server, perMessageDeflate: deflate);
        h.Feed(Wire.Client(1, hello[..3], fin: false, rsv: 4), Wire.Client(0, hello[3..]));
        Assert.Equal("Hello"u8.ToArray(), Assert.Single(h.Events).Data);
        h.Feed(Wire.Client(1, hello[..3], fin: false, rsv: 4), Wire.Client(0, hello[3..], rsv: 4));
        Assert.Equal(ProtocolViolation.ReservedBitsSet, h.Error!.Violation);

        var c = new Harness(WebSocketRole.Server, perMessageDeflate: deflate);
        c.Feed(Wire.Client(9, default, rsv: 4));
        Assert.Equal(ProtocolViolation.ReservedBitsSet, c.Error!.Violation);

        var d = new Harness(WebSocketRole.Server, perMessageDeflate: deflate);
        d.Feed(Wire.Client(2, default, rsv: 2)); // RSV2 is still not negotiated
        Assert.Equal(ProtocolViolation.ReservedBitsSet, d.Error!.Violation);

        var e = new Harness(WebSocketRole.Server);
        e.Feed(Wire.Client(1, hello, rsv: 4)); // RSV1 without the extension
        Assert.Equal(ProtocolViolation.ReservedBitsSet, e.Error!.Violation);
    }

    [Theory]
    [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)]
    [InlineData(11)] [InlineData(12)] [InlineData(13)] [InlineData(14)] [InlineData(15)]
    public void Section_5_2_ReservedOpcodes_Fail_InBothRoles(int opcode)
    {
        foreach (WebSocketRole role in new[] { WebSocketRole.Server, WebSocketRole.Client })
        {
            var h = new Harness(role).Feed(Wire.To(role, opcode, Wire.Utf8("payload")));
            Assert.Equal(ProtocolViolation.ReservedOpcode, Assert.Single(h.Events).Violation);
            Assert.Equal(CloseCodes.ProtocolError, h.DrainClose().CloseCode);
        }
    }

    [Fact]
    public void Section_5_2_TopBitLength_ThroughTheStateMachine_OneShotAndBytewise()
    {
        // CVE-2020-13935: a 64-bit length with the top bit set must end parsing, not loop.
        byte[] header = Wire.Hex("82FF FFFFFFFFFFFFFFFF 01020304");
        var oneShot = new Harness(WebSocketRole.Server).Feed(header);
        Assert.Equal(ProtocolViolation.InvalidPayloadLength, Assert.Single(oneShot.Events).Violation);
        Assert.Equal(CloseCodes.ProtocolError, oneShot.DrainClose().CloseCode);
        var bytewise = new Harness(WebSocketRole.Server);
        for (int i = 0; i < header.Length; i++)
        {
            bytewise.FeedPiece(header.AsSpan(i, 1));
            // The header is judged once complete (its mask key included): the error comes with byte 13, never later.
            Assert.Equal(i >= 13, bytewise.Error is not null);
        }
        Assert.Equal(13, bytewise.Error!.Piece);
    }

    [Fact]
    public void Section_8_1_InvalidUtf8_FailsOnThePieceWithTheFirstBadByte()
    {
        byte[] payload = Wire.Concat(Wire.Utf8("hello κόσμε "), new byte[] { 0xED, 0xA0, 0x80 }, Wire.Utf8(" world"));
        byte[] frame = Wire.Client(1, payload);
        int badIndex = 6 + Wire.Utf8("hello κόσμε ").Length + 1; // 0xA0 after 0xED is the first impossible byte
        var h = new Harness(WebSocketRole.Server, destinationSize: 5);
        for (int i = 0; i < frame.Length; i++)
        {
            h.FeedPiece(frame.AsSpan(i, 1));
            Assert.Equal(i >= badIndex, h.Error is not null);
        }
        Assert.Equal(ProtocolViolation.InvalidUtf8, h.Error!.Violation);
        Assert.Equal(CloseCodes.InvalidPayloadData, h.DrainClose().CloseCode);
    }

    [Fact]
    public void Section_8_1_TruncatedCodePointAtTheEndOfAMessage_Is1007()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(1, new byte[] { 0x61, 0xE2, 0x82 }));
        Assert.Equal(ProtocolViolation.InvalidUtf8, Assert.Single(h.Events).Violation);
    }

    [Fact]
    public void Section_5_6_BinaryMessages_AreNotUtf8Checked()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(2, new byte[] { 0xFF, 0xC0, 0xED, 0xA0 }));
        Assert.Equal(new byte[] { 0xFF, 0xC0, 0xED, 0xA0 }, Assert.Single(h.Events).Data);
    }

    [Fact]
    public void Section_5_3_ClientKeysAreApplied_PerFrame()
    {
        // Two frames with different keys, split mid-payload so the mask rotation carries across calls.
        byte[] a = Wire.Frame(2, Pattern(9), maskKey: new byte[] { 1, 2, 3, 4 });
        byte[] b = Wire.Frame(2, Pattern(11), maskKey: new byte[] { 0xF0, 0x0F, 0xAA, 0x55 });
        byte[] all = Wire.Concat(a, b);
        var h = new Harness(WebSocketRole.Server, destinationSize: 3).Feed(all[..9], all[9..17], all[17..]);
        Assert.Equal(new[] { Pattern(9), Pattern(11) }, h.Events.ConvertAll(e => e.Data));
    }

    [Fact]
    public void Receive_NeverThrows_OnEmptyInput()
    {
        var p = new WebSocketProtocol(WebSocketRole.Server);
        Assert.Equal(ReceiveStatus.NeedMoreData, p.Receive(default, default, out ReceiveResult r));
        Assert.Equal(0, r.BytesConsumed);
    }
    [Fact]
    public void Frames_are_counted_by_opcode_on_receive_and_send()
    {
        // Received: the fast path (a small whole message), the phases (a fragmented text message with a ping between its
        // fragments, a header split across two inputs, a 126-byte binary frame), a pong and a close.
        var h = new Harness(WebSocketRole.Server);
        byte[] split = Wire.Client(2, Pattern(126));
        h.Feed(
            Wire.Client(1, Wire.Utf8("hi")),
            Wire.Client(1, Wire.Utf8("ab"), fin: false),
            Wire.Client(9, new byte[] { 7 }),
            Wire.Client(0, Wire.Utf8("cd"), fin: false),
            Wire.Client(0, Wire.Utf8("ef")),
            split.AsSpan(0, 3).ToArray(), split.AsSpan(3).ToArray(),
            Wire.Client(0xA, default),
            Wire.Client(8, new byte[] { 0x03, 0xE8 }));
        WebSocketProtocol p = h.Protocol;
        Assert.Equal(2, p.FramesReceived(WebSocketOpcode.Continuation));
        Assert.Equal(2, p.FramesReceived(WebSocketOpcode.Text));
        Assert.Equal(1, p.FramesReceived(WebSocketOpcode.Binary));
        Assert.Equal(1, p.FramesReceived(WebSocketOpcode.Ping));
        Assert.Equal(1, p.FramesReceived(WebSocketOpcode.Pong));
        Assert.Equal(1, p.FramesReceived(WebSocketOpcode.Close));
        Assert.Equal(0, p.FramesReceived((WebSocketOpcode)0x3)); // reserved: never counted

        // Queued frames (the auto-pong and the close reply) count once written.
        Assert.Equal(0, p.FramesSent(WebSocketOpcode.Pong));
        Assert.Equal(0, p.FramesSent(WebSocketOpcode.Close));
        Assert.Equal(2, h.Drain().Count);
        Assert.Equal(1, p.FramesSent(WebSocketOpcode.Pong));
        Assert.Equal(1, p.FramesSent(WebSocketOpcode.Close));

        // Sent: fragments (small and large), a prepared message, pings and pongs, a close.
        var c = new WebSocketProtocol(WebSocketRole.Client);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.Equal(SendStatus.Done, c.WriteMessage(output, Pattern(3), MessageKind.Text, endOfMessage: false));
        Assert.Equal(SendStatus.Done, c.WriteMessage(output, Pattern(70_000), MessageKind.Text, endOfMessage: false));
        Assert.Equal(SendStatus.Done, c.WriteMessage(output, Pattern(3), MessageKind.Text, endOfMessage: true));
        Assert.Equal(SendStatus.Done, c.WriteMessage(output, Pattern(70_000), MessageKind.Binary, endOfMessage: true));
        Assert.Equal(SendStatus.Done, c.WritePreparedMessage(output, new PreparedMessage(Pattern(5), MessageKind.Binary)));
        Assert.Equal(SendStatus.Done, c.WritePing(output, default));
        Assert.Equal(SendStatus.Done, c.WritePing(output, default));
        Assert.Equal(SendStatus.Done, c.WritePong(output, default));
        Assert.Equal(SendStatus.PayloadTooLong, c.WritePing(output, new byte[126])); // refused: not written, not counted
        Assert.Equal(SendStatus.Done, c.WriteClose(output, CloseCodes.NormalClosure, default));
        Assert.Equal(SendStatus.Closed, c.WriteMessage(output, Pattern(3), MessageKind.Text, endOfMessage: true));
        Assert.Equal(2, c.FramesSent(WebSocketOpcode.Continuation));
        Assert.Equal(1, c.FramesSent(WebSocketOpcode.Text));
        Assert.Equal(2, c.FramesSent(WebSocketOpcode.Binary));
        Assert.Equal(2, c.FramesSent(WebSocketOpcode.Ping));
        Assert.Equal(1, c.FramesSent(WebSocketOpcode.Pong));
        Assert.Equal(1, c.FramesSent(WebSocketOpcode.Close));
        Assert.Equal(0, c.FramesReceived(WebSocketOpcode.Text));
    }

    [Fact]
    public void Frames_of_compressed_messages_are_counted_as_written_and_a_violating_frame_is_not()
    {
        var deflate = WsCore.Compression.PerMessageDeflateParameters.Default;
        var options = new WebSocketProtocolOptions { PerMessageDeflate = new WsCore.Compression.PerMessageDeflateOptions { Enabled = true } };
        using var client = new WebSocketProtocol(WebSocketRole.Client, options, deflate);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.Equal(SendStatus.Done, client.WriteMessage(output, Pattern(1000), MessageKind.Text, endOfMessage: true));
        Assert.Equal(1, client.FramesSent(WebSocketOpcode.Text));
        var h = new Harness(WebSocketRole.Server, options, perMessageDeflate: deflate).Feed(output.WrittenSpan.ToArray());
        Assert.Equal(Pattern(1000), Assert.Single(h.Events).Data);
        Assert.Equal(1, h.Protocol.FramesReceived(WebSocketOpcode.Text));

        // A reserved opcode is a violation, not a frame.
        var bad = new Harness(WebSocketRole.Server).Feed(Wire.Client(3, default));
        Assert.Equal(ProtocolViolation.ReservedOpcode, bad.Error?.Violation);
        for (int op = 0; op <= 0xF; op++) Assert.Equal(0, bad.Protocol.FramesReceived((WebSocketOpcode)op));
    }
}
