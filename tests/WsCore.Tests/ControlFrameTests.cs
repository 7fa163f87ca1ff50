using System.Buffers;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.5: control frames (ping, pong), auto-pong, and the rules for control frames.</summary>
public class ControlFrameTests
{
    [Theory]
    [InlineData(WebSocketRole.Server, 0)]
    [InlineData(WebSocketRole.Server, 125)]
    [InlineData(WebSocketRole.Client, 0)]
    [InlineData(WebSocketRole.Client, 125)]
    public void Section_5_5_2_PingIsAnsweredWithAPongCarryingItsPayload(WebSocketRole role, int length)
    {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++) payload[i] = (byte)(0xFE - i);
        var h = new Harness(role).Feed(Wire.To(role, 9, payload));
        Event ping = Assert.Single(h.Events);
        Assert.Equal(ReceiveStatus.Ping, ping.Kind);
        Assert.Equal(payload, ping.Data);
        Assert.True(h.Protocol.HasPendingOutput);
        ParsedFrame pong = Assert.Single(h.Drain());
        Assert.Equal(WebSocketOpcode.Pong, pong.Opcode);
        Assert.True(pong.Fin);
        Assert.Equal(payload, pong.Payload);
        Assert.Equal(role == WebSocketRole.Client, pong.Masked);
        Assert.False(h.Protocol.HasPendingOutput);
        Assert.Equal(CloseHandshakeState.Open, h.Protocol.State);
    }

    [Fact]
    public void Section_5_5_2_AutoPongOff_ReportsThePing_AndQueuesNothing()
    {
        var h = new Harness(WebSocketRole.Server, new WebSocketProtocolOptions { AutoPong = false }).Feed(Wire.Client(9, Wire.Utf8("hi")));
        Assert.Equal(ReceiveStatus.Ping, Assert.Single(h.Events).Kind);
        Assert.False(h.Protocol.HasPendingOutput);
        Assert.Empty(h.Drain());
        // The application answers itself.
        Assert.Equal(SendStatus.Done, h.Protocol.WritePong(h.Output, Wire.Utf8("hi")));
        Assert.Equal(Wire.Utf8("hi"), Assert.Single(h.Drain()).Payload);
    }

    [Fact]
    public void Section_5_5_3_UnsolicitedPong_IsReported_AndNotAnswered()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(10, Wire.Utf8("unsolicited")));
        Event pong = Assert.Single(h.Events);
        Assert.Equal(ReceiveStatus.Pong, pong.Kind);
        Assert.Equal(Wire.Utf8("unsolicited"), pong.Data);
        Assert.Empty(h.Drain());
    }

    [Fact]
    public void Section_5_5_2_EveryPingIsAnswered_WhenDrainedAfterEachEvent()
    {
        // Autobahn 2.10: ten pings in one read; an adapter that drains after each Ping event answers all ten.
        var input = new List<byte>();
        for (int i = 0; i < 10; i++) input.AddRange(Wire.Client(9, Wire.Utf8($"payload-{i}")));
        var p = new WebSocketProtocol(WebSocketRole.Server);
        var output = new ArrayBufferWriter<byte>();
        byte[] bytes = input.ToArray();
        int offset = 0;
        while (offset < bytes.Length)
        {
            Assert.Equal(ReceiveStatus.Ping, p.Receive(bytes.AsSpan(offset), default, out ReceiveResult r));
            offset += r.BytesConsumed;
            p.WritePendingOutput(output);
        }
        List<ParsedFrame> pongs = Wire.ParseFrames(output.WrittenSpan);
        Assert.Equal(10, pongs.Count);
        for (int i = 0; i < 10; i++) Assert.Equal(Wire.Utf8($"payload-{i}"), pongs[i].Payload);
    }

    [Fact]
    public void Section_5_5_2_UndrainedPings_LeaveAtLeastTheLatestAnswered()
    {
        // §5.5.3 allows answering only the most recent ping.
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(9, Wire.Utf8("one")), Wire.Client(9, Wire.Utf8("two")));
        ParsedFrame pong = Assert.Single(h.Drain());
        Assert.Equal(Wire.Utf8("two"), pong.Payload);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    public void Section_5_5_ControlFrameLongerThan125_Fails(int opcode)
    {
        foreach (int length in new[] { 126, 127, 65535, 65536 })
        {
            var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(opcode, new byte[length]));
            Assert.Equal(ProtocolViolation.ControlFrameTooLong, Assert.Single(h.Events).Violation);
            Assert.Equal(CloseCodes.ProtocolError, h.DrainClose().CloseCode);
        }
    }

    [Fact]
    public void Section_5_5_ControlFrameAnnouncing2Pow63Minus1_Fails()
    {
        var h = new Harness(WebSocketRole.Client).Feed(Wire.Frame(9, default, announcedLength: long.MaxValue));
        Assert.Equal(ProtocolViolation.ControlFrameTooLong, Assert.Single(h.Events).Violation);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    public void Section_5_5_ControlFrameWithoutFin_Fails(int opcode)
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(opcode, Wire.Utf8("x"), fin: false));
        Assert.Equal(ProtocolViolation.FragmentedControlFrame, Assert.Single(h.Events).Violation);
        Assert.Equal(CloseCodes.ProtocolError, h.DrainClose().CloseCode);
    }

    [Fact]
    public void Section_5_5_PingSplitBytewise_IsReassembled()
    {
        byte[] payload = new byte[125];
        Array.Fill(payload, (byte)0xFE);
        byte[] frame = Wire.Client(9, payload);
        var h = new Harness(WebSocketRole.Server);
        foreach (byte b in frame) h.FeedPiece(new[] { b });
        Assert.Equal(payload, Assert.Single(h.Events).Data);
        Assert.Equal(payload, Assert.Single(h.Drain()).Payload);
    }

    [Fact]
    public void Section_5_5_WritePingAndPong_Limits()
    {
        var p = new WebSocketProtocol(WebSocketRole.Client);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(SendStatus.PayloadTooLong, p.WritePing(output, new byte[126]));
        Assert.Equal(SendStatus.PayloadTooLong, p.WritePong(output, new byte[126]));
        Assert.Equal(0, output.WrittenCount);
        Assert.Equal(SendStatus.Done, p.WritePing(output, new byte[125]));
        Assert.Equal(SendStatus.Done, p.WritePong(output, Wire.Utf8("beat")));
        List<ParsedFrame> frames = Wire.ParseFrames(output.WrittenSpan);
        Assert.Equal(new[] { WebSocketOpcode.Ping, WebSocketOpcode.Pong }, frames.ConvertAll(f => f.Opcode));
        Assert.All(frames, f => Assert.True(f.Masked && f.Fin));
        Assert.Equal(Wire.Utf8("beat"), frames[1].Payload);
    }

    [Fact]
    public void Section_5_5_2_QueuedPong_IsWrittenBeforeTheNextApplicationFrame()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(9, Wire.Utf8("p")));
        Assert.Equal(SendStatus.Done, h.Protocol.WriteMessage(h.Output, Wire.Utf8("data"), MessageKind.Text, true));
        Assert.False(h.Protocol.HasPendingOutput);
        List<ParsedFrame> frames = Wire.ParseFrames(h.Output.WrittenSpan);
        Assert.Equal(new[] { WebSocketOpcode.Pong, WebSocketOpcode.Text }, frames.ConvertAll(f => f.Opcode));
    }

    [Fact]
    public void Section_5_5_2_NoPongAfterThisEndpointSentClose()
    {
        var h = new Harness(WebSocketRole.Server);
        Assert.Equal(SendStatus.Done, h.Protocol.WriteClose(h.Output, 1000, default));
        h.Output.ResetWrittenCount();
        h.Feed(Wire.Client(9, Wire.Utf8("late ping")));
        Assert.Equal(ReceiveStatus.Ping, Assert.Single(h.Events).Kind);
        Assert.False(h.Protocol.HasPendingOutput);
        Assert.Empty(h.Drain());
    }

    [Fact]
    public void Section_5_4_RefusedWrite_WritesNothing_EvenWithAPongQueued()
    {
        // SendStatus.MessageKindMismatch promises "nothing was written": the queued pong must stay queued.
        var h = new Harness(WebSocketRole.Server);
        Assert.Equal(SendStatus.Done, h.Protocol.WriteMessage(h.Output, Wire.Utf8("a"), MessageKind.Text, false));
        h.Output.ResetWrittenCount();
        h.Feed(Wire.Client(9, Wire.Utf8("p")));
        Assert.Equal(SendStatus.MessageKindMismatch, h.Protocol.WriteMessage(h.Output, new byte[] { 1 }, MessageKind.Binary, true));
        Assert.Equal(0, h.Output.WrittenCount);
        Assert.True(h.Protocol.HasPendingOutput);
        Assert.Equal(WebSocketOpcode.Pong, Assert.Single(h.Drain()).Opcode);
    }
}
