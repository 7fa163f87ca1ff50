using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using WsCore.Compression;
using WsCore.Framing;
using WsCore.Protocol;
#if WSCORE_MESSAGEKIND
using Kind = WsCore.Protocol.MessageKind;
#else
using Kind = WsCore.Protocol.MessageType;
#endif

namespace WsCore.InstructionCount;

/// <summary>
/// Runs WebSocketProtocol.Receive over pre-built wire bytes (the inputs of ReceiveBenchmarks, ReceiveNonAsciiTextBenchmarks
/// and DeflateBenchmarks' decompress rows, plus split-header cases) for callgrind. Per case: a warm-up, then N and 2N
/// messages, each run bracketed by CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT("case|N|..."), so
/// bench/instructions.sh reports (I(2N) - I(N)) / N instructions per message. Outside valgrind it times the runs with a
/// Stopwatch instead (no meaning on a loaded machine). Arguments: an optional substring filter on case names;
/// --list prints the cases.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        bool list = args.Contains("--list");
        string? filter = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
        bool valgrind = Marks.Running;
        if (valgrind) Marks.Start();
        foreach (Case c in Cases.All())
        {
            if (filter is not null && !c.Name.Contains(filter, StringComparison.Ordinal)) continue;
            if (list) { Console.WriteLine(c.Name); continue; }
            Measure(c, valgrind);
        }
        return 0;
    }

    private static void Measure(Case c, bool valgrind)
    {
        Receiver r = c.Create();
        // Warm-up: every method compiled, and the wire's wrap-around taken at least once.
        int warm = Math.Max(3, r.MessagesInWire + 1);
        long check = r.Run(warm);

        int n = c.Iterations;
        // Names built before counting; one rehearsal of zero, run and dump so that nothing is done for the first time
        // (JIT, stubs) inside a counted run. The rehearsal's dump ("warm-up") is ignored by bench/instructions.sh.
        byte[] nameN = Marks.Name($"{c.Name}|{n}|{r.MessageWireBytes}|{r.MessagePayloadBytes}");
        byte[] name2N = Marks.Name($"{c.Name}|{2 * n}|{r.MessageWireBytes}|{r.MessagePayloadBytes}");
        if (valgrind) { Marks.Zero(); check += r.Run(1); Marks.Dump(Marks.Name("warm-up")); warm++; }
        long t0 = Stopwatch.GetTimestamp();
        if (valgrind) Marks.Zero();
        check += r.Run(n);
        if (valgrind) Marks.Dump(nameN);
        long t1 = Stopwatch.GetTimestamp();
        if (valgrind) Marks.Zero();
        check += r.Run(2 * n);
        if (valgrind) Marks.Dump(name2N);
        long t2 = Stopwatch.GetTimestamp();
        long expected = (long)(warm + 3 * n) * r.MessagePayloadBytes;
        if (check != expected) throw new InvalidOperationException($"{c.Name}: received {check} bytes, expected {expected}");
        double ns = (Stopwatch.GetElapsedTime(t1, t2) - Stopwatch.GetElapsedTime(t0, t1)).TotalNanoseconds / n;
        Console.WriteLine(valgrind
            ? $"{c.Name}\tN={n}\twire={r.MessageWireBytes}\tpayload={r.MessagePayloadBytes}"
            : $"{c.Name}\tN={n}\twire={r.MessageWireBytes}\tpayload={r.MessagePayloadBytes}\t{ns:F1} ns/message (wall clock, (t(2N)-t(N))/N)");
    }
}

/// <summary>One row: a name, how many messages N is, and how to build its receiver.</summary>
internal sealed record Case(string Name, int Iterations, Func<Receiver> Create);

internal static class Cases
{
    public static IEnumerable<Case> All()
    {
        // ReceiveBenchmarks: Size x Type x Fragments (Fragments capped at Size), ASCII text / random binary.
        foreach (int size in new[] { 2, 125, 4096, 16384, 65536, 1048576 })
        foreach (bool text in new[] { true, false })
        foreach (int fragments in new[] { 1, 4 })
        {
            if (size == 16384 && fragments != 1) continue; // 16 KiB is not a ReceiveBenchmarks size: one extra row per type
            string name = $"{(text ? "text" : "binary")} {Size(size)} x{fragments}";
            yield return new Case(name, IterationsFor(size), () => Receiver.Plain(MessageFrames.Payload(size, text), text, Math.Min(fragments, size), split: 0));
        }
        // ReceiveNonAsciiTextBenchmarks: one frame, about two thirds of the bytes in multi-byte characters.
        foreach (int size in new[] { 125, 4096, 65536, 1048576 })
            yield return new Case($"non-ASCII text {Size(size)} x1", IterationsFor(size), () => Receiver.Plain(MessageFrames.NonAsciiText(size), true, 1, split: 0));
        // Split headers (not in ReceiveBenchmarks): each message arrives in two pieces, the first `split` bytes of its header then the rest.
        yield return new Case("binary 125 B x1, header split at 1", IterationsFor(125), () => Receiver.Plain(MessageFrames.Payload(125, false), false, 1, split: 1));
        yield return new Case("binary 125 B x1, header split at 4", IterationsFor(125), () => Receiver.Plain(MessageFrames.Payload(125, false), false, 1, split: 4));
        yield return new Case("text 125 B x1, header split at 1", IterationsFor(125), () => Receiver.Plain(MessageFrames.Payload(125, true), true, 1, split: 1));
        yield return new Case("binary 64 KiB x1, header split at 3", IterationsFor(65536), () => Receiver.Plain(MessageFrames.Payload(65536, false), false, 1, split: 3));
        // DeflateBenchmarks, decompress rows: permessage-deflate JSON-like text, inflate + UTF-8 validation.
        foreach (int size in new[] { 125, 4096, 65536 })
            yield return new Case($"deflate JSON {Size(size)}", IterationsFor(size) / 2, () => Receiver.Deflate(size));
    }

    private static string Size(int size) => size >= 1048576 ? $"{size / 1048576} MiB" : size >= 1024 ? $"{size / 1024} KiB" : $"{size} B";

    // About 1 MiB of payload per N-run, at least 8 and at most 4000 messages.
    private static int IterationsFor(int size) => Math.Clamp(1048576 / size, 8, 4000);
}

/// <summary>The receive loop of ReceiveBenchmarkBase.WsCore (one message per operation), over a wire of repeated messages.</summary>
internal sealed class Receiver
{
    private readonly byte[] _wire;
    private readonly byte[] _destination;
    private readonly WebSocketProtocol _protocol;
    private readonly int _split; // > 0: each message's first `_split` bytes are handed over alone
    private int _offset;

    private Receiver(byte[] one, int copies, int payloadBytes, WebSocketProtocol protocol, int split)
    {
        _wire = new byte[one.Length * copies];
        for (int i = 0; i < copies; i++) one.CopyTo(_wire, i * one.Length);
        _destination = new byte[Math.Max(payloadBytes, 16) + 256];
        _protocol = protocol;
        _split = split;
        MessageWireBytes = one.Length;
        MessagePayloadBytes = payloadBytes;
        MessagesInWire = copies;
    }

    public int MessageWireBytes { get; }
    public int MessagePayloadBytes { get; }
    public int MessagesInWire { get; }

    public static Receiver Plain(byte[] payload, bool text, int fragments, int split)
    {
        byte[] one = MessageFrames.Build(payload, text, fragments);
        int copies = Math.Max(1, 64 * 1024 / one.Length); // as ReceiveBenchmarkBase.Setup
        var protocol = new WebSocketProtocol(WebSocketRole.Server, new WebSocketProtocolOptions { MaxFragmentsPerMessage = int.MaxValue });
        return new Receiver(one, copies, payload.Length, protocol, split);
    }

    public static Receiver Deflate(int size)
    {
        // As DeflateBenchmarks.Setup: one compressed message from a fresh client compressor, repeated.
        byte[] text = MessageFrames.JsonText(size);
        var parameters = PerMessageDeflateParameters.Default;
        using var client = new WebSocketProtocol(WebSocketRole.Client, null, parameters);
        var one = new ArrayBufferWriter<byte>();
        client.WriteMessage(one, text, Kind.Text, endOfMessage: true);
        int copies = Math.Max(1, 64 * 1024 / one.WrittenCount);
        return new Receiver(one.WrittenSpan.ToArray(), copies, size, new WebSocketProtocol(WebSocketRole.Server, null, parameters), split: 0);
    }

    /// <summary>Receives <paramref name="messages"/> messages; returns the payload bytes received.</summary>
    public long Run(int messages)
    {
        long total = 0;
        if (_split == 0) for (int i = 0; i < messages; i++) total += ReceiveOne();
        else for (int i = 0; i < messages; i++) total += ReceiveOneSplit();
        return total;
    }

    /// <summary>ReceiveBenchmarkBase.WsCore, unchanged.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ReceiveOne()
    {
        int total = 0;
        byte[] wire = _wire;
        while (true)
        {
            ReceiveStatus status = _protocol.Receive(wire.AsSpan(_offset), _destination.AsSpan(total), out ReceiveResult result);
            _offset += result.BytesConsumed;
            if (_offset == wire.Length) _offset = 0;
            if (status == ReceiveStatus.MessageData)
            {
                total += result.BytesWritten;
                if (result.EndOfMessage) return total;
            }
            else if (status != ReceiveStatus.NeedMoreData)
            {
                throw new InvalidOperationException(status + " " + _protocol.Violation);
            }
        }
    }

    /// <summary>The same loop, the message's first <c>_split</c> bytes handed over alone, then the rest of it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ReceiveOneSplit()
    {
        int total = 0;
        byte[] wire = _wire;
        int messageEnd = _offset + MessageWireBytes;
        int limit = _offset + _split;
        while (true)
        {
            ReceiveStatus status = _protocol.Receive(wire.AsSpan(_offset, limit - _offset), _destination.AsSpan(total), out ReceiveResult result);
            _offset += result.BytesConsumed;
            if (status == ReceiveStatus.MessageData)
            {
                total += result.BytesWritten;
                if (result.EndOfMessage)
                {
                    if (_offset == wire.Length) _offset = 0;
                    return total;
                }
            }
            else if (status != ReceiveStatus.NeedMoreData)
            {
                throw new InvalidOperationException(status + " " + _protocol.Violation);
            }
            if (_offset == limit) limit = messageEnd;
        }
    }
}

/// <summary>The wire bytes of the benchmark classes (bench/WsCore.Benchmarks/MessageFrames.cs, DeflateBenchmarks.cs' JsonText).</summary>
internal static class MessageFrames
{
    public static byte[] Payload(int size, bool text)
    {
        var payload = new byte[size];
        if (text) for (int i = 0; i < size; i++) payload[i] = (byte)('a' + i % 26);
        else new Random(size).NextBytes(payload);
        return payload;
    }

    public static byte[] NonAsciiText(int size)
    {
        byte[] pattern = Encoding.UTF8.GetBytes("Grüße aus Köln, κόσμε, Привет мир, 世界你好, 😀 ok; ");
        var payload = new byte[size];
        int written = 0;
        while (written < size)
        {
            int n = Math.Min(pattern.Length, size - written);
            pattern.AsSpan(0, n).CopyTo(payload.AsSpan(written));
            written += n;
        }
        int end = size;
        int start = end - 1;
        while (start > 0 && (payload[start] & 0xC0) == 0x80) start--;
        if (start >= 0 && payload[start] >= 0x80 && end - start < (payload[start] >= 0xF0 ? 4 : payload[start] >= 0xE0 ? 3 : 2))
            payload.AsSpan(start, end - start).Fill((byte)' ');
        if (!System.Text.Unicode.Utf8.IsValid(payload)) throw new InvalidOperationException("non-ASCII text is not valid UTF-8");
        return payload;
    }

    /// <summary>Masked client frames of one message split into <paramref name="fragments"/> frames (MessageFrames.Build).</summary>
    public static byte[] Build(byte[] payload, bool text, int fragments)
    {
        var writer = new ArrayBufferWriter<byte>();
        int fragmentSize = (payload.Length + fragments - 1) / fragments;
        int offset = 0;
        for (int i = 0; i < fragments; i++)
        {
            int length = Math.Min(fragmentSize, payload.Length - offset);
            var opcode = i == 0 ? (text ? WebSocketOpcode.Text : WebSocketOpcode.Binary) : WebSocketOpcode.Continuation;
            FrameWriter.WriteFrame(writer, opcode, payload.AsSpan(offset, length), i == fragments - 1, 0, true, 0x5A3C96E1u);
            offset += length;
        }
        return writer.WrittenSpan.ToArray();
    }

    public static byte[] JsonText(int size)
    {
        var builder = new StringBuilder();
        int i = 0;
        while (builder.Length < size)
        {
            builder.Append("{\"id\":").Append(i * 7919 % 100000).Append(",\"user\":\"user").Append(i % 97)
                .Append("\",\"event\":\"").Append((i % 3) switch { 0 => "click", 1 => "scroll", _ => "keypress" })
                .Append("\",\"x\":").Append(i * 31 % 1920).Append(",\"y\":").Append(i * 17 % 1080)
                .Append(",\"ok\":").Append(i % 5 == 0 ? "false" : "true").Append("},");
            i++;
        }
        return Encoding.ASCII.GetBytes(builder.ToString(0, size));
    }
}

/// <summary>Callgrind client requests through libwscore_cgmarks.so (callgrind_marks.c), found through WSCORE_CGMARKS.</summary>
internal static unsafe class Marks
{
    private static readonly delegate* unmanaged<int> s_running;
    private static readonly delegate* unmanaged<void> s_start;
    private static readonly delegate* unmanaged<void> s_zero;
    private static readonly delegate* unmanaged<byte*, void> s_dump;

    static Marks()
    {
        string? path = Environment.GetEnvironmentVariable("WSCORE_CGMARKS");
        if (string.IsNullOrEmpty(path) || !NativeLibrary.TryLoad(path, out IntPtr lib)) return;
        s_running = (delegate* unmanaged<int>)NativeLibrary.GetExport(lib, "wscore_cg_running");
        s_start = (delegate* unmanaged<void>)NativeLibrary.GetExport(lib, "wscore_cg_start");
        s_zero = (delegate* unmanaged<void>)NativeLibrary.GetExport(lib, "wscore_cg_zero");
        s_dump = (delegate* unmanaged<byte*, void>)NativeLibrary.GetExport(lib, "wscore_cg_dump");
    }

    public static bool Running => s_running != null && s_running() != 0;
    public static void Start() => s_start();
    public static void Zero() => s_zero();

    public static byte[] Name(string name) => Encoding.UTF8.GetBytes(name + "\0");

    public static void Dump(byte[] name)
    {
        fixed (byte* p = name) s_dump(p);
    }
}
