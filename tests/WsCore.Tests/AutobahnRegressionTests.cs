using System.Buffers;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// In-process reproductions of Autobahn TestSuite cases, sections 1-7 (framing, pings/pongs, reserved bits, opcodes,
/// fragmentation, UTF-8, closing). Each test feeds the bytes the suite sends, split the way it sends them, to a
/// server-role engine driven like an echo server (echo every message, write the engine's queued frames after each
/// event), then reads back what the suite would receive and judges it as the suite does (strict "OK").
/// </summary>
public partial class AutobahnRegressionTests
{
    /// <summary>An echo server over the engine, as an adapter would drive it.</summary>
    private sealed class EchoServer
    {
        private readonly byte[] _destination = new byte[4096];
        public WebSocketProtocol Protocol { get; } = new(WebSocketRole.Server);
        public ArrayBufferWriter<byte> Output { get; } = new();
        public int ErrorPiece { get; private set; } = -1;
        public int CloseEvents { get; private set; }

        public void Feed(ReadOnlySpan<byte> chop, int index)
        {
            while (true)
            {
                ReceiveStatus s = Protocol.Receive(chop, _destination, out ReceiveResult r);
                Assert.InRange(r.BytesConsumed, 0, chop.Length);
                chop = chop.Slice(r.BytesConsumed);
                switch (s)
                {
                    case ReceiveStatus.NeedMoreData:
                        Assert.True(chop.IsEmpty);
                        return;
                    case ReceiveStatus.MessageData:
                        SendStatus sent = Protocol.WriteMessage(Output, _destination.AsSpan(0, r.BytesWritten), r.MessageKind, r.EndOfMessage);
                        Assert.Equal(SendStatus.Done, sent);
                        break;
                    case ReceiveStatus.ProtocolError:
                        Assert.Equal(-1, ErrorPiece);
                        ErrorPiece = index;
                        Protocol.WritePendingOutput(Output);
                        break;
                    case ReceiveStatus.Close:
                        CloseEvents++;
                        Protocol.WritePendingOutput(Output);
                        break;
                    default:
                        Protocol.WritePendingOutput(Output);
                        break;
                }
            }
        }
    }

    private static void RunCase(string chopsHex, string expectation)
    {
        var chops = new List<byte[]>();
        foreach (string hex in chopsHex.Split('|')) chops.Add(Wire.Hex(hex));
        RunCase(chops, new List<string>(expectation.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
    }

    /// <summary>
    /// Feeds <paramref name="chops"/> and judges the outcome. <paramref name="expectation"/>: what the suite expects to
    /// receive, in order — <c>T:hex</c> a text message echoed, <c>B:hex</c> a binary message echoed, <c>P:hex</c> a pong —
    /// then how the connection ends: <c>peer:codes</c> (the suite closed; our close carries one of the codes or none),
    /// <c>fail:codes</c> (the engine fails the connection with one of the codes; <c>@n</c>: on chop n, fail-fast), or
    /// <c>any:codes</c> (informational: our close carries one of the codes).
    /// </summary>
    private static void RunCase(IReadOnlyList<byte[]> chops, List<string> expectation)
    {
        var server = new EchoServer();
        for (int i = 0; i < chops.Count; i++) server.Feed(chops[i], i);
        server.Protocol.WritePendingOutput(server.Output);

        // What the suite receives: whole messages, pongs, and a close.
        var received = new List<string>();
        ushort? closeCode = null;
        bool closed = false;
        var message = new List<byte>();
        string? messageKind = null;
        foreach (ParsedFrame f in Wire.ParseFrames(server.Output.WrittenSpan))
        {
            Assert.False(closed, "a frame was sent after the close");
            Assert.False(f.Masked); // §5.1: a server never masks
            Assert.Equal(0, f.ReservedBits);
            switch (f.Opcode)
            {
                case WebSocketOpcode.Text:
                case WebSocketOpcode.Binary:
                    Assert.Null(messageKind);
                    messageKind = f.Opcode == WebSocketOpcode.Text ? "T:" : "B:";
                    goto case WebSocketOpcode.Continuation;
                case WebSocketOpcode.Continuation:
                    Assert.NotNull(messageKind);
                    message.AddRange(f.Payload);
                    if (f.Fin)
                    {
                        received.Add(messageKind + Convert.ToHexString(message.ToArray()).ToLowerInvariant());
                        message.Clear();
                        messageKind = null;
                    }
                    break;
                case WebSocketOpcode.Pong:
                    received.Add("P:" + Convert.ToHexString(f.Payload).ToLowerInvariant());
                    break;
                case WebSocketOpcode.Close:
                    closed = true;
                    closeCode = f.Payload.Length == 0 ? null : f.CloseCode;
                    break;
                default:
                    Assert.Fail($"unexpected {f.Opcode} frame");
                    break;
            }
        }

        string end = expectation[^1];
        Assert.Equal(expectation.GetRange(0, expectation.Count - 1), received);
        Assert.True(closed, "no close frame was sent");
        Assert.Equal(CloseHandshakeState.Closed, server.Protocol.State);
        Assert.True(server.Protocol.CanCloseTransport);

        string mode = end[..end.IndexOf(':')];
        string codesText = end[(end.IndexOf(':') + 1)..];
        int failPiece = -1;
        if (codesText.Contains('@'))
        {
            failPiece = int.Parse(codesText[(codesText.IndexOf('@') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            codesText = codesText[..codesText.IndexOf('@')];
        }
        var codes = new List<ushort>();
        foreach (string c in codesText.Split(',')) codes.Add(ushort.Parse(c, System.Globalization.CultureInfo.InvariantCulture));
        switch (mode)
        {
            case "peer":
                // The suite started the closing handshake; our answer carries an expected code, or none (Autobahn accepts both).
                Assert.True(server.CloseEvents == 1 || server.ErrorPiece >= 0);
                Assert.True(closeCode is null || codes.Contains(closeCode.Value), $"close code {closeCode}");
                break;
            case "fail":
                Assert.True(server.ErrorPiece >= 0, "the engine did not fail the connection");
                Assert.Equal(0, server.CloseEvents);
                Assert.NotNull(closeCode);
                Assert.Contains(closeCode.Value, codes);
                Assert.Equal(closeCode.Value, ProtocolViolations.GetCloseCode(server.Protocol.Violation));
                if (failPiece >= 0) Assert.Equal(failPiece, server.ErrorPiece);
                break;
            case "any":
                Assert.True(closeCode is null || codes.Contains(closeCode.Value), $"close code {closeCode}");
                break;
            default:
                Assert.Fail("bad expectation " + end);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Section6Cases))]
    public void Case_6_Utf8Handling(string caseId, string chopsHex, string expectation)
    {
        Assert.StartsWith("6.", caseId);
        RunCase(chopsHex, expectation);
    }

    // ---- Cases whose payloads are too long for the wire log: rebuilt from their pattern and the suite's mask keys. ----

    private static byte[] Masked(int opcode, byte[] payload, string keyHex, bool fin = true) => Wire.Frame(opcode, payload, fin, 0, Wire.Hex(keyHex));

    private static byte[] Repeat(byte value, int count)
    {
        var b = new byte[count];
        Array.Fill(b, value);
        return b;
    }

    private static string HexOf(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static List<byte[]> Chop(byte[] bytes, int size)
    {
        var chops = new List<byte[]>();
        for (int i = 0; i < bytes.Length; i += size) chops.Add(bytes[i..Math.Min(bytes.Length, i + size)]);
        return chops;
    }

    /// <summary>One data or ping frame of a repeated byte, optionally chopped, then the suite's close 1000.</summary>
    private static void RunLong(int opcode, byte value, int length, string key, string closeHex, int chopSize = 0)
    {
        byte[] payload = Repeat(value, length);
        byte[] frame = Masked(opcode, payload, key);
        List<byte[]> chops = chopSize > 0 ? Chop(frame, chopSize) : new List<byte[]> { frame };
        chops.Add(Wire.Hex(closeHex));
        string kind = opcode == 1 ? "T:" : opcode == 2 ? "B:" : "P:";
        RunCase(chops, new List<string> { kind + HexOf(payload), "peer:1000" });
    }

    [Fact] public void Case_1_1_2() => RunLong(1, (byte)'*', 125, "007c983c", "8882e915de6aeafd");
    [Fact] public void Case_1_1_3() => RunLong(1, (byte)'*', 126, "e04a7056", "88821ec63cde1d2e");
    [Fact] public void Case_1_1_4() => RunLong(1, (byte)'*', 127, "aa202341", "8882067107b10599");
    [Fact] public void Case_1_1_5() => RunLong(1, (byte)'*', 128, "8d9335e5", "888202e176c90109");
    [Fact] public void Case_1_1_6() => RunLong(1, (byte)'*', 65535, "929a3cbc", "888250a171d85349");
    [Fact] public void Case_1_1_7() => RunLong(1, (byte)'*', 65536, "49703f70", "8882ca65708ac98d");
    [Fact] public void Case_1_1_8() => RunLong(1, (byte)'*', 65536, "8c98007e", "88823ba118393849", chopSize: 997);
    [Fact] public void Case_1_2_2() => RunLong(2, 0xFE, 125, "c3ef2f62", "88823c8d49663f65");
    [Fact] public void Case_1_2_3() => RunLong(2, 0xFE, 126, "3193f496", "888272f08fba7118");
    [Fact] public void Case_1_2_4() => RunLong(2, 0xFE, 127, "6dd55194", "88822755836a24bd");
    [Fact] public void Case_1_2_5() => RunLong(2, 0xFE, 128, "df39d4d9", "8882a9a3bbedaa4b");
    [Fact] public void Case_1_2_6() => RunLong(2, 0xFE, 65535, "d636ca10", "88820100911502e8");
    [Fact] public void Case_1_2_7() => RunLong(2, 0xFE, 65536, "f1e76a8e", "8882d64f224ad5a7");
    [Fact] public void Case_1_2_8() => RunLong(2, 0xFE, 65536, "b6be3804", "888267361de064de", chopSize: 997);
    [Fact] public void Case_2_4() => RunLong(9, 0xFE, 125, "117ccfe4", "8882aa0d68cca9e5");
    [Fact] public void Case_2_6() => RunLong(9, 0xFE, 125, "dffa0d99", "88829bb82ebd9850", chopSize: 1);

    [Fact]
    public void Case_2_5()
    {
        // A ping with 126 bytes of payload: control frames carry at most 125 (§5.5).
        RunCase(new List<byte[]> { Masked(9, Repeat(0xFE, 126), "0661eac5") }, new List<string> { "fail:1002" });
    }

    [Fact]
    public void Case_6_12_8()
    {
        // All 63 continuation bytes 0x80-0xBE on their own: invalid UTF-8 at the first byte (§8.1).
        var payload = new byte[63];
        for (int i = 0; i < 63; i++) payload[i] = (byte)(0x80 + i);
        RunCase(new List<byte[]> { Masked(1, payload, "e049242e") }, new List<string> { "fail:1007" });
    }

    [Fact]
    public void Case_6_13_1()
    {
        // Lonely start bytes 0xC0-0xDE, each followed by a space.
        var payload = new byte[62];
        for (int i = 0; i < 31; i++) { payload[2 * i] = (byte)(0xC0 + i); payload[2 * i + 1] = 0x20; }
        RunCase(new List<byte[]> { Masked(1, payload, "b54b02e1") }, new List<string> { "fail:1007" });
    }

    [Fact]
    public void Case_7_1_6()
    {
        // A 256 KiB message, a small message, the suite's close, then a ping after the close (ignored: no pong).
        byte[] big = new byte[262144];
        byte[] unit = Wire.Utf8("BAsd7&jh23");
        for (int i = 0; i < big.Length; i++) big[i] = unit[i % unit.Length];
        var chops = new List<byte[]>
        {
            Masked(1, big, "795c656e"),
            Wire.Hex("818c17ef08035f8a646f78cf5f6c65836c22"),
            Wire.Hex("88825c2818bb5fc0"),
            Wire.Hex("8980dd0e076b"),
        };
        RunCase(chops, new List<string> { "T:" + HexOf(big), "T:" + HexOf(Wire.Utf8("Hello World!")), "peer:1000" });
    }

    [Fact]
    public void Case_7_3_5()
    {
        // A close with a reason of the maximum length (123 bytes): a normal close, echoed.
        byte[] payload = Wire.Concat(new byte[] { 0x03, 0xE8 }, Repeat((byte)'*', 123));
        RunCase(new List<byte[]> { Masked(8, payload, "0bc6328f") }, new List<string> { "peer:1000" });
    }

    [Fact]
    public void Case_7_3_6()
    {
        // A close whose payload is 126 bytes: too long for a control frame (§5.5), answered with 1002.
        byte[] payload = Wire.Concat(new byte[] { 0x03, 0xE8 }, Repeat((byte)'*', 124));
        RunCase(new List<byte[]> { Masked(8, payload, "ec2bb656") }, new List<string> { "peer:1002" });
    }

    [Fact]
    public void Case_6_4_3_Bytewise_FailsAtTheFirstImpossibleByte()
    {
        // Beyond the suite's own chops: the 6.4.3 frame fed byte by byte fails exactly at the first impossible byte.
        byte[] frame = Wire.Hex("0195ffc067fb317a8646460fe435430ed20f6f40e79e9ba9139e9b");
        var server = new EchoServer();
        for (int i = 0; i < frame.Length; i++)
        {
            server.Feed(frame.AsSpan(i, 1), i);
            if (server.ErrorPiece >= 0) break;
        }
        // Header 6 bytes + PART1 11 bytes + 0xF4, then 0x90 (index 18) can no longer be valid UTF-8.
        Assert.Equal(18, server.ErrorPiece);
    }
}
