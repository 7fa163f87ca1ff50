using System.Buffers.Binary;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Fuzz;

/// <summary>
/// <c>receive-server</c> / <c>receive-client</c>: the <see cref="WebSocketProtocol"/> receive path fed a peer's byte
/// stream. Input layout: byte 0 = behaviour flags and split mode, byte 1 = limits, byte 2 = split seed, byte 3 =
/// application actions; the rest is the stream. The stream is fed in input-chosen chunks with input-chosen
/// destination sizes (a trickle stream); after every call the engine's pending output is drained and parsed as the
/// peer would (<see cref="OutputChecker"/>), and the application may interleave its own writes.
/// </summary>
/// <remarks>
/// Invariants: counts within bounds; progress on every call; NeedMoreData consumes everything; no event after Close or
/// ProtocolError; messages within MaxMessageLength (and MaxFramePayloadLength × MaxFragmentsPerMessage); text
/// messages valid UTF-8 and every delivered prefix a valid UTF-8 prefix (fail-fast); the peer's close code and reason
/// valid; the auto-pong echoes the ping; the close reply / failure close carries the right code; send results as
/// documented; the whole transcript of events equals the one from feeding the stream in one piece, and matches
/// <see cref="ReceiveModel"/>, an independent frame-by-frame model of the RFC rules.
/// </remarks>
public sealed class ReceiveTarget : IFuzzTarget
{
    private static readonly long[] s_frameLimits = [0, 5, 126, 1 << 20];
    private static readonly long[] s_messageLimits = [3, 130, 1000, 1 << 22];
    private static readonly int[] s_fragmentLimits = [1, 2, 5, 1000];
    private static readonly int[] s_maxChunk = [int.MaxValue, 1, 2, 3, 7, 16, 64, 300];
    private static readonly int[] s_maxDestination = [1 << 16, 1, 2, 3, 8, 16, 125, 1000];
    private static readonly ushort[] s_sendCodes = [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1014, 1015, 1016, 2999, 3000, 4999, 5000, 0, 999];

    private readonly WebSocketRole _role;

    /// <summary>Creates the target for one role.</summary>
    public ReceiveTarget(WebSocketRole role) => _role = role;

    /// <inheritdoc/>
    public string Name => _role == WebSocketRole.Server ? "receive-server" : "receive-client";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 4) return;
        byte flags = input[0], limits = input[1], splitSeed = input[2], actions = input[3];
        ReadOnlySpan<byte> stream = input.Slice(4);
        var options = new WebSocketProtocolOptions
        {
            AutoPong = (flags & 1) != 0,
            AutoCloseReply = (flags & 2) != 0,
            MaxFramePayloadLength = s_frameLimits[limits & 3],
            MaxMessageLength = s_messageLimits[(limits >> 2) & 3],
            MaxFragmentsPerMessage = s_fragmentLimits[(limits >> 4) & 3],
        };
        int maxChunk = s_maxChunk[(flags >> 2) & 7];
        int maxDestination = s_maxDestination[(flags >> 5) & 7];

        List<ReceiveEvent> split = RunStream(stream, options, maxChunk, maxDestination, new SplitSchedule(splitSeed | (uint)limits << 8), actions);
        List<ReceiveEvent> whole = RunStream(stream, options, int.MaxValue, Math.Max(stream.Length, 1), new SplitSchedule(1), 0);
        CompareTranscripts(whole, split, exact: true, "split input");
        CompareTranscripts(whole, ReceiveModel.Run(stream, _role, options), exact: false, "the reference model");
    }

    private static void CompareTranscripts(List<ReceiveEvent> engine, List<ReceiveEvent> other, bool exact, string what)
    {
        int n = Math.Min(engine.Count, other.Count);
        for (int i = 0; i < n; i++)
        {
            bool same = exact ? engine[i].Matches(other[i]) && engine[i].Violations == other[i].Violations : engine[i].Matches(other[i]);
            if (!same) throw new FuzzInvariantException($"event {i} differs from {what}: engine {engine[i]}, {what} {other[i]}");
        }
        if (engine.Count != other.Count)
            throw new FuzzInvariantException($"engine reported {engine.Count} events, {what} {other.Count}; first extra: {(engine.Count > n ? engine[n] : other[n])}");
    }

    private List<ReceiveEvent> RunStream(ReadOnlySpan<byte> stream, WebSocketProtocolOptions options, int maxChunk, int maxDestination, SplitSchedule schedule, byte actions)
    {
        var proto = new WebSocketProtocol(_role, options);
        var peer = new OutputChecker(_role);
        var transcript = new List<ReceiveEvent>();
        var message = new List<byte>();
        var textPrefix = new Utf8PrefixCheck();
        MessageKind? messageType = null;
        bool terminal = false;
        byte[] destination = new byte[maxDestination];
        int actionRate = actions & 3; // 0 never, 1 rarely, 2 often, 3 after every call
        var actionSchedule = new SplitSchedule((uint)actions * 7919u + 11u);
        var app = new AppState();
        long maxMessageBound = Math.Min(options.MaxMessageLength, options.MaxFramePayloadLength * options.MaxFragmentsPerMessage);

        int position = 0;
        int calls = 0, zeroProgress = 0;
        int maxCalls = 4 * stream.Length + 64;
        do
        {
            int chunkLength = Math.Min(schedule.Next(Math.Min(maxChunk, stream.Length + 1)), stream.Length - position);
            if (maxChunk == int.MaxValue) chunkLength = stream.Length - position;
            ReadOnlySpan<byte> chunk = stream.Slice(position, chunkLength);
            int offset = 0;
            while (true)
            {
                Oracle.Check(++calls <= maxCalls, "more than {0} Receive calls: no progress", maxCalls);
                int destinationLength = schedule.Next(maxDestination);
                bool closeSentBefore = proto.IsCloseSent;
                int remaining = chunk.Length - offset;
                ReceiveStatus status = proto.Receive(chunk.Slice(offset), destination.AsSpan(0, destinationLength), out ReceiveResult r);
                Oracle.Check(r.BytesConsumed >= 0 && r.BytesConsumed <= remaining, "BytesConsumed {0} outside the input", r.BytesConsumed);
                Oracle.Check(r.BytesWritten >= 0 && r.BytesWritten <= destinationLength, "BytesWritten {0} outside the destination", r.BytesWritten);
                Oracle.Check(status == ReceiveStatus.MessageData || r.BytesWritten == 0, "{0} wrote message bytes", status);
                if (terminal) Oracle.Check(status == ReceiveStatus.NeedMoreData, "{0} after the connection closed", status);
                if (r.BytesConsumed == 0 && status != ReceiveStatus.NeedMoreData)
                    Oracle.Check(++zeroProgress <= 2, "{0} events in a row consumed nothing", zeroProgress);
                else
                    zeroProgress = 0;
                offset += r.BytesConsumed;

                List<WrittenFrame> written = DrainAndCheck(proto, peer);
                switch (status)
                {
                    case ReceiveStatus.NeedMoreData:
                        Oracle.Check(r.BytesConsumed == remaining, "NeedMoreData left {0} bytes unconsumed", remaining - r.BytesConsumed);
                        Oracle.Check(written.Count == 0, "NeedMoreData queued output");
                        break;

                    case ReceiveStatus.MessageData:
                        Oracle.Check(r.MessageKind is MessageKind.Text or MessageKind.Binary, "message type {0}", r.MessageKind);
                        Oracle.Check(messageType is null || messageType == r.MessageKind, "message type changed inside a message");
                        Oracle.Check(written.Count == 0, "message data queued output");
                        messageType = r.MessageKind;
                        message.AddRange(destination.AsSpan(0, r.BytesWritten));
                        Oracle.Check(message.Count <= maxMessageBound, "message of {0} bytes exceeds the configured limits", message.Count);
                        if (r.MessageKind == MessageKind.Text)
                        {
                            ReadOnlySpan<byte> text = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(message);
                            if (r.EndOfMessage)
                                Oracle.Check(System.Text.Unicode.Utf8.IsValid(text), "text message is not valid UTF-8");
                            else
                                Oracle.Check(textPrefix.IsValidPrefix(text), "delivered text is not a valid UTF-8 prefix (not fail-fast)");
                        }
                        if (r.EndOfMessage)
                        {
                            transcript.Add(new ReceiveEvent('M', r.MessageKind, message.ToArray(), 0));
                            message.Clear(); textPrefix = default;
                            messageType = null;
                        }
                        break;

                    case ReceiveStatus.Ping:
                    case ReceiveStatus.Pong:
                    {
                        ReadOnlySpan<byte> payload = proto.ControlPayload;
                        Oracle.Check(payload.Length <= FrameHeader.MaxControlPayloadLength, "control payload of {0} bytes", payload.Length);
                        transcript.Add(new ReceiveEvent(status == ReceiveStatus.Ping ? 'P' : 'O', default, payload.ToArray(), 0));
                        if (status == ReceiveStatus.Ping && options.AutoPong && !closeSentBefore)
                        {
                            Oracle.Check(written.Count == 1 && written[0].Opcode == WebSocketOpcode.Pong, "auto-pong was not written");
                            Oracle.Equal(payload, written[0].Payload, "auto-pong payload");
                        }
                        else
                        {
                            Oracle.Check(written.Count == 0, "unexpected output after a ping or pong");
                        }
                        break;
                    }

                    case ReceiveStatus.Close:
                    {
                        terminal = true;
                        Oracle.Check(r.BytesConsumed == remaining, "Close left input unconsumed");
                        ushort code = proto.PeerCloseCode;
                        ReadOnlySpan<byte> reason = proto.PeerCloseReason;
                        ReadOnlySpan<byte> payload = proto.ControlPayload;
                        Oracle.Check(proto.IsCloseReceived, "IsCloseReceived is false after Close");
                        Oracle.Check(code == CloseCodes.NoStatusReceived || CloseCodes.IsValidOnWire(code), "peer close code {0}", code);
                        Oracle.Check(reason.Length <= ClosePayload.MaxReasonLength && System.Text.Unicode.Utf8.IsValid(reason), "peer close reason invalid");
                        if (code == CloseCodes.NoStatusReceived)
                        {
                            Oracle.Check(payload.IsEmpty && reason.IsEmpty, "1005 with a payload");
                        }
                        else
                        {
                            Oracle.Check(payload.Length == reason.Length + 2 && BinaryPrimitives.ReadUInt16BigEndian(payload) == code, "close payload does not match the code");
                            Oracle.Equal(payload.Slice(2), reason, "close reason");
                        }
                        if (closeSentBefore || options.AutoCloseReply)
                            Oracle.Check(proto.State == CloseHandshakeState.Closed, "state {0} after the closing handshake", proto.State);
                        else
                            Oracle.Check(proto.State == CloseHandshakeState.CloseReceived, "state {0} after the peer's close", proto.State);
                        if (!closeSentBefore && options.AutoCloseReply)
                        {
                            Oracle.Check(written.Count == 1 && written[0].Opcode == WebSocketOpcode.Close, "close reply was not written");
                            byte[] expected = code == CloseCodes.NoStatusReceived ? [] : payload.Slice(0, 2).ToArray();
                            Oracle.Equal(expected, written[0].Payload, "close reply payload");
                        }
                        else
                        {
                            Oracle.Check(written.Count == 0, "unexpected output after the peer's close");
                        }
                        transcript.Add(new ReceiveEvent('C', default, payload.ToArray(), 0));
                        message.Clear(); textPrefix = default;
                        messageType = null;
                        break;
                    }

                    case ReceiveStatus.ProtocolError:
                    {
                        terminal = true;
                        Oracle.Check(r.BytesConsumed == remaining, "ProtocolError left input unconsumed");
                        ProtocolViolation v = proto.Violation;
                        Oracle.Check(v != ProtocolViolation.None && Enum.IsDefined(v), "ProtocolError with violation {0}", v);
                        Oracle.Check(proto.State == CloseHandshakeState.Closed, "state {0} after a protocol error", proto.State);
                        Oracle.Check(ProtocolViolations.GetDescription(v).Length is > 0 and <= ClosePayload.MaxReasonLength, "description of {0}", v);
                        if (!closeSentBefore)
                        {
                            Oracle.Check(written.Count == 1 && written[0].Opcode == WebSocketOpcode.Close, "failure close was not written");
                            Oracle.Check(written[0].Payload.Length == 2 && BinaryPrimitives.ReadUInt16BigEndian(written[0].Payload) == ProtocolViolations.GetCloseCode(v),
                                "failure close code for {0}", v);
                        }
                        else
                        {
                            Oracle.Check(written.Count == 0, "a close was written twice");
                        }
                        transcript.Add(new ReceiveEvent('E', default, [], ReceiveModel.Bit(v)));
                        message.Clear(); textPrefix = default;
                        messageType = null;
                        break;
                    }

                    default:
                        throw new FuzzInvariantException($"undefined ReceiveStatus {status}");
                }

                if (actionRate != 0 && actionSchedule.Next(8) <= (actionRate == 1 ? 1 : actionRate == 2 ? 4 : 8))
                    ApplicationAction(proto, peer, ref actionSchedule, ref app);

                if (status == ReceiveStatus.NeedMoreData) break;
            }
            position += chunkLength;
        }
        while (position < stream.Length);

        Oracle.Check(!proto.HasPendingOutput, "output still pending after a drain");
        if (proto.State == CloseHandshakeState.Closed) Oracle.Check(proto.CanCloseTransport, "closed but the transport may not be closed");
        return transcript;
    }

    private static List<WrittenFrame> DrainAndCheck(WebSocketProtocol proto, OutputChecker peer)
    {
        bool hadPending = proto.HasPendingOutput;
        int n = proto.WritePendingOutput(peer.Writer);
        Oracle.Check(hadPending == (n > 0), "HasPendingOutput was {0} but WritePendingOutput disagreed", hadPending);
        Oracle.Check(!proto.HasPendingOutput, "pending output left after WritePendingOutput");
        List<WrittenFrame> frames = peer.TakeNewFrames();
        if (frames.Count > 0 && frames[^1].Opcode == WebSocketOpcode.Close)
            Oracle.Check(proto.IsCloseSent && proto.State is CloseHandshakeState.CloseSent or CloseHandshakeState.Closed, "a close was written but the state is {0}", proto.State);
        return frames;
    }

    private struct AppState
    {
        public bool InMessage;
        public MessageKind Type;
    }

    /// <summary>The application writes something: a data fragment, a ping, a pong or a close (valid or not).</summary>
    private static void ApplicationAction(WebSocketProtocol proto, OutputChecker peer, ref SplitSchedule s, ref AppState app)
    {
        bool closeSent = proto.IsCloseSent;
        CloseHandshakeState before = proto.State;
        int kind = s.Next(4);
        SendStatus status;
        SendStatus expected;
        WebSocketOpcode expectedOpcode;
        byte[] payload;
        switch (kind)
        {
            case 1:
            {
                payload = Bytes(ref s, s.Next(300) - 1);
                MessageKind type = s.Next(2) == 1 ? MessageKind.Text : MessageKind.Binary;
                bool end = s.Next(2) == 1;
                status = proto.WriteMessage(peer.Writer, payload, type, end);
                expected = closeSent ? SendStatus.Closed : app.InMessage && app.Type != type ? SendStatus.MessageKindMismatch : SendStatus.Done;
                expectedOpcode = app.InMessage ? WebSocketOpcode.Continuation : (WebSocketOpcode)type;
                if (status == SendStatus.Done && expected == SendStatus.Done)
                {
                    if (!app.InMessage) app.Type = type;
                    app.InMessage = !end;
                }
                break;
            }
            case 2:
            case 3:
            {
                payload = Bytes(ref s, s.Next(130) - 1);
                bool ping = kind == 2;
                status = ping ? proto.WritePing(peer.Writer, payload) : proto.WritePong(peer.Writer, payload);
                expected = closeSent ? SendStatus.Closed : payload.Length > FrameHeader.MaxControlPayloadLength ? SendStatus.PayloadTooLong : SendStatus.Done;
                expectedOpcode = ping ? WebSocketOpcode.Ping : WebSocketOpcode.Pong;
                break;
            }
            default:
            {
                ushort code = s_sendCodes[s.Next(s_sendCodes.Length) - 1];
                int reasonKind = s.Next(4);
                byte[] reason = reasonKind switch
                {
                    1 => [],
                    2 => "bye"u8.ToArray(),
                    3 => [0xC3, 0x28],
                    _ => Ascii(ClosePayload.MaxReasonLength + s.Next(3) - 2),
                };
                status = proto.WriteClose(peer.Writer, code, reason);
                expected = closeSent ? SendStatus.Closed
                    : !CloseCodes.IsValidToSend(code) ? SendStatus.InvalidCloseCode
                    : reason.Length > ClosePayload.MaxReasonLength ? SendStatus.PayloadTooLong
                    : !System.Text.Unicode.Utf8.IsValid(reason) ? SendStatus.InvalidUtf8
                    : SendStatus.Done;
                expectedOpcode = WebSocketOpcode.Close;
                payload = new byte[2 + reason.Length];
                BinaryPrimitives.WriteUInt16BigEndian(payload, code);
                reason.CopyTo(payload.AsSpan(2));
                if (status == SendStatus.Done)
                {
                    Oracle.Check(proto.IsCloseSent, "IsCloseSent false after WriteClose");
                    CloseHandshakeState want = proto.IsCloseReceived ? CloseHandshakeState.Closed : CloseHandshakeState.CloseSent;
                    Oracle.Check(proto.State == want, "state {0} after WriteClose", proto.State);
                }
                break;
            }
        }
        Oracle.Check(status == expected, "send returned " + status + ", expected " + expected);
        List<WrittenFrame> frames = peer.TakeNewFrames();
        if (status == SendStatus.Done)
        {
            Oracle.Check(frames.Count == 1 && frames[0].Opcode == expectedOpcode, "send wrote {0} frames", frames.Count);
            Oracle.Equal(payload, frames[0].Payload, "sent payload");
        }
        else
        {
            Oracle.Check(frames.Count == 0, "a refused send wrote {0} frames", frames.Count);
            Oracle.Check(proto.State == before, "a refused send changed the state");
        }
    }

    private static byte[] Bytes(ref SplitSchedule s, int length)
    {
        byte[] b = new byte[length];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)(0x61 + s.Next(26) - 1);
        return b;
    }

    private static byte[] Ascii(int length)
    {
        byte[] b = new byte[length];
        b.AsSpan().Fill((byte)'r');
        return b;
    }

    /// <summary>True when the bytes are valid UTF-8 or valid UTF-8 cut inside the last code point.</summary>
}

/// <summary>
/// Whether a growing message is still a prefix of valid UTF-8, reading each new byte about once: it remembers how many
/// leading bytes are whole, valid code points and decodes (with the runtime's <see cref="System.Text.Rune"/>, not WsCore)
/// only from there. Checking the whole prefix again at every delivered piece was quadratic: a 57 KB text message
/// delivered a byte at a time took seconds and AFL reported it as a hang.
/// </summary>
internal struct Utf8PrefixCheck
{
    private int _whole;

    /// <summary>True if <paramref name="message"/> (the previous message grown at its end) is a valid UTF-8 prefix.</summary>
    public bool IsValidPrefix(ReadOnlySpan<byte> message)
    {
        int i = _whole;
        while (i < message.Length)
        {
            System.Buffers.OperationStatus s = System.Text.Rune.DecodeFromUtf8(message.Slice(i), out _, out int n);
            if (s != System.Buffers.OperationStatus.Done)
            {
                _whole = i;
                return s == System.Buffers.OperationStatus.NeedMoreData; // an unfinished but so far valid code point
            }
            i += n;
        }
        _whole = i;
        return true;
    }
}
