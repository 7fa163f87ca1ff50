using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>RFC 6455 §7.4: which close status codes may be received and sent.</summary>
public class CloseCodesTests
{
    /// <summary>The §7.4.1 / §7.4.2 rule, written independently: 1000-1003, 1007-1014 (IANA registered), 3000-4999.</summary>
    private static bool Receivable(int code) => code is 1000 or 1001 or 1002 or 1003 || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

    [Fact]
    public void Section_7_4_IsValidOnWire_ForEveryCode()
    {
        for (int code = 0; code <= 65535; code++)
        {
            Assert.Equal(Receivable(code), CloseCodes.IsValidOnWire(code));
            Assert.Equal(Receivable(code), CloseCodes.IsValidToSend(code));
        }
    }

    [Theory]
    [InlineData(1005)] [InlineData(1006)] [InlineData(1015)] [InlineData(0)] [InlineData(999)] [InlineData(1004)] [InlineData(1016)] [InlineData(2999)] [InlineData(5000)] [InlineData(65535)]
    public void Section_7_4_1_ReservedAndOutOfRangeCodes_CannotBeSent(int code)
    {
        Assert.False(CloseCodes.IsValidToSend(code));
    }

    [Fact]
    public void Section_7_4_EveryCode_ThroughTheStateMachine_ServerRole()
    {
        // Every 16-bit code as a received close frame: valid ones are accepted and echoed, the rest fail with 1002.
        var frame = Wire.Client(8, new byte[2]);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        Span<byte> destination = stackalloc byte[16];
        for (int code = 0; code <= 65535; code++)
        {
            // Re-mask the two code bytes in place.
            frame[6] = (byte)((code >> 8) ^ Wire.Key[0]);
            frame[7] = (byte)(code ^ Wire.Key[1]);
            var p = new WebSocketProtocol(WebSocketRole.Server);
            ReceiveStatus status = p.Receive(frame, destination, out ReceiveResult r);
            Assert.Equal(frame.Length, r.BytesConsumed);
            output.ResetWrittenCount();
            p.WritePendingOutput(output);
            ParsedFrame reply = Assert.Single(Wire.ParseFrames(output.WrittenSpan));
            Assert.Equal(WebSocketOpcode.Close, reply.Opcode);
            if (Receivable(code))
            {
                Assert.Equal(ReceiveStatus.Close, status);
                Assert.Equal(code, p.PeerCloseCode);
                Assert.Equal(code, reply.CloseCode); // §5.5.1: the reply echoes the code
            }
            else
            {
                Assert.Equal(ReceiveStatus.ProtocolError, status);
                Assert.Equal(ProtocolViolation.InvalidCloseCode, p.Violation);
                Assert.Equal(CloseCodes.ProtocolError, reply.CloseCode);
            }
            Assert.Equal(CloseHandshakeState.Closed, p.State);
            Assert.True(p.CanCloseTransport);
        }
    }

    [Fact]
    public void Section_7_4_EveryCode_ThroughThePayloadReader()
    {
        var payload = new byte[2];
        for (int code = 0; code <= 65535; code++)
        {
            payload[0] = (byte)(code >> 8);
            payload[1] = (byte)code;
            ClosePayloadStatus s = ClosePayload.Read(payload, out ushort read, out ReadOnlySpan<byte> reason);
            Assert.Equal(Receivable(code) ? ClosePayloadStatus.Valid : ClosePayloadStatus.InvalidCode, s);
            Assert.Equal(code, read);
            Assert.True(reason.IsEmpty);
        }
    }

    [Fact]
    public void Section_7_4_EveryCode_ThroughTheSendSide()
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        for (int code = 0; code <= 65535; code++)
        {
            var p = new WebSocketProtocol(WebSocketRole.Client);
            output.ResetWrittenCount();
            SendStatus s = p.WriteClose(output, (ushort)code, default);
            if (Receivable(code))
            {
                Assert.Equal(SendStatus.Done, s);
                Assert.Equal(code, Assert.Single(Wire.ParseFrames(output.WrittenSpan)).CloseCode);
                Assert.Equal(CloseHandshakeState.CloseSent, p.State);
            }
            else
            {
                Assert.Equal(SendStatus.InvalidCloseCode, s);
                Assert.Equal(0, output.WrittenCount);
                Assert.Equal(CloseHandshakeState.Open, p.State);
                Assert.False(p.IsCloseSent);
            }
        }
    }
}
