using System.Buffers;
using FsCheck.Xunit;
using WsCore.Compression;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// The receive fast path shares the frame rules: <see cref="FrameRules.FastPath.Accepts"/> (its test on a frame's first
/// two bytes) accepts exactly the headers that <see cref="FrameRules.Check"/> accepts as a whole one-frame text or
/// binary message (FIN, no reserved bits) when no message is open, for every two-byte header, role, negotiated extension
/// and limit; and a frame read by the fast path gives the same events as the same frame read by the phases (split
/// after its first byte, so the fast path cannot take it).
/// </summary>
public class FrameRulesProperties
{
    private static readonly byte[] Key = Wire.Key;

    /// <summary>Decodes a header from its first two bytes (the mask key and no extended length follow, as needed).</summary>
    private static FrameHeader Decode(int b0, int b1)
    {
        Span<byte> bytes = stackalloc byte[14];
        bytes[0] = (byte)b0;
        bytes[1] = (byte)b1;
        Key.CopyTo(bytes.Slice(2)); // a 7-bit length: the key follows at once
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(bytes, out FrameHeader header, out _));
        return header;
    }

    /// <summary>What the rules say the fast path may take: a whole text or binary message that passes <see cref="FrameRules.Check"/>.</summary>
    private static bool RulesAllowFastPath(in FrameHeader header, in ReceiveContext context)
        => FrameRules.Check(in header, in context) == ProtocolViolation.None && header.Fin && header.ReservedBits == 0
           && header.Opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary;

    private static void AssertFastPathTestIsTheRules(in ReceiveContext context)
    {
        Assert.False(context.InMessage); // the fast path is only tried with no message open
        var fastPath = new FrameRules.FastPath(in context);
        for (int b0 = 0; b0 < 256; b0++)
        {
            for (int b1 = 0; b1 < 256; b1++)
            {
                bool fast = fastPath.Accepts(b0, b1);
                if ((b1 & 0x7F) > FrameHeader.MaxControlPayloadLength)
                {
                    Assert.False(fast, $"fast path for an extended length {b0:X2} {b1:X2}");
                    continue;
                }
                FrameHeader header = Decode(b0, b1);
                if (fast != RulesAllowFastPath(in header, in context))
                {
                    Assert.Fail($"header {b0:X2} {b1:X2}: fast path {fast}, rules {FrameRules.Check(in header, in context)}");
                }
            }
        }
    }

    public static TheoryData<bool, bool, long, long, int> Contexts()
    {
        var data = new TheoryData<bool, bool, long, long, int>();
        var defaults = WebSocketProtocolOptions.Default;
        (long Frame, long Message)[] limits =
        [
            (defaults.MaxFramePayloadLength, defaults.MaxMessageLength), (0, 0), (0, 1000), (1000, 0), (2, 100), (100, 2),
            (124, 125), (125, 124), (125, 125), (126, 126), (long.MaxValue, long.MaxValue),
        ];
        foreach (bool server in new[] { true, false })
            foreach (bool deflate in new[] { false, true })
                foreach ((long frame, long message) in limits)
                    foreach (int fragments in new[] { 1, 2, defaults.MaxFragmentsPerMessage, int.MaxValue })
                        data.Add(server, deflate, frame, message, fragments);
        return data;
    }

    [Theory]
    [MemberData(nameof(Contexts))]
    public void FastPathTest_IsTheRules_ForEveryTwoByteHeader(bool server, bool deflate, long maxFrame, long maxMessage, int maxFragments)
    {
        var context = new ReceiveContext(server, deflate ? FrameHeader.Rsv1Bit : (byte)0, maxFrame, maxMessage, maxFragments);
        AssertFastPathTestIsTheRules(in context);
    }

    private static long Limit(long x) => (x & 1) == 0 ? Math.Abs(x % 300) : long.MaxValue - Math.Abs(x % 300);

    [Property(MaxTest = 100)]
    public void FastPathTest_IsTheRules_ForAnyLimitsAndWhateverTheLastMessageLeft(bool server, bool deflate, long maxFrame, long maxMessage,
        int maxFragments, bool lastCompressed, long lastLength, int lastFragments)
    {
        var context = new ReceiveContext(server, deflate ? FrameHeader.Rsv1Bit : (byte)0, Limit(maxFrame), Limit(maxMessage),
            maxFragments == int.MinValue ? int.MaxValue : Math.Max(1, Math.Abs(maxFragments)))
        {
            // Left from an earlier message: a frame that opens a message must not look at it.
            MessageCompressed = lastCompressed,
            MessageLength = Math.Abs(lastLength % 1000),
            MessageFragments = Math.Abs(lastFragments % 1000),
        };
        AssertFastPathTestIsTheRules(in context);
    }

    // ---- The fast path and the phases give the same events ----

    private static readonly WebSocketProtocolOptions[] OptionSets =
    [
        WebSocketProtocolOptions.Default,
        new() { MaxFramePayloadLength = 2, MaxMessageLength = 100 },
        new() { MaxFramePayloadLength = 100, MaxMessageLength = 1 },
        new() { MaxFragmentsPerMessage = 1, AutoPong = false, AutoCloseReply = false },
    ];

    /// <summary>The whole frame in one piece (the fast path may take it) and split after its first byte (the phases read it).</summary>
    private static void AssertSameEvents(WebSocketRole role, WebSocketProtocolOptions options, PerMessageDeflateParameters? deflate,
        byte[] prefix, byte[] frame)
    {
        var whole = new Harness(role, options, 4096, deflate).Feed(prefix, frame);
        var split = new Harness(role, options, 4096, deflate).Feed(prefix, frame[..1], frame[1..]);
        Assert.Equal(whole.Events.Count, split.Events.Count);
        for (int i = 0; i < whole.Events.Count; i++)
            Assert.True(whole.Events[i].SameAs(split.Events[i]), $"frame {Convert.ToHexString(frame.AsSpan(0, 2))}: {whole.Events[i]} vs {split.Events[i]}");
        Assert.Equal(whole.Protocol.Violation, split.Protocol.Violation);
        Assert.Equal(whole.Protocol.State, split.Protocol.State);
        Assert.Equal(whole.PartialMessage, split.PartialMessage);
        List<ParsedFrame> a = whole.Drain(), b = split.Drain();
        Assert.Equal(a.ConvertAll(f => (f.Opcode, f.Fin, Convert.ToHexString(f.Payload))), b.ConvertAll(f => (f.Opcode, f.Fin, Convert.ToHexString(f.Payload))));
        whole.Protocol.Dispose();
        split.Protocol.Dispose();
    }

    private static byte[] Content(int length, bool valid)
    {
        var content = new byte[length];
        for (int i = 0; i < length; i++) content[i] = (byte)('a' + i % 26);
        if (!valid && length > 0) content[length - 1] = 0xC3; // a code point cut off at the end of the message
        return content;
    }

    public static TheoryData<bool, int, bool> FrameCases()
    {
        var data = new TheoryData<bool, int, bool>();
        foreach (bool server in new[] { true, false })
            foreach (int options in new[] { 0, 1, 2, 3 })
                foreach (bool messageOpen in new[] { false, true })
                    data.Add(server, options, messageOpen);
        return data;
    }

    [Theory]
    [MemberData(nameof(FrameCases))]
    public void FastPath_AndPhases_GiveTheSameEvents_ForEveryFirstByte(bool server, int optionSet, bool messageOpen)
    {
        WebSocketRole role = server ? WebSocketRole.Server : WebSocketRole.Client;
        byte[] prefix = messageOpen ? Wire.To(role, 1, Wire.Utf8("ab"), fin: false) : [];
        foreach (int length in new[] { 0, 1, 2, 3, 100, 125 })
        {
            foreach (bool valid in new[] { true, false })
            {
                byte[] content = Content(length, valid);
                for (int b0 = 0; b0 < 256; b0++)
                {
                    foreach (bool masked in new[] { true, false })
                    {
                        byte[] frame = Wire.Frame(b0 & 0x0F, content, fin: (b0 & 0x80) != 0, rsv: (b0 >> 4) & 7, maskKey: masked ? Key : null);
                        AssertSameEvents(role, OptionSets[optionSet], null, prefix, frame);
                    }
                }
            }
        }
    }

    [Property(MaxTest = 300)]
    public void FastPath_AndPhases_GiveTheSameEvents_ForAnySmallFrame(byte b0, bool masked, byte[] content, bool server, byte optionSet,
        bool deflate, bool messageOpen)
    {
        content = (content ?? [])[..Math.Min(content?.Length ?? 0, 125)];
        WebSocketRole role = server ? WebSocketRole.Server : WebSocketRole.Client;
        byte[] prefix = messageOpen ? Wire.To(role, 2, [1, 2], fin: false) : [];
        byte[] frame = Wire.Frame(b0 & 0x0F, content, fin: (b0 & 0x80) != 0, rsv: (b0 >> 4) & 7, maskKey: masked ? Key : null);
        AssertSameEvents(role, OptionSets[optionSet % OptionSets.Length], deflate ? PerMessageDeflateParameters.Default : null, prefix, frame);
    }
}
