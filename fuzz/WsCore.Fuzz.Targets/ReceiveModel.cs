using System.Buffers;
using System.Buffers.Binary;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Fuzz;

/// <summary>One event of a receive transcript: a complete message, a ping, a pong, the peer's close, or a failure.</summary>
/// <param name="Kind">'M' message, 'P' ping, 'O' pong, 'C' close, 'E' protocol error.</param>
/// <param name="Type">The message type for 'M'.</param>
/// <param name="Data">The message or control payload (empty for 'E').</param>
/// <param name="Violations">For 'E': the engine's violation as a bit (1 &lt;&lt; value); from the model, every violation the frame commits.</param>
public readonly record struct ReceiveEvent(char Kind, MessageKind Type, byte[] Data, uint Violations)
{
    /// <summary>True when both events are the same (for 'E': the engine's violation is one the model allows).</summary>
    public bool Matches(ReceiveEvent model)
        => Kind == model.Kind && Type == model.Type && Data.AsSpan().SequenceEqual(model.Data)
           && (Kind != 'E' || (Violations & model.Violations) != 0);

    /// <inheritdoc/>
    public override string ToString() => Kind == 'E' ? $"E(0x{Violations:x})" : $"{Kind}{(Kind == 'M' ? Type.ToString() : "")}[{Convert.ToHexString(Data)}]";
}

/// <summary>
/// An independent, deliberately simple model of the RFC 6455 receive rules: it walks a complete byte stream frame
/// by frame (no splitting, no state carried across calls) and lists the events a conforming endpoint reports. When a
/// frame breaks several rules at once, every broken rule is listed and the engine may report any of them.
/// </summary>
public static class ReceiveModel
{
    /// <summary>The events for <paramref name="stream"/> received by an endpoint of <paramref name="role"/>.</summary>
    public static List<ReceiveEvent> Run(ReadOnlySpan<byte> stream, WebSocketRole role, WebSocketProtocolOptions options)
    {
        var events = new List<ReceiveEvent>();
        bool expectMasked = role == WebSocketRole.Server;
        bool inMessage = false;
        MessageKind type = default;
        var message = new List<byte>();
        var textPrefix = new Utf8PrefixCheck();
        int fragments = 0;
        int pos = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = stream.Slice(pos);
            OperationStatus hs = FrameHeader.TryRead(rest, out FrameHeader h, out int headerLength);
            if (hs == OperationStatus.NeedMoreData) return events;
            if (hs == OperationStatus.InvalidData)
            {
                events.Add(Error(ProtocolViolation.InvalidPayloadLength));
                return events;
            }

            uint v = 0;
            bool control = ((byte)h.Opcode & 0x8) != 0;
            bool continuation = h.Opcode == WebSocketOpcode.Continuation;
            if (h.ReservedBits != 0) v |= Bit(ProtocolViolation.ReservedBitsSet);
            if (h.Opcode is not (WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary
                or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong)) v |= Bit(ProtocolViolation.ReservedOpcode);
            if (h.IsMasked != expectMasked) v |= Bit(expectMasked ? ProtocolViolation.UnmaskedFrameFromClient : ProtocolViolation.MaskedFrameFromServer);
            if (control)
            {
                if (!h.Fin) v |= Bit(ProtocolViolation.FragmentedControlFrame);
                if (h.PayloadLength > 125) v |= Bit(ProtocolViolation.ControlFrameTooLong);
            }
            else
            {
                if (continuation && !inMessage) v |= Bit(ProtocolViolation.UnexpectedContinuation);
                if (!continuation && inMessage) v |= Bit(ProtocolViolation.ExpectedContinuation);
                long before = continuation ? message.Count : 0;
                int frags = continuation ? fragments : 0;
                if (h.PayloadLength > options.MaxFramePayloadLength) v |= Bit(ProtocolViolation.FrameTooLarge);
                if (before + h.PayloadLength > options.MaxMessageLength) v |= Bit(ProtocolViolation.MessageTooLarge);
                if (frags + 1 > options.MaxFragmentsPerMessage) v |= Bit(ProtocolViolation.TooManyFragments);
            }
            if (v != 0)
            {
                events.Add(new ReceiveEvent('E', default, [], v));
                return events;
            }

            ReadOnlySpan<byte> body = rest.Slice(headerLength);
            bool complete = body.Length >= h.PayloadLength;
            byte[] payload = body.Slice(0, (int)Math.Min(body.Length, h.PayloadLength)).ToArray();
            if (h.IsMasked)
            {
                for (int i = 0; i < payload.Length; i++) payload[i] ^= (byte)(h.MaskKey >> (8 * (i & 3)));
            }

            if (control)
            {
                if (!complete) return events;
                if (h.Opcode == WebSocketOpcode.Ping) events.Add(new ReceiveEvent('P', default, payload, 0));
                else if (h.Opcode == WebSocketOpcode.Pong) events.Add(new ReceiveEvent('O', default, payload, 0));
                else
                {
                    if (payload.Length == 1) { events.Add(Error(ProtocolViolation.OneByteClosePayload)); return events; }
                    if (payload.Length >= 2)
                    {
                        int code = BinaryPrimitives.ReadUInt16BigEndian(payload);
                        bool codeOk = code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);
                        if (!codeOk) { events.Add(Error(ProtocolViolation.InvalidCloseCode)); return events; }
                        if (!System.Text.Unicode.Utf8.IsValid(payload.AsSpan(2))) { events.Add(Error(ProtocolViolation.InvalidUtf8CloseReason)); return events; }
                    }
                    events.Add(new ReceiveEvent('C', default, payload, 0));
                    return events;
                }
            }
            else
            {
                if (!continuation)
                {
                    inMessage = true;
                    type = (MessageKind)h.Opcode;
                    message.Clear(); textPrefix = default;
                    fragments = 0;
                }
                fragments++;
                message.AddRange(payload);
                bool end = complete && h.Fin;
                if (type == MessageKind.Text)
                {
                    ReadOnlySpan<byte> all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(message);
                    bool ok = end ? System.Text.Unicode.Utf8.IsValid(all) : textPrefix.IsValidPrefix(all);
                    if (!ok) { events.Add(Error(ProtocolViolation.InvalidUtf8)); return events; }
                }
                if (!complete) return events;
                if (h.Fin)
                {
                    events.Add(new ReceiveEvent('M', type, message.ToArray(), 0));
                    inMessage = false;
                    message.Clear(); textPrefix = default;
                }
            }
            pos += headerLength + payload.Length;
        }
    }

    /// <summary>The bit for one violation in <see cref="ReceiveEvent.Violations"/>.</summary>
    public static uint Bit(ProtocolViolation v) => 1u << (int)v;

    private static ReceiveEvent Error(ProtocolViolation v) => new('E', default, [], Bit(v));
}
