using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.4: fragmented messages.</summary>
public class FragmentationTests
{
    [Fact]
    public void Section_5_4_FragmentsFormOneMessage()
    {
        var h = new Harness(WebSocketRole.Server).Feed(
            Wire.Client(1, Wire.Utf8("frag1 "), fin: false), Wire.Client(0, Wire.Utf8("frag2 "), fin: false), Wire.Client(0, Wire.Utf8("frag3")));
        Event e = Assert.Single(h.Events);
        Assert.Equal(MessageKind.Text, e.Type);
        Assert.Equal(Wire.Utf8("frag1 frag2 frag3"), e.Data);
    }

    [Fact]
    public void Section_5_4_EndOfMessage_OnlyOnTheFinalFragment_AndTypeCarriesOver()
    {
        var p = new WebSocketProtocol(WebSocketRole.Client);
        var dest = new byte[16];
        byte[] input = Wire.Concat(Wire.Server(2, new byte[] { 1 }, fin: false), Wire.Server(0, default, fin: false), Wire.Server(0, new byte[] { 2 }));
        int offset = 0;
        var flags = new List<(int, bool, MessageKind)>();
        while (offset < input.Length)
        {
            Assert.Equal(ReceiveStatus.MessageData, p.Receive(input.AsSpan(offset), dest, out ReceiveResult r));
            offset += r.BytesConsumed;
            flags.Add((r.BytesWritten, r.EndOfMessage, r.MessageKind));
        }
        Assert.Equal(new[] { (1, false, MessageKind.Binary), (0, false, MessageKind.Binary), (1, true, MessageKind.Binary) }, flags);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Section_5_4_ContinuationWithoutStart_Fails(bool fin)
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(0, Wire.Utf8("orphan"), fin: fin));
        Assert.Equal(ProtocolViolation.UnexpectedContinuation, Assert.Single(h.Events).Violation);
        Assert.Equal(CloseCodes.ProtocolError, h.DrainClose().CloseCode);
    }

    [Fact]
    public void Section_5_4_ContinuationAfterACompleteMessage_Fails()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(1, Wire.Utf8("done")), Wire.Client(0, Wire.Utf8("more")));
        Assert.Equal(2, h.Events.Count);
        Assert.Equal(ProtocolViolation.UnexpectedContinuation, h.Error!.Violation);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    public void Section_5_4_NewDataFrameInsideAFragmentedMessage_Fails(int first, int second)
    {
        foreach (bool secondFin in new[] { true, false })
        {
            var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(first, Wire.Utf8("a"), fin: false), Wire.Client(second, Wire.Utf8("b"), fin: secondFin));
            Assert.Equal(ProtocolViolation.ExpectedContinuation, Assert.Single(h.Events).Violation);
            Assert.Equal(CloseCodes.ProtocolError, h.DrainClose().CloseCode);
            Assert.Equal(Wire.Utf8("a"), h.PartialMessage);
        }
    }

    [Fact]
    public void Section_5_4_ControlFramesMayInterleave()
    {
        var h = new Harness(WebSocketRole.Server).Feed(
            Wire.Client(1, Wire.Utf8("fragment1"), fin: false),
            Wire.Client(9, Wire.Utf8("ping payload")),
            Wire.Client(0, Wire.Utf8("fragment2"), fin: false),
            Wire.Client(10, Wire.Utf8("pong")),
            Wire.Client(0, Wire.Utf8("fragment3")));
        Assert.Equal(new[] { ReceiveStatus.Ping, ReceiveStatus.Pong, ReceiveStatus.MessageData }, h.Events.ConvertAll(e => e.Kind));
        Assert.Equal(Wire.Utf8("ping payload"), h.Events[0].Data);
        Assert.Equal(Wire.Utf8("fragment1fragment2fragment3"), h.Events[2].Data);
        ParsedFrame pong = Assert.Single(h.Drain());
        Assert.Equal(WebSocketOpcode.Pong, pong.Opcode);
        Assert.Equal(Wire.Utf8("ping payload"), pong.Payload);
    }

    [Fact]
    public void Section_5_4_CloseInsideAFragmentedMessage_EndsIt()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(1, Wire.Utf8("half"), fin: false), Wire.Client(8, Wire.ClosePayload(1000)), Wire.Client(0, Wire.Utf8("rest")));
        Assert.Equal(ReceiveStatus.Close, Assert.Single(h.Events).Kind);
        Assert.Equal(1000, h.DrainClose().CloseCode);
    }

    [Fact]
    public void Section_5_4_Utf8CodePointSplitAcrossFragments_IsValid()
    {
        byte[] text = Wire.Utf8("κόσμε𤭢");
        for (int split = 0; split <= text.Length; split++)
        {
            var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(1, text[..split], fin: false), Wire.Client(0, text[split..]));
            Assert.Equal(text, Assert.Single(h.Events).Data);
        }
    }

    [Fact]
    public void Section_5_4_EmptyFragments_FormAnEmptyMessage()
    {
        var h = new Harness(WebSocketRole.Server).Feed(Wire.Client(1, default, fin: false), Wire.Client(0, default, fin: false), Wire.Client(0, default));
        Event e = Assert.Single(h.Events);
        Assert.Empty(e.Data);
        Assert.Equal(MessageKind.Text, e.Type);
    }

    [Fact]
    public void Section_5_4_SixteenMiBMessage_StreamsThroughASmallDestination()
    {
        // 16 MiB (the default frame limit, exactly) in one masked frame, then again as 4 fragments, fed in 64 KiB
        // pieces through a 4 KiB destination: the engine never holds more than one destination of it.
        const int Size = 16 * 1024 * 1024;
        var payloadKey = new byte[] { 0x11, 0x22, 0x33, 0x44 };
        foreach (int fragments in new[] { 1, 4 })
        {
            var input = new byte[Size + fragments * 14];
            int w = 0;
            int fragmentSize = Size / fragments;
            for (int f = 0; f < fragments; f++)
            {
                byte[] header = Wire.Frame(f == 0 ? 2 : 0, default, fin: f == fragments - 1, maskKey: payloadKey, announcedLength: fragmentSize);
                header.CopyTo(input, w);
                w += header.Length;
                for (int i = 0; i < fragmentSize; i++) input[w + i] = (byte)((byte)(f * fragmentSize + i) ^ payloadKey[i & 3]);
                w += fragmentSize;
            }
            var p = new WebSocketProtocol(WebSocketRole.Server);
            var dest = new byte[4096];
            long delivered = 0;
            int offset = 0;
            bool end = false;
            while (offset < w && !end)
            {
                int pieceEnd = Math.Min(w, offset + 65536);
                ReceiveStatus s = p.Receive(input.AsSpan(offset, pieceEnd - offset), dest, out ReceiveResult r);
                offset += r.BytesConsumed;
                if (s == ReceiveStatus.NeedMoreData) continue;
                Assert.Equal(ReceiveStatus.MessageData, s);
                Assert.True(r.BytesWritten <= dest.Length);
                for (int i = 0; i < r.BytesWritten; i += 509) Assert.Equal((byte)(delivered + i), dest[i]);
                delivered += r.BytesWritten;
                end = r.EndOfMessage;
            }
            Assert.True(end);
            Assert.Equal(Size, delivered);
            Assert.Equal(w, offset);
        }
    }

    [Theory]
    [InlineData((MessageKind)0)]
    [InlineData((MessageKind)3)]
    [InlineData((MessageKind)8)]
    public void Section_5_4_SendSide_RefusesAnUndefinedMessageType(MessageKind type)
    {
        var p = new WebSocketProtocol(WebSocketRole.Server);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentOutOfRangeException>(() => p.WriteMessage(output, new byte[] { 1 }, type, true));
        Assert.Equal(0, output.WrittenCount);
    }
}
