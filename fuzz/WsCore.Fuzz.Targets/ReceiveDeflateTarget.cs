using System.Buffers.Binary;
using WsCore.Closing;
using WsCore.Compression;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Fuzz;

/// <summary>
/// <c>receive-deflate</c>: <see cref="WebSocketProtocol"/> with permessage-deflate agreed, receiving an arbitrary byte
/// stream. Byte 0: role (bit 0), the peer's window bits (8 + bits 1-3), no-context-takeover (bit 4), max message length
/// (bits 5-7: 1-64 KiB); byte 1: split seed; byte 2: largest chunk (bits 0-2) and destination (bits 3-5); the rest is
/// the peer's stream. It is fed in input-chosen chunks and destination sizes, calling again while the status is not
/// NeedMoreData or <see cref="WebSocketProtocol.HasPendingReceiveData"/> is true. Checks: counts within bounds; no
/// message delivers more inflated bytes than the limit; complete text messages are valid UTF-8; after Close or
/// ProtocolError only NeedMoreData; the close written for a violation carries
/// <see cref="ProtocolViolations.GetCloseCode"/>; bounded calls; the event transcript (messages concatenated, control
/// payloads, the violation) equals the one-piece run's.
/// </summary>
public sealed class ReceiveDeflateTarget : IFuzzTarget
{
    private static readonly int[] s_maxMessage = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 1000];
    private static readonly int[] s_maxChunk = [1, 2, 3, 7, 16, 100, 1000, int.MaxValue];
    private static readonly int[] s_maxDestination = [1, 2, 3, 5, 16, 100, 4096, 65536];

    /// <inheritdoc/>
    public string Name => "receive-deflate";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 3) return;
        WebSocketRole role = (input[0] & 1) == 0 ? WebSocketRole.Server : WebSocketRole.Client;
        int windowBits = 8 + ((input[0] >> 1) & 7);
        bool noContext = (input[0] & 16) != 0;
        int maxMessage = s_maxMessage[input[0] >> 5];
        var parameters = new PerMessageDeflateParameters(windowBits, noContext, windowBits, noContext);
        var options = new WebSocketProtocolOptions { MaxMessageLength = maxMessage };
        int maxChunk = s_maxChunk[input[2] & 7];
        int maxDestination = s_maxDestination[(input[2] >> 3) & 7];
        ReadOnlySpan<byte> stream = input.Slice(3);

        List<string> split = RunStream(stream, role, options, parameters, maxChunk, maxDestination, new SplitSchedule(input[1] | (uint)input[2] << 8));
        List<string> whole = RunStream(stream, role, options, parameters, int.MaxValue, 65536, new SplitSchedule(1));
        Oracle.Check(split.Count == whole.Count, "event counts differ: {0}", split.Count + " <> " + whole.Count + ": " + string.Join(" ", whole) + " <> " + string.Join(" ", split));
        for (int i = 0; i < split.Count; i++)
        {
            // Which fault of one compressed message is seen first (corrupt DEFLATE, too large, invalid UTF-8) depends on
            // how much is inflated per call, so these three are one class; everything else must match exactly.
            bool sameClass = split[i] == whole[i] || (IsMessageContentFault(split[i]) && IsMessageContentFault(whole[i]));
            Oracle.Check(sameClass, "event {0} differs from the one-piece run", i + ": " + whole[i] + " <> " + split[i]);
        }
    }

    private static bool IsMessageContentFault(string e) =>
        e is "E:InvalidCompressedData" or "E:MessageTooLarge" or "E:InvalidUtf8";

    private static List<string> RunStream(ReadOnlySpan<byte> stream, WebSocketRole role, WebSocketProtocolOptions options,
        PerMessageDeflateParameters parameters, int maxChunk, int maxDestination, SplitSchedule schedule)
    {
        using var proto = new WebSocketProtocol(role, options, parameters);
        var peer = new OutputChecker(role);
        var transcript = new List<string>();
        var message = new List<byte>();
        MessageKind? messageType = null;
        bool terminal = false;
        byte[] destination = new byte[maxDestination];
        long delivered = 0;
        int calls = 0, zeroProgress = 0;
        int position = 0;
        do
        {
            int chunkLength = Math.Min(schedule.Next(Math.Min(maxChunk, stream.Length + 1)), stream.Length - position);
            if (maxChunk == int.MaxValue) chunkLength = stream.Length - position;
            ReadOnlySpan<byte> chunk = stream.Slice(position, chunkLength);
            int offset = 0;
            while (true)
            {
                Oracle.Check(++calls <= 64 + 4L * stream.Length + delivered, "more than {0} Receive calls: no progress", calls);
                int destinationLength = schedule.Next(maxDestination);
                bool closeSentBefore = proto.IsCloseSent;
                int remaining = chunk.Length - offset;
                ReceiveStatus status = proto.Receive(chunk.Slice(offset), destination.AsSpan(0, destinationLength), out ReceiveResult r);
                Oracle.Check(r.BytesConsumed >= 0 && r.BytesConsumed <= remaining, "BytesConsumed {0} outside the input", r.BytesConsumed);
                Oracle.Check(r.BytesWritten >= 0 && r.BytesWritten <= destinationLength, "BytesWritten {0} outside the destination", r.BytesWritten);
                Oracle.Check(status == ReceiveStatus.MessageData || r.BytesWritten == 0, "{0} wrote message bytes", status);
                if (terminal)
                    Oracle.Check(status == ReceiveStatus.NeedMoreData && !proto.HasPendingReceiveData, "{0} after the connection closed", status);
                if (r.BytesConsumed == 0 && r.BytesWritten == 0 && status != ReceiveStatus.NeedMoreData)
                    Oracle.Check(++zeroProgress <= 2, "{0} events in a row made no progress", zeroProgress);
                else
                    zeroProgress = 0;
                offset += r.BytesConsumed;
                delivered += r.BytesWritten;

                bool hadPending = proto.HasPendingOutput;
                int n = proto.WritePendingOutput(peer.Writer);
                Oracle.Check(hadPending == (n > 0), "HasPendingOutput was {0} but WritePendingOutput disagreed", hadPending);
                List<WrittenFrame> written = peer.TakeNewFrames();

                switch (status)
                {
                    case ReceiveStatus.NeedMoreData:
                        Oracle.Check(r.BytesConsumed == remaining, "NeedMoreData left {0} bytes unconsumed", remaining - r.BytesConsumed);
                        Oracle.Check(written.Count == 0, "NeedMoreData queued output");
                        break;
                    case ReceiveStatus.MessageData:
                        Oracle.Check(r.MessageKind is MessageKind.Text or MessageKind.Binary, "message type {0}", r.MessageKind);
                        Oracle.Check(messageType is null || messageType == r.MessageKind, "message type changed inside a message");
                        messageType = r.MessageKind;
                        message.AddRange(destination.AsSpan(0, r.BytesWritten));
                        Oracle.Check(message.Count <= options.MaxMessageLength, "a message delivered {0} bytes, past MaxMessageLength", message.Count);
                        if (r.EndOfMessage)
                        {
                            if (r.MessageKind == MessageKind.Text)
                                Oracle.Check(System.Text.Unicode.Utf8.IsValid(message.ToArray()), "text message is not valid UTF-8");
                            transcript.Add($"M{(int)r.MessageKind}:{Convert.ToHexString(message.ToArray())}");
                            message.Clear();
                            messageType = null;
                        }
                        break;
                    case ReceiveStatus.Ping:
                    case ReceiveStatus.Pong:
                        transcript.Add($"{status}:{Convert.ToHexString(proto.ControlPayload)}");
                        break;
                    case ReceiveStatus.Close:
                        terminal = true;
                        Oracle.Check(proto.IsCloseReceived, "Close but IsCloseReceived is false");
                        transcript.Add($"C:{Convert.ToHexString(proto.ControlPayload)}");
                        message.Clear();
                        messageType = null;
                        break;
                    case ReceiveStatus.ProtocolError:
                    {
                        terminal = true;
                        ProtocolViolation v = proto.Violation;
                        Oracle.Check(v != ProtocolViolation.None && Enum.IsDefined(v), "ProtocolError with violation {0}", v);
                        Oracle.Check(proto.State == CloseHandshakeState.Closed, "state {0} after a protocol error", proto.State);
                        if (!closeSentBefore)
                        {
                            Oracle.Check(written.Count == 1 && written[0].Opcode == WebSocketOpcode.Close, "failure close was not written ({0})", v);
                            Oracle.Check(written[0].Payload.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(written[0].Payload) == ProtocolViolations.GetCloseCode(v),
                                "failure close code for {0}", v);
                        }
                        transcript.Add($"E:{v}");
                        message.Clear();
                        messageType = null;
                        break;
                    }
                    default:
                        throw new FuzzInvariantException($"undefined ReceiveStatus {status}");
                }
                if (status == ReceiveStatus.NeedMoreData && !proto.HasPendingReceiveData) break;
            }
            position += chunkLength;
        }
        while (position < stream.Length);
        return transcript;
    }
}
