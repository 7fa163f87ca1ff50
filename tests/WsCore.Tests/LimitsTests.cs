using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>Configured limits (frame, message, fragments) and their 1009 failures; no counter overflows near 2^63.</summary>
public class LimitsTests
{
    [Fact]
    public void MaxFramePayload_ExactlyAllowed_OneMoreFails1009()
    {
        var options = new WebSocketProtocolOptions { MaxFramePayloadLength = 1000 };
        var ok = new Harness(WebSocketRole.Server, options).Feed(Wire.Client(2, new byte[1000]));
        Assert.Equal(1000, Assert.Single(ok.Events).Data.Length);
        var h = new Harness(WebSocketRole.Server, options).Feed(Wire.Client(2, new byte[1001]));
        Assert.Equal(ProtocolViolation.FrameTooLarge, Assert.Single(h.Events).Violation);
        Assert.Equal(CloseCodes.MessageTooBig, h.DrainClose().CloseCode);
    }

    [Fact]
    public void MaxFramePayload_IsJudgedOnTheHeader_BeforeAnyPayloadArrives()
    {
        var h = new Harness(WebSocketRole.Client).Feed(Wire.Frame(2, default, announcedLength: 16 * 1024 * 1024 + 1));
        Assert.Equal(ProtocolViolation.FrameTooLarge, Assert.Single(h.Events).Violation);
    }

    [Fact]
    public void MaxMessage_ExactlyAllowed_OneMoreFails1009()
    {
        var options = new WebSocketProtocolOptions { MaxMessageLength = 300 };
        var ok = new Harness(WebSocketRole.Server, options).Feed(Wire.Client(1, new byte[100], fin: false), Wire.Client(0, new byte[200]));
        Assert.Equal(300, Assert.Single(ok.Events).Data.Length);
        // The limit applies per message: a second message of the same size is fine.
        ok.Feed(Wire.Client(2, new byte[300]));
        Assert.Equal(2, ok.Events.Count);
        var h = new Harness(WebSocketRole.Server, options).Feed(Wire.Client(1, new byte[100], fin: false), Wire.Client(0, new byte[200], fin: false), Wire.Client(0, new byte[1]));
        Assert.Equal(ProtocolViolation.MessageTooLarge, Assert.Single(h.Events).Violation);
        Assert.Equal(CloseCodes.MessageTooBig, h.DrainClose().CloseCode);
    }

    [Fact]
    public void Cve_2020_27813_LengthsNear2Pow63_FailWith1009_WithDefaultLimits()
    {
        foreach (WebSocketRole role in new[] { WebSocketRole.Server, WebSocketRole.Client })
        {
            byte[] header = Wire.Frame(2, default, maskKey: role == WebSocketRole.Server ? Wire.Key : null, announcedLength: long.MaxValue);
            var h = new Harness(role).Feed(header);
            Assert.Equal(ProtocolViolation.FrameTooLarge, Assert.Single(h.Events).Violation);
            Assert.Equal(CloseCodes.MessageTooBig, h.DrainClose().CloseCode);
        }
    }

    [Fact]
    public void Cve_2020_27813_MessageLengthNeverOverflows_WithUnboundedLimits()
    {
        var unbounded = new WebSocketProtocolOptions { MaxFramePayloadLength = long.MaxValue, MaxMessageLength = long.MaxValue };
        // 10 bytes, then a continuation announcing 2^63-1: the running total would overflow a naive sum.
        var h = new Harness(WebSocketRole.Client, unbounded).Feed(
            Wire.Server(2, new byte[10], fin: false), Wire.Frame(0, default, fin: true, announcedLength: long.MaxValue));
        Assert.Equal(ProtocolViolation.MessageTooLarge, Assert.Single(h.Events).Violation);
        Assert.Equal(CloseCodes.MessageTooBig, h.DrainClose().CloseCode);

        // A single frame of 2^63-1 is allowed by these limits: its payload streams and nothing goes negative.
        var big = new Harness(WebSocketRole.Client, unbounded, destinationSize: 1000);
        big.Feed(Wire.Frame(2, default, fin: false, announcedLength: long.MaxValue));
        for (int i = 0; i < 50; i++) big.FeedPiece(new byte[4096]);
        Assert.Empty(big.Events);
        Assert.Equal(50 * 4096, big.PartialMessage.Length);
        Assert.Equal(CloseHandshakeState.Open, big.Protocol.State);
    }

    [Fact]
    public void Cve_2020_27813_MessageJustUnderTheLimit_ThenOneMore_AtMaxLong()
    {
        var options = new WebSocketProtocolOptions { MaxFramePayloadLength = long.MaxValue, MaxMessageLength = long.MaxValue - 5 };
        var h = new Harness(WebSocketRole.Client, options).Feed(Wire.Frame(2, default, fin: false, announcedLength: long.MaxValue - 4));
        Assert.Equal(ProtocolViolation.MessageTooLarge, Assert.Single(h.Events).Violation);
    }

    [Fact]
    public void Cve_2026_48779_FloodOfOneByteFragments_EndsWith1009_AtTheLimit()
    {
        // Default limit: 131072 frames per message. Feed 131072 one-byte fragments (all accepted), then one more.
        int limit = WebSocketProtocolOptions.Default.MaxFragmentsPerMessage;
        Assert.Equal(131072, limit);
        byte[] first = Wire.Client(2, new byte[] { 7 }, fin: false);
        byte[] next = Wire.Client(0, new byte[] { 7 }, fin: false);
        var input = new byte[first.Length + next.Length * limit];
        first.CopyTo(input, 0);
        for (int i = 1; i <= limit; i++) next.CopyTo(input, first.Length + (i - 1) * next.Length);
        var p = new WebSocketProtocol(WebSocketRole.Server);
        var dest = new byte[16];
        int offset = 0, fragments = 0;
        ReceiveStatus s;
        while (true)
        {
            s = p.Receive(input.AsSpan(offset), dest, out ReceiveResult r);
            offset += r.BytesConsumed;
            if (s != ReceiveStatus.MessageData) break;
            Assert.Equal(1, r.BytesWritten);
            fragments++;
        }
        Assert.Equal(ReceiveStatus.ProtocolError, s);
        Assert.Equal(limit, fragments);
        Assert.Equal(input.Length, offset);
        Assert.Equal(ProtocolViolation.TooManyFragments, p.Violation);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        p.WritePendingOutput(output);
        Assert.Equal(CloseCodes.MessageTooBig, Assert.Single(Wire.ParseFrames(output.WrittenSpan)).CloseCode);
    }

    [Fact]
    public void MaxFragments_CountsEmptyFragments_AndResetsPerMessage()
    {
        var options = new WebSocketProtocolOptions { MaxFragmentsPerMessage = 3 };
        var h = new Harness(WebSocketRole.Server, options).Feed(
            Wire.Client(1, default, fin: false), Wire.Client(0, default, fin: false), Wire.Client(0, default),
            Wire.Client(1, default, fin: false), Wire.Client(9, default), Wire.Client(0, default, fin: false), Wire.Client(0, default));
        Assert.Equal(new[] { ReceiveStatus.MessageData, ReceiveStatus.Ping, ReceiveStatus.MessageData }, h.Events.ConvertAll(e => e.Kind));
        h.Feed(Wire.Client(2, default, fin: false), Wire.Client(0, default, fin: false), Wire.Client(0, default, fin: false), Wire.Client(0, default));
        Assert.Equal(ProtocolViolation.TooManyFragments, h.Error!.Violation);
    }

    [Fact]
    public void MaxFragments_AtIntMaxValue_TheCounterNeverWraps()
    {
        // 2^31 fragments cannot be fed in a test, so the counter is set just below the limit by reflection (white box).
        var options = new WebSocketProtocolOptions { MaxFragmentsPerMessage = int.MaxValue };
        var h = new Harness(WebSocketRole.Server, options).Feed(Wire.Client(2, default, fin: false));
        var field = typeof(WebSocketProtocol).GetField("_context", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        object context = field.GetValue(h.Protocol)!;
        typeof(ReceiveContext).GetField(nameof(ReceiveContext.MessageFragments))!.SetValue(context, int.MaxValue - 1);
        field.SetValue(h.Protocol, context);
        h.Feed(Wire.Client(0, default, fin: false)); // fragment number int.MaxValue: still allowed
        Assert.Null(h.Error);
        h.Feed(Wire.Client(0, default, fin: false)); // one more than the limit: must fail, not wrap around
        Assert.Equal(ProtocolViolation.TooManyFragments, h.Error?.Violation);
    }

    [Fact]
    public void ControlFrames_DoNotCountTowardsTheMessageLimits()
    {
        var options = new WebSocketProtocolOptions { MaxFragmentsPerMessage = 2, MaxMessageLength = 10 };
        var h = new Harness(WebSocketRole.Server, options).Feed(
            Wire.Client(1, new byte[5], fin: false), Wire.Client(9, new byte[125]), Wire.Client(10, new byte[125]), Wire.Client(0, new byte[5]));
        Assert.Equal(new[] { ReceiveStatus.Ping, ReceiveStatus.Pong, ReceiveStatus.MessageData }, h.Events.ConvertAll(e => e.Kind));
    }

    [Fact]
    public void Options_RefuseLimitsThatWouldFailEveryMessage()
    {
        // A negative length limit or a zero fragment limit would silently fail every message with 1009.
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocketProtocolOptions { MaxFramePayloadLength = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocketProtocolOptions { MaxMessageLength = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocketProtocolOptions { MaxFragmentsPerMessage = 0 });
        var zero = new WebSocketProtocolOptions { MaxFramePayloadLength = 0, MaxMessageLength = 0, MaxFragmentsPerMessage = 1 };
        var h = new Harness(WebSocketRole.Server, zero).Feed(Wire.Client(1, default), Wire.Client(2, new byte[1]));
        Assert.Equal(ReceiveStatus.MessageData, h.Events[0].Kind);
        Assert.Equal(ProtocolViolation.FrameTooLarge, h.Error!.Violation);
    }
}
