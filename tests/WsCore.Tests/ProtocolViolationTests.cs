using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// The violation table: every <see cref="ProtocolViolation"/> has a close code, a description, and (where the core can
/// see it) a byte sequence that triggers it, ends parsing and puts exactly that code on the wire.
/// </summary>
public class ProtocolViolationTests
{
    private static readonly WebSocketProtocolOptions SmallLimits = new() { MaxFramePayloadLength = 100, MaxMessageLength = 150, MaxFragmentsPerMessage = 3 };

    /// <summary>For each violation: the role that receives, the options, and the bytes that trigger it.</summary>
    private static (WebSocketRole Role, WebSocketProtocolOptions? Options, byte[] Bytes)? Trigger(ProtocolViolation v) => v switch
    {
        ProtocolViolation.ReservedBitsSet => (WebSocketRole.Server, null, Wire.Client(1, Wire.Utf8("x"), rsv: 1)), // §5.2
        ProtocolViolation.ReservedOpcode => (WebSocketRole.Server, null, Wire.Client(3, default)), // §5.2
        ProtocolViolation.FragmentedControlFrame => (WebSocketRole.Server, null, Wire.Client(9, default, fin: false)), // §5.5
        ProtocolViolation.ControlFrameTooLong => (WebSocketRole.Server, null, Wire.Client(9, new byte[126])), // §5.5
        ProtocolViolation.UnmaskedFrameFromClient => (WebSocketRole.Server, null, Wire.Server(2, new byte[3])), // §5.1
        ProtocolViolation.MaskedFrameFromServer => (WebSocketRole.Client, null, Wire.Client(2, new byte[3])), // §5.1
        ProtocolViolation.InvalidPayloadLength => (WebSocketRole.Client, null, Wire.Hex("827F8000000000000000")), // §5.2
        ProtocolViolation.UnexpectedContinuation => (WebSocketRole.Server, null, Wire.Client(0, Wire.Utf8("x"))), // §5.4
        ProtocolViolation.ExpectedContinuation => (WebSocketRole.Server, null, Wire.Concat(Wire.Client(1, Wire.Utf8("a"), fin: false), Wire.Client(2, Wire.Utf8("b")))), // §5.4
        ProtocolViolation.InvalidUtf8 => (WebSocketRole.Server, null, Wire.Client(1, new byte[] { 0x61, 0xFF })), // §8.1
        ProtocolViolation.InvalidCloseCode => (WebSocketRole.Server, null, Wire.Client(8, Wire.ClosePayload(1005))), // §7.4
        ProtocolViolation.OneByteClosePayload => (WebSocketRole.Server, null, Wire.Client(8, new byte[] { 0x03 })), // §5.5.1
        ProtocolViolation.InvalidUtf8CloseReason => (WebSocketRole.Server, null, Wire.Client(8, Wire.Concat(Wire.ClosePayload(1000), new byte[] { 0xC0, 0x80 }))), // §5.5.1
        ProtocolViolation.FrameTooLarge => (WebSocketRole.Client, SmallLimits, Wire.Server(2, new byte[101])),
        ProtocolViolation.MessageTooLarge => (WebSocketRole.Client, SmallLimits, Wire.Concat(Wire.Server(2, new byte[100], fin: false), Wire.Server(0, new byte[51]))),
        ProtocolViolation.TooManyFragments => (WebSocketRole.Client, SmallLimits, Wire.Concat(Wire.Server(2, new byte[1], fin: false), Wire.Server(0, new byte[1], fin: false), Wire.Server(0, new byte[1], fin: false), Wire.Server(0, new byte[1]))),
        _ => null, // None; InvalidCompressedData needs permessage-deflate, which the core does not decode
    };

    public static TheoryData<ProtocolViolation> AllViolations()
    {
        var data = new TheoryData<ProtocolViolation>();
        foreach (ProtocolViolation v in Enum.GetValues<ProtocolViolation>()) data.Add(v);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllViolations))]
    public void EveryViolation_HasACloseCodeThatMayBeSent_AndAShortAsciiDescription(ProtocolViolation v)
    {
        ushort code = ProtocolViolations.GetCloseCode(v);
        Assert.True(CloseCodes.IsValidToSend(code));
        string d = ProtocolViolations.GetDescription(v);
        Assert.True(d.Length <= ClosePayload.MaxReasonLength);
        Assert.All(d, c => Assert.InRange(c, ' ', '~'));
        if (v != ProtocolViolation.None) Assert.NotEqual("", d);
    }

    [Theory]
    [InlineData(ProtocolViolation.InvalidUtf8, CloseCodes.InvalidPayloadData)]
    [InlineData(ProtocolViolation.InvalidUtf8CloseReason, CloseCodes.InvalidPayloadData)]
    [InlineData(ProtocolViolation.InvalidCompressedData, CloseCodes.InvalidPayloadData)]
    [InlineData(ProtocolViolation.FrameTooLarge, CloseCodes.MessageTooBig)]
    [InlineData(ProtocolViolation.MessageTooLarge, CloseCodes.MessageTooBig)]
    [InlineData(ProtocolViolation.TooManyFragments, CloseCodes.MessageTooBig)]
    [InlineData(ProtocolViolation.ReservedBitsSet, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.ReservedOpcode, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.FragmentedControlFrame, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.ControlFrameTooLong, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.UnmaskedFrameFromClient, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.MaskedFrameFromServer, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.InvalidPayloadLength, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.UnexpectedContinuation, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.ExpectedContinuation, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.InvalidCloseCode, CloseCodes.ProtocolError)]
    [InlineData(ProtocolViolation.OneByteClosePayload, CloseCodes.ProtocolError)]
    public void Table_MatchesTheRfc(ProtocolViolation v, ushort code)
    {
        Assert.Equal(code, ProtocolViolations.GetCloseCode(v));
    }

    [Theory]
    [MemberData(nameof(AllViolations))]
    public void EveryViolation_IsTriggeredByBytes_AndPutsItsCodeOnTheWire(ProtocolViolation v)
    {
        var trigger = Trigger(v);
        if (trigger is null)
        {
            Assert.True(v is ProtocolViolation.None or ProtocolViolation.InvalidCompressedData, $"no trigger for {v}");
            return;
        }
        var (role, options, bytes) = trigger.Value;
        foreach (bool bytewise in new[] { false, true })
        {
            var h = new Harness(role, options);
            if (bytewise) { foreach (byte b in bytes) h.FeedPiece(new[] { b }); }
            else h.FeedPiece(bytes);
            // Parsing stops: more input (even a valid frame) produces nothing.
            h.FeedPiece(Wire.To(role, 1, Wire.Utf8("after")));
            h.FeedPiece(Wire.To(role, 9, default));
            Event error = Assert.Single(h.Events, e => e.Kind == ReceiveStatus.ProtocolError);
            Assert.Same(error, h.Events[^1]);
            Assert.Equal(v, error.Violation);
            Assert.Equal(v, h.Protocol.Violation);
            Assert.Equal(CloseHandshakeState.Closed, h.Protocol.State);
            Assert.True(h.Protocol.HasPendingOutput);
            Assert.False(h.Protocol.CanCloseTransport);
            ParsedFrame close = h.DrainClose();
            Assert.Equal(ProtocolViolations.GetCloseCode(v), close.CloseCode);
            Assert.Equal(role == WebSocketRole.Client, close.Masked);
            Assert.True(h.Protocol.CanCloseTransport);
            Assert.Empty(h.Drain()); // the close is sent once
            Assert.Equal(SendStatus.Closed, h.Protocol.WriteMessage(h.Output, Wire.Utf8("x"), MessageKind.Text, true));
        }
    }
}
