using System.Buffers;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.5.1 and §7: the closing handshake and its states.</summary>
public class ClosingHandshakeTests
{
    [Theory]
    [InlineData(WebSocketRole.Server)]
    [InlineData(WebSocketRole.Client)]
    public void Section_5_5_1_PeerClose_IsAnsweredOnce_EchoingItsCode(WebSocketRole role)
    {
        var h = new Harness(role);
        Assert.Equal(CloseHandshakeState.Open, h.Protocol.State);
        h.Feed(Wire.To(role, 8, Wire.ClosePayload(4001, "bye")));
        Event close = Assert.Single(h.Events);
        Assert.Equal(ReceiveStatus.Close, close.Kind);
        Assert.Equal(4001, close.Code);
        Assert.Equal(Wire.Utf8("bye"), close.Data);
        Assert.Equal(4001, h.Protocol.PeerCloseCode);
        Assert.True(h.Protocol.IsCloseReceived);
        Assert.True(h.Protocol.IsCloseSent);
        Assert.Equal(CloseHandshakeState.Closed, h.Protocol.State);
        Assert.False(h.Protocol.CanCloseTransport); // the reply is still queued
        ParsedFrame reply = h.DrainClose();
        Assert.Equal(4001, reply.CloseCode);
        Assert.Equal(2, reply.Payload.Length);
        Assert.Equal(role == WebSocketRole.Client, reply.Masked);
        Assert.True(h.Protocol.CanCloseTransport);
        // Exactly once: nothing more, whatever the application or the peer does.
        Assert.Equal(SendStatus.Closed, h.Protocol.WriteClose(h.Output, 1000, default));
        h.Feed(Wire.To(role, 8, Wire.ClosePayload(1000)));
        Assert.Empty(h.Drain());
    }

    [Fact]
    public void Section_5_5_1_EmptyPeerClose_IsNoStatus_AndAnsweredWithAnEmptyClose()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(8, default));
        Assert.Equal(CloseCodes.NoStatusReceived, Assert.Single(h.Events).Code);
        Assert.True(h.Protocol.PeerCloseReason.IsEmpty);
        Assert.Empty(h.DrainClose().Payload);
    }

    [Fact]
    public void Section_7_1_4_AutoCloseReplyOff_WaitsForTheApplication()
    {
        var h = new Harness(WebSocketRole.Server, new WebSocketProtocolOptions { AutoCloseReply = false });
        h.Feed(Wire.Client(8, Wire.ClosePayload(1001, "away")));
        Assert.Equal(CloseHandshakeState.CloseReceived, h.Protocol.State);
        Assert.False(h.Protocol.HasPendingOutput);
        Assert.False(h.Protocol.IsCloseSent);
        Assert.False(h.Protocol.CanCloseTransport);
        Assert.Equal(Wire.Utf8("away"), h.Protocol.PeerCloseReason.ToArray());
        // Later data from the peer is ignored.
        h.Feed(Wire.Client(1, Wire.Utf8("ignored")), Wire.Client(9, default));
        Assert.Single(h.Events);
        Assert.Equal(SendStatus.Done, h.Protocol.WriteClose(h.Output, 1000, Wire.Utf8("ok")));
        Assert.Equal(CloseHandshakeState.Closed, h.Protocol.State);
        Assert.True(h.Protocol.CanCloseTransport);
        ParsedFrame reply = h.DrainClose();
        Assert.Equal(1000, reply.CloseCode);
        Assert.Equal(SendStatus.Closed, h.Protocol.WriteClose(h.Output, 1000, default));
        Assert.Empty(h.Drain());
    }

    [Theory]
    [InlineData(WebSocketRole.Server)]
    [InlineData(WebSocketRole.Client)]
    public void Section_7_1_2_LocalCloseFirst_ThenPeerClose(WebSocketRole role)
    {
        var h = new Harness(role);
        Assert.Equal(SendStatus.Done, h.Protocol.WriteClose(h.Output, 1000, Wire.Utf8("done")));
        Assert.Equal(CloseHandshakeState.CloseSent, h.Protocol.State);
        ParsedFrame close = Assert.Single(h.Drain());
        Assert.Equal((WebSocketOpcode.Close, (ushort)1000), (close.Opcode, close.CloseCode));
        Assert.Equal(Wire.Utf8("done"), close.Payload[2..]);
        Assert.False(h.Protocol.CanCloseTransport);
        // Still receives data until the peer's close.
        h.Feed(Wire.To(role, 2, new byte[] { 1, 2 }));
        Assert.Equal(new byte[] { 1, 2 }, Assert.Single(h.Events).Data);
        h.Feed(Wire.To(role, 8, Wire.ClosePayload(1000)));
        Assert.Equal(ReceiveStatus.Close, h.Events[^1].Kind);
        Assert.Equal(CloseHandshakeState.Closed, h.Protocol.State);
        Assert.Empty(h.Drain()); // not answered a second time
        Assert.True(h.Protocol.CanCloseTransport);
    }

    [Fact]
    public void Section_5_5_1_NothingIsSentAfterClose()
    {
        var h = new Harness(WebSocketRole.Client);
        Assert.Equal(SendStatus.Done, h.Protocol.WriteMessage(h.Output, Wire.Utf8("start"), MessageKind.Text, false));
        Assert.Equal(SendStatus.Done, h.Protocol.WriteClose(h.Output, 1001, default));
        int written = h.Output.WrittenCount;
        Assert.Equal(SendStatus.Closed, h.Protocol.WriteMessage(h.Output, Wire.Utf8("more"), MessageKind.Text, true));
        Assert.Equal(SendStatus.Closed, h.Protocol.WritePing(h.Output, default));
        Assert.Equal(SendStatus.Closed, h.Protocol.WritePong(h.Output, default));
        Assert.Equal(SendStatus.Closed, h.Protocol.WriteClose(h.Output, 1000, default));
        Assert.Equal(0, h.Protocol.WritePendingOutput(h.Output));
        Assert.Equal(written, h.Output.WrittenCount);
        // A protocol error after our close fails the connection without a second close frame.
        h.Feed(Wire.Server(3, default));
        Assert.Equal(ProtocolViolation.ReservedOpcode, h.Error!.Violation);
        Assert.Equal(CloseHandshakeState.Closed, h.Protocol.State);
        Assert.Equal(written, h.Output.WrittenCount);
        Assert.False(h.Protocol.HasPendingOutput);
        Assert.True(h.Protocol.CanCloseTransport);
    }

    [Fact]
    public void Section_5_5_1_DataAfterThePeersClose_IsIgnored()
    {
        byte[] input = Wire.Concat(Wire.Client(8, Wire.ClosePayload(1000)), Wire.Client(1, Wire.Utf8("late")), Wire.Client(3, default));
        var h = new Harness(WebSocketRole.Server).Feed(input, Wire.Client(9, default), new byte[] { 0xFF, 0xFF, 0xFF });
        Assert.Equal(ReceiveStatus.Close, Assert.Single(h.Events).Kind);
        Assert.Equal(ProtocolViolation.None, h.Protocol.Violation);
        Assert.Equal(1000, h.DrainClose().CloseCode);
    }

    [Fact]
    public void Section_5_5_1_OneBytePayload_Is1002()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(8, new byte[] { 0x03 }));
        Assert.Equal(ProtocolViolation.OneByteClosePayload, Assert.Single(h.Events).Violation);
        Assert.Equal(CloseCodes.ProtocolError, h.DrainClose().CloseCode);
        Assert.False(h.Protocol.IsCloseReceived);
    }

    [Fact]
    public void Section_5_5_1_InvalidUtf8Reason_Is1007()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(8, Wire.Concat(Wire.ClosePayload(1000), Wire.Hex("cebae1bdb9cf83cebcceb5eda080656469746564"))));
        Assert.Equal(ProtocolViolation.InvalidUtf8CloseReason, Assert.Single(h.Events).Violation);
        Assert.Equal(CloseCodes.InvalidPayloadData, h.DrainClose().CloseCode);
    }

    [Fact]
    public void Section_5_5_CloseReasonOf123_IsAccepted_124_Fails()
    {
        var ok = new Harness(WebSocketRole.Server).Feed(Wire.Client(8, Wire.ClosePayload(1000, new string('*', 123))));
        Assert.Equal(123, Assert.Single(ok.Events).Data.Length);
        var tooLong = new Harness(WebSocketRole.Server).Feed(Wire.Client(8, Wire.ClosePayload(1000, new string('*', 124))));
        Assert.Equal(ProtocolViolation.ControlFrameTooLong, Assert.Single(tooLong.Events).Violation);
    }

    [Theory]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(999)]
    [InlineData(2000)]
    [InlineData(5000)]
    public void Section_7_4_1_SendSideRefusesReservedCodes(int code)
    {
        var p = new WebSocketProtocol(WebSocketRole.Server);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(SendStatus.InvalidCloseCode, p.WriteClose(output, (ushort)code, default));
        Assert.Equal(0, output.WrittenCount);
        Assert.Equal(CloseHandshakeState.Open, p.State);
        Assert.False(p.IsCloseSent);
    }

    [Fact]
    public void Section_5_5_1_SendSideRefusesLongOrInvalidReasons()
    {
        var p = new WebSocketProtocol(WebSocketRole.Server);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(SendStatus.PayloadTooLong, p.WriteClose(output, 1000, new byte[124]));
        Assert.Equal(SendStatus.InvalidUtf8, p.WriteClose(output, 1000, new byte[] { 0xC3, 0x28 }));
        Assert.Equal(0, output.WrittenCount);
        Assert.Equal(CloseHandshakeState.Open, p.State);
        Assert.Equal(SendStatus.Done, p.WriteClose(output, 1000, new byte[123]));
        Assert.Equal(123, Assert.Single(Wire.ParseFrames(output.WrittenSpan)).Payload.Length - 2);
    }

    [Fact]
    public void Section_7_QueuedPong_IsWrittenBeforeTheCloseReply()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(9, Wire.Utf8("p")), Wire.Client(8, Wire.ClosePayload(1000)));
        List<ParsedFrame> frames = h.Drain();
        Assert.Equal(new[] { WebSocketOpcode.Pong, WebSocketOpcode.Close }, frames.ConvertAll(f => f.Opcode));
    }

    [Fact]
    public void Section_7_ProtocolError_ClosesAtOnce_AndTheTransportMayCloseAfterTheFrameIsWritten()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(1, new byte[] { 0xFF }));
        Assert.Equal(CloseHandshakeState.Closed, h.Protocol.State);
        Assert.True(h.Protocol.IsCloseSent);
        Assert.False(h.Protocol.IsCloseReceived);
        Assert.False(h.Protocol.CanCloseTransport);
        Assert.Equal(CloseCodes.InvalidPayloadData, h.DrainClose().CloseCode);
        Assert.True(h.Protocol.CanCloseTransport);
    }

    [Fact]
    public void Section_5_4_SendSide_FragmentsAndTypeMismatch()
    {
        var p = new WebSocketProtocol(WebSocketRole.Server);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(SendStatus.Done, p.WriteMessage(output, Wire.Utf8("a"), MessageKind.Text, false));
        Assert.Equal(SendStatus.MessageKindMismatch, p.WriteMessage(output, Wire.Utf8("b"), MessageKind.Binary, false));
        Assert.Equal(SendStatus.Done, p.WritePing(output, default)); // control frames may interleave
        Assert.Equal(SendStatus.Done, p.WriteMessage(output, Wire.Utf8("b"), MessageKind.Text, true));
        Assert.Equal(SendStatus.Done, p.WriteMessage(output, new byte[] { 1 }, MessageKind.Binary, true));
        List<ParsedFrame> frames = Wire.ParseFrames(output.WrittenSpan);
        Assert.Equal(new[] { (WebSocketOpcode.Text, false), (WebSocketOpcode.Ping, true), (WebSocketOpcode.Continuation, true), (WebSocketOpcode.Binary, true) },
            frames.ConvertAll(f => (f.Opcode, f.Fin)));
        Assert.All(frames, f => Assert.False(f.Masked));
    }
}
