using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>One event the harness saw: a whole message (data concatenated), a ping, a pong, a close or a protocol error.</summary>
internal sealed record Event(ReceiveStatus Kind, MessageKind Type, byte[] Data, ushort Code, ProtocolViolation Violation, int Piece)
{
    public override string ToString() => Kind switch
    {
        ReceiveStatus.MessageData => $"Message({Type}, {Data.Length} bytes)",
        ReceiveStatus.Close => $"Close({Code})",
        ReceiveStatus.ProtocolError => $"ProtocolError({Violation})",
        _ => $"{Kind}({Convert.ToHexString(Data)})",
    };

    public bool SameAs(Event other) =>
        Kind == other.Kind && Type == other.Type && Code == other.Code && Violation == other.Violation && Data.AsSpan().SequenceEqual(other.Data);
}

/// <summary>A frame parsed back from bytes the engine wrote.</summary>
internal sealed record ParsedFrame(WebSocketOpcode Opcode, bool Fin, byte ReservedBits, bool Masked, byte[] Payload)
{
    /// <summary>The close code of a close frame (1005 when it has none).</summary>
    public ushort CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : (ushort)1005;
}

/// <summary>Builds wire bytes by hand (independently of <see cref="FrameWriter"/>) and parses engine output.</summary>
internal static class Wire
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>A frame built byte by byte from §5.2, with the shortest length form unless <paramref name="lengthForm"/> forces one (7, 16 or 64).</summary>
    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0, byte[]? maskKey = null,
        int lengthForm = 0, long? announcedLength = null)
    {
        long length = announcedLength ?? payload.Length;
        int form = lengthForm != 0 ? lengthForm : length <= 125 ? 7 : length <= 65535 ? 16 : 64;
        var bytes = new List<byte> { (byte)((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0F)) };
        byte maskBit = maskKey is null ? (byte)0 : (byte)0x80;
        switch (form)
        {
            case 7: bytes.Add((byte)(maskBit | (byte)length)); break;
            case 16: bytes.Add((byte)(maskBit | 126)); bytes.Add((byte)(length >> 8)); bytes.Add((byte)length); break;
            default:
                bytes.Add((byte)(maskBit | 127));
                for (int i = 7; i >= 0; i--) bytes.Add((byte)((ulong)length >> (i * 8)));
                break;
        }
        if (maskKey is not null) bytes.AddRange(maskKey);
        for (int i = 0; i < payload.Length; i++)
        {
            bytes.Add(maskKey is null ? payload[i] : (byte)(payload[i] ^ maskKey[i & 3]));
        }
        return bytes.ToArray();
    }

    public static readonly byte[] Key = { 0x37, 0xFA, 0x21, 0x3D };

    /// <summary>A frame as a client sends it (masked with <see cref="Key"/>).</summary>
    public static byte[] Client(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0) => Frame(opcode, payload, fin, rsv, Key);

    /// <summary>A frame as a server sends it (unmasked).</summary>
    public static byte[] Server(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0) => Frame(opcode, payload, fin, rsv);

    /// <summary>A frame as the peer of <paramref name="receiver"/> sends it.</summary>
    public static byte[] To(WebSocketRole receiver, int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0)
        => receiver == WebSocketRole.Server ? Client(opcode, payload, fin, rsv) : Server(opcode, payload, fin, rsv);

    public static byte[] ClosePayload(ushort code, string reason = "")
    {
        byte[] r = System.Text.Encoding.UTF8.GetBytes(reason);
        var p = new byte[2 + r.Length];
        BinaryPrimitives.WriteUInt16BigEndian(p, code);
        r.CopyTo(p, 2);
        return p;
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var all = new List<byte>();
        foreach (byte[] p in parts) all.AddRange(p);
        return all.ToArray();
    }

    public static byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    /// <summary>Parses whole frames written by an engine. Fails the test on a truncated frame.</summary>
    public static List<ParsedFrame> ParseFrames(ReadOnlySpan<byte> bytes)
    {
        var frames = new List<ParsedFrame>();
        while (bytes.Length > 0)
        {
            OperationStatus s = FrameHeader.TryRead(bytes, out FrameHeader h, out int headerLength);
            Assert.Equal(OperationStatus.Done, s);
            Assert.True(bytes.Length - headerLength >= h.PayloadLength, "truncated frame in output");
            byte[] payload = bytes.Slice(headerLength, (int)h.PayloadLength).ToArray();
            if (h.IsMasked) Masking.Apply(payload, h.MaskKey, 0);
            frames.Add(new ParsedFrame(h.Opcode, h.Fin, h.ReservedBits, h.IsMasked, payload));
            bytes = bytes.Slice(headerLength + (int)h.PayloadLength);
        }
        return frames;
    }
}

/// <summary>
/// Drives a <see cref="WebSocketProtocol"/> with pieces of input, collecting whole messages and control events, and
/// checks the Receive contract on every call (consumed within bounds, one event per call, no progress-less loops).
/// </summary>
internal sealed class Harness
{
    private readonly byte[] _destination;
    private readonly List<byte> _message = new();
    private int _piece;

    public Harness(WebSocketRole role, WebSocketProtocolOptions? options = null, int destinationSize = 4096,
        WsCore.Compression.PerMessageDeflateParameters? perMessageDeflate = null)
    {
        Protocol = new WebSocketProtocol(role, options, perMessageDeflate);
        _destination = new byte[destinationSize];
    }

    public WebSocketProtocol Protocol { get; }
    public List<Event> Events { get; } = new();
    public ArrayBufferWriter<byte> Output { get; } = new();

    /// <summary>Bytes of the message in progress that were already delivered.</summary>
    public byte[] PartialMessage => _message.ToArray();

    /// <summary>Number of MessageData results seen (chunks, not messages).</summary>
    public int DataChunks { get; private set; }

    /// <summary>The largest BytesWritten of any single call.</summary>
    public int LargestChunk { get; private set; }

    public Event? Error => Events.Find(e => e.Kind == ReceiveStatus.ProtocolError);

    public Harness Feed(params byte[][] pieces)
    {
        foreach (byte[] p in pieces) FeedPiece(p);
        return this;
    }

    /// <summary>Feeds one piece completely (the engine must consume all of it before asking for more).</summary>
    public void FeedPiece(ReadOnlySpan<byte> piece)
    {
        int index = _piece++;
        int offset = 0;
        int idle = 0;
        while (true)
        {
            ReceiveStatus status = Protocol.Receive(piece.Slice(offset), _destination, out ReceiveResult r);
            Assert.InRange(r.BytesConsumed, 0, piece.Length - offset);
            Assert.InRange(r.BytesWritten, 0, _destination.Length);
            offset += r.BytesConsumed;
            if (r.BytesConsumed == 0 && r.BytesWritten == 0 && status == ReceiveStatus.MessageData && !r.EndOfMessage)
            {
                Assert.True(++idle < 4, "Receive made no progress");
            }
            else
            {
                idle = 0;
            }
            switch (status)
            {
                case ReceiveStatus.NeedMoreData:
                    Assert.Equal(piece.Length, offset);
                    return;
                case ReceiveStatus.MessageData:
                    DataChunks++;
                    LargestChunk = Math.Max(LargestChunk, r.BytesWritten);
                    _message.AddRange(_destination.AsSpan(0, r.BytesWritten).ToArray());
                    if (r.EndOfMessage)
                    {
                        Events.Add(new Event(ReceiveStatus.MessageData, r.MessageKind, _message.ToArray(), 0, ProtocolViolation.None, index));
                        _message.Clear();
                    }
                    break;
                case ReceiveStatus.Ping:
                case ReceiveStatus.Pong:
                    Events.Add(new Event(status, default, Protocol.ControlPayload.ToArray(), 0, ProtocolViolation.None, index));
                    break;
                case ReceiveStatus.Close:
                    Events.Add(new Event(status, default, Protocol.PeerCloseReason.ToArray(), Protocol.PeerCloseCode, ProtocolViolation.None, index));
                    Assert.Equal(piece.Length, offset); // data after the close is ignored
                    break;
                case ReceiveStatus.ProtocolError:
                    Events.Add(new Event(status, default, Array.Empty<byte>(), ProtocolViolations.GetCloseCode(Protocol.Violation), Protocol.Violation, index));
                    Assert.Equal(piece.Length, offset);
                    break;
            }
        }
    }

    /// <summary>Writes the engine's queued frames and parses everything written so far (then clears the output).</summary>
    public List<ParsedFrame> Drain()
    {
        Protocol.WritePendingOutput(Output);
        List<ParsedFrame> frames = Wire.ParseFrames(Output.WrittenSpan);
        Output.ResetWrittenCount();
        return frames;
    }

    /// <summary>Everything the engine wrote once the input was fed (set by <see cref="Finish"/>).</summary>
    public List<ParsedFrame>? FinalOutput { get; private set; }

    /// <summary>Drains the output once and keeps it in <see cref="FinalOutput"/>.</summary>
    public Harness Finish()
    {
        FinalOutput ??= Drain();
        return this;
    }

    /// <summary>Drains and returns the single close frame the engine queued; fails when there is not exactly one.</summary>
    public ParsedFrame DrainClose()
    {
        List<ParsedFrame> frames = Drain().FindAll(f => f.Opcode == WebSocketOpcode.Close);
        return Assert.Single(frames);
    }
}

/// <summary>Allocation measurement for steady-state loops.</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes the current thread allocates while <paramref name="body"/> runs: the smallest of up to three runs, stopping
    /// at the first that allocates nothing. A loop that allocates per message allocates in every run; the retry only
    /// absorbs a rare one-off allocation by the runtime itself on this thread (seen once under heavy machine load).
    /// </summary>
    public static long Measure(Action body)
    {
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            body();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    /// <summary>
    /// Managed bytes allocated per message by an async loop whose work crosses threads (thread-pool continuations,
    /// socket completions), measured across the whole process with <see cref="GC.GetTotalAllocatedBytes(bool)"/>.
    /// Callers run in the "Allocation" collection so no other test allocates meanwhile.
    /// </summary>
    /// <param name="loop">Runs the given number of round trips (two messages each). Everything per message must be
    /// inline in it: a nested async method would allocate its own state machine per call, which is the test's, not
    /// the library's.</param>
    /// <param name="rounds">Round trips in the smaller window.</param>
    /// <param name="log">Where each window's bytes are written (the test output).</param>
    /// <remarks>
    /// A window has a fixed cost of its own whatever its length (the loop's own state machine, timers, runtime
    /// bookkeeping: about 128 KB over loopback sockets), so the cost per message is the difference between a window of
    /// N and one of 2N round trips. Each window is the smallest of three, so a one-off allocation elsewhere in the
    /// process is skipped while an allocation per message shows in every window.
    /// </remarks>
    public static async Task<double> PerMessageAsync(Func<int, Task> loop, int rounds, Action<string> log)
    {
        await loop(rounds * 2).ConfigureAwait(false); // warm-up: JIT, tiering, pools
        long small = long.MaxValue, large = long.MaxValue;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long a0 = GC.GetTotalAllocatedBytes(true);
            await loop(rounds).ConfigureAwait(false);
            long a1 = GC.GetTotalAllocatedBytes(true);
            await loop(rounds * 2).ConfigureAwait(false);
            long a2 = GC.GetTotalAllocatedBytes(true);
            small = Math.Min(small, a1 - a0);
            large = Math.Min(large, a2 - a1);
            log($"attempt {attempt}: {rounds} round trips {a1 - a0} B, {rounds * 2} round trips {a2 - a1} B");
        }
        double perMessage = Math.Max(0, large - small) / (rounds * 2.0);
        log($"per message: {perMessage:F3} B");
        return perMessage;
    }
}

