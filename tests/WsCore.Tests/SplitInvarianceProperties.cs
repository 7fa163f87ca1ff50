using WsCore.Framing;
using FsCheck.Xunit;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// Property tests: the events a byte stream produces do not depend on how the stream is split into Receive calls or
/// on the destination's size (RFC 6455 §5.4: "intermediaries may coalesce and/or split frames"; here the transport does),
/// and no input, however malformed, throws or leaves the engine in an undefined state.
/// </summary>
public class SplitInvarianceProperties
{
    private static readonly WebSocketProtocolOptions Limits = new() { MaxFramePayloadLength = 3000, MaxMessageLength = 5000, MaxFragmentsPerMessage = 6 };

    /// <summary>A stream of frames a peer of <paramref name="receiver"/> might send: mostly valid, sometimes broken.</summary>
    internal static byte[] GenerateStream(Random r, WebSocketRole receiver, int frames)
    {
        var parts = new List<byte[]>();
        bool inMessage = false;
        int messageType = 1;
        byte[] Frame(int opcode, byte[] payload, bool fin = true, int rsv = 0) => Wire.To(receiver, opcode, payload, fin, rsv);
        byte[] Bytes(int max) { var b = new byte[r.Next(max + 1)]; r.NextBytes(b); return b; }
        byte[] Text(int maxChars)
        {
            string[] pieces = { "a", "ü", "€", "𤭢", "κόσμε", " ", "\u0000", "\uFFFF" };
            var s = new System.Text.StringBuilder();
            int n = r.Next(maxChars + 1);
            for (int i = 0; i < n; i++) s.Append(pieces[r.Next(pieces.Length)]);
            return Wire.Utf8(s.ToString());
        }
        for (int i = 0; i < frames; i++)
        {
            int roll = r.Next(100);
            if (roll < 30)
            {
                // A data frame: starts or continues a message, text or binary, sometimes large.
                bool fin = r.Next(3) != 0;
                byte[] payload = messageType == 1 || !inMessage ? Text(r.Next(4) == 0 ? 400 : 20) : Bytes(r.Next(4) == 0 ? 1000 : 30);
                if (!inMessage)
                {
                    messageType = r.Next(2) == 0 ? 1 : 2;
                    if (messageType == 2) payload = Bytes(r.Next(6) == 0 ? 2000 : 30);
                }
                parts.Add(Frame(inMessage ? 0 : messageType, payload, fin));
                inMessage = !fin;
            }
            else if (roll < 45) parts.Add(Frame(9 + r.Next(2), Bytes(125)));
            else if (roll < 48) parts.Add(Frame(8, r.Next(2) == 0 ? Wire.ClosePayload((ushort)r.Next(65536), "r") : Bytes(3)));
            else if (roll < 51) parts.Add(Frame(1, Wire.Concat(Text(10), new byte[] { (byte)(0x80 + r.Next(128)) }, Text(10)), true)); // maybe-invalid UTF-8
            else if (roll < 53) parts.Add(Frame(r.Next(2) == 0 ? 3 + r.Next(5) : 11 + r.Next(5), Bytes(10)));
            else if (roll < 55) parts.Add(Frame(r.Next(3), Bytes(10), true, 1 + r.Next(7)));
            else if (roll < 57) parts.Add(Wire.To(receiver == WebSocketRole.Server ? WebSocketRole.Client : WebSocketRole.Server, 2, Bytes(10))); // wrong masking
            else if (roll < 59) parts.Add(Frame(0, Bytes(10), r.Next(2) == 0)); // continuation, maybe unexpected
            else if (roll < 61) parts.Add(Frame(9, Bytes(10), fin: false));
            else if (roll < 63) parts.Add(Frame(9, new byte[126 + r.Next(200)]));
            else if (roll < 65) parts.Add(Wire.Frame(2, default, maskKey: receiver == WebSocketRole.Server ? Wire.Key : null, announcedLength: long.MaxValue - r.Next(3)));
            else if (roll < 66) parts.Add(Wire.Hex("82FF8000000000000000AABBCCDD").AsSpan(0, receiver == WebSocketRole.Server ? 14 : 10).ToArray().Select((b, k) => k == 1 && receiver == WebSocketRole.Client ? (byte)0x7F : b).ToArray());
            else if (roll < 68) parts.Add(Frame(messageType, Bytes(10), r.Next(2) == 0)); // new data frame, maybe inside a message
            else if (roll < 70) { parts.Add(Bytes(r.Next(20))); } // raw garbage
            else parts.Add(Frame(inMessage ? 0 : 2, Bytes(8), fin: true)); // closes any open message
            if (parts[^1].Length > 0 && roll >= 30 && roll < 70 && r.Next(10) == 0) inMessage = false;
        }
        return Wire.Concat(parts.ToArray());
    }

    private static Harness Run(byte[] stream, WebSocketRole role, IEnumerable<int> pieceLengths, int destinationSize)
    {
        var h = new Harness(role, Limits, destinationSize);
        int position = 0;
        foreach (int length in pieceLengths)
        {
            if (position >= stream.Length) break;
            int n = Math.Min(length, stream.Length - position);
            h.FeedPiece(stream.AsSpan(position, n));
            position += n;
        }
        if (position < stream.Length) h.FeedPiece(stream.AsSpan(position));
        return h;
    }

    private static IEnumerable<int> RandomPieces(Random r)
    {
        while (true) yield return r.Next(4) == 0 ? 1 : r.Next(0, 50);
    }

    private static IEnumerable<int> Ones()
    {
        while (true) yield return 1;
    }

    private static void AssertSameOutcome(Harness expected, Harness actual)
    {
        Assert.Equal(expected.Events.Count, actual.Events.Count);
        for (int i = 0; i < expected.Events.Count; i++)
        {
            Assert.True(expected.Events[i].SameAs(actual.Events[i]), $"event {i}: {expected.Events[i]} vs {actual.Events[i]}");
        }
        Assert.Equal(expected.Protocol.State, actual.Protocol.State);
        Assert.Equal(expected.Protocol.Violation, actual.Protocol.Violation);
        Assert.Equal(expected.Protocol.PeerCloseCode, actual.Protocol.PeerCloseCode);
        Assert.Equal(expected.Protocol.IsCloseSent, actual.Protocol.IsCloseSent);
        // A message cut short (by an error or the end of the stream) was delivered as far as each run got: one is a prefix of the other.
        byte[] a = expected.PartialMessage, b = actual.PartialMessage;
        int common = Math.Min(a.Length, b.Length);
        Assert.Equal(a.AsSpan(0, common).ToArray(), b.AsSpan(0, common).ToArray());
        if (expected.Error is null && expected.Protocol.State == CloseHandshakeState.Open) Assert.Equal(a, b);
        // The engine's own output (pong, close) is the same frames.
        List<ParsedFrame> fa = expected.Finish().FinalOutput!, fb = actual.Finish().FinalOutput!;
        Assert.Equal(fa.ConvertAll(f => (f.Opcode, f.Fin, f.Masked, Convert.ToHexString(f.Payload))), fb.ConvertAll(f => (f.Opcode, f.Fin, f.Masked, Convert.ToHexString(f.Payload))));
    }

    [Property(MaxTest = 200)]
    public void Events_DoNotDependOnHowTheStreamIsSplit(int seed, bool server, byte frames)
    {
        var r = new Random(seed);
        WebSocketRole role = server ? WebSocketRole.Server : WebSocketRole.Client;
        byte[] stream = GenerateStream(r, role, 1 + frames % 40);
        Harness oneShot = Run(stream, role, new[] { stream.Length }, 1 << 16);
        AssertSameOutcome(oneShot, Run(stream, role, RandomPieces(new Random(seed ^ 0x5A5A)), 1 + r.Next(8)));
        AssertSameOutcome(oneShot, Run(stream, role, RandomPieces(new Random(seed + 1)), 1 + r.Next(300)));
        AssertSameOutcome(oneShot, Run(stream, role, Ones(), 1));
    }

    [Property(MaxTest = 300)]
    public void RandomGarbage_NeverThrows_AndEndsInADefinedResult(byte[] garbage, bool server, int seed)
    {
        garbage ??= Array.Empty<byte>();
        WebSocketRole role = server ? WebSocketRole.Server : WebSocketRole.Client;
        // Garbage alone, and garbage after a valid prefix that leaves the engine mid-message.
        foreach (byte[] stream in new[] { garbage, Wire.Concat(Wire.To(role, 1, Wire.Utf8("ok"), fin: false), garbage) })
        {
            Harness oneShot = Run(stream, role, new[] { stream.Length }, 1 << 16);
            Harness split = Run(stream, role, RandomPieces(new Random(seed)), 1 + (seed & 7));
            AssertSameOutcome(oneShot, split);
            Event? error = oneShot.Error;
            if (error is not null)
            {
                Assert.Same(error, oneShot.Events[^1]);
                Assert.Equal(CloseHandshakeState.Closed, oneShot.Protocol.State);
            }
            // Whatever happened, the engine stays usable: pending output can be written and sending is well-defined.
            oneShot.Protocol.WritePendingOutput(oneShot.Output);
            SendStatus s = oneShot.Protocol.WriteMessage(oneShot.Output, Wire.Utf8("x"), MessageKind.Text, true);
            Assert.Equal(oneShot.Protocol.IsCloseSent && s != SendStatus.Done, s == SendStatus.Closed);
        }
    }
}
