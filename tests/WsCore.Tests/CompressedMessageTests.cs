using System.Buffers;
using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WsCore.Closing;
using WsCore.Compression;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>permessage-deflate (RFC 7692) through the engine: what one role compresses, the other inflates.</summary>
public class CompressedMessageTests
{
    private static readonly PerMessageDeflateParameters Default = PerMessageDeflateParameters.Default;

    /// <summary>Sends messages from <paramref name="sender"/> and returns what <paramref name="receiver"/> delivers.</summary>
    private static List<(MessageKind Type, byte[] Data)> Transfer(WebSocketProtocol sender, WebSocketProtocol receiver,
        IEnumerable<(MessageKind Type, byte[] Data, int Fragments)> messages, int destinationSize, int chunk)
    {
        var wire = new ArrayBufferWriter<byte>();
        foreach (var (type, data, fragments) in messages)
        {
            int size = (data.Length + fragments - 1) / Math.Max(1, fragments);
            int offset = 0;
            for (int i = 0; i < fragments; i++)
            {
                int n = i == fragments - 1 ? data.Length - offset : Math.Min(size, data.Length - offset);
                Assert.Equal(SendStatus.Done, sender.WriteMessage(wire, data.AsSpan(offset, n), type, i == fragments - 1));
                offset += n;
            }
        }
        var received = new List<(MessageKind, byte[])>();
        var current = new List<byte>();
        byte[] destination = new byte[destinationSize];
        ReadOnlySpan<byte> all = wire.WrittenSpan;
        int position = 0;
        while (position < all.Length)
        {
            ReadOnlySpan<byte> piece = all.Slice(position, Math.Min(chunk, all.Length - position));
            while (true)
            {
                ReceiveStatus status = receiver.Receive(piece, destination, out ReceiveResult r);
                piece = piece.Slice(r.BytesConsumed);
                position += r.BytesConsumed;
                if (status == ReceiveStatus.NeedMoreData) break;
                Assert.Equal(ReceiveStatus.MessageData, status);
                current.AddRange(destination.AsSpan(0, r.BytesWritten).ToArray());
                if (r.EndOfMessage)
                {
                    received.Add((r.MessageKind, current.ToArray()));
                    current.Clear();
                }
            }
        }
        return received;
    }

    [Theory]
    [InlineData(WebSocketRole.Client, 0)]
    [InlineData(WebSocketRole.Client, 1)]
    [InlineData(WebSocketRole.Client, 125)]
    [InlineData(WebSocketRole.Client, 70_000)]
    [InlineData(WebSocketRole.Server, 1_048_576)]
    [InlineData(WebSocketRole.Server, 5)]
    public void Messages_round_trip_compressed(WebSocketRole senderRole, int size)
    {
        WebSocketRole receiverRole = senderRole == WebSocketRole.Client ? WebSocketRole.Server : WebSocketRole.Client;
        using var sender = new WebSocketProtocol(senderRole, null, Default);
        using var receiver = new WebSocketProtocol(receiverRole, null, Default);
        byte[] text = new byte[size];
        for (int i = 0; i < size; i++) text[i] = (byte)('a' + (i * 7 % 26));
        byte[] binary = new byte[size];
        new Random(size).NextBytes(binary);
        var got = Transfer(sender, receiver, [(MessageKind.Text, text, 1), (MessageKind.Binary, binary, 3), (MessageKind.Text, text, 1)], 4096, 1000);
        Assert.Equal(3, got.Count);
        Assert.Equal(text, got[0].Data);
        Assert.Equal(MessageKind.Binary, got[1].Type);
        Assert.Equal(binary, got[1].Data);
        Assert.Equal(text, got[2].Data);
    }

    [Fact]
    public void Only_the_first_frame_of_a_compressed_message_carries_rsv1()
    {
        using var client = new WebSocketProtocol(WebSocketRole.Client, null, Default);
        var wire = new ArrayBufferWriter<byte>();
        byte[] data = new byte[300_000];
        new Random(1).NextBytes(data); // incompressible: several 64 KiB frames
        client.WriteMessage(wire, data, MessageKind.Binary, endOfMessage: true);
        ReadOnlySpan<byte> rest = wire.WrittenSpan;
        int frames = 0;
        while (!rest.IsEmpty)
        {
            Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(rest, out FrameHeader h, out int n));
            Assert.Equal(frames == 0, h.Rsv1);
            Assert.Equal(frames == 0 ? WebSocketOpcode.Binary : WebSocketOpcode.Continuation, h.Opcode);
            Assert.True(h.IsMasked);
            rest = rest.Slice(n + (int)h.PayloadLength);
            frames++;
            if (rest.IsEmpty) Assert.True(h.Fin);
        }
        Assert.True(frames > 1);
    }

    [FsCheck.Xunit.Property(MaxTest = 60)]
    public Property Any_messages_any_split_any_destination_round_trip(byte[][] payloads, PositiveInt chunk, PositiveInt destination, bool noContextTakeover)
    {
        var parameters = new PerMessageDeflateParameters(15, noContextTakeover, 15, noContextTakeover);
        using var sender = new WebSocketProtocol(WebSocketRole.Client, null, parameters);
        using var receiver = new WebSocketProtocol(WebSocketRole.Server, null, parameters);
        var messages = payloads.Select((p, i) => (MessageKind.Binary, p ?? [], 1 + i % 3)).ToList();
        var got = Transfer(sender, receiver, messages, 1 + destination.Get % 300, 1 + chunk.Get % 97);
        return (got.Count == messages.Count && got.Zip(messages).All(x => x.First.Data.AsSpan().SequenceEqual(x.Second.Item2))).ToProperty();
    }

    private static byte[] ClientFrame(byte[] payload, WebSocketOpcode opcode, bool rsv1, bool fin = true)
    {
        var w = new ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(w, opcode, payload, fin, rsv1 ? FrameHeader.Rsv1Bit : (byte)0, masked: true, 0x12345678);
        return w.WrittenSpan.ToArray();
    }

    private static byte[] RawDeflate(byte[] data)
    {
        var ms = new MemoryStream();
        using (var d = new DeflateStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            d.Write(data);
            d.Flush();
        }
        byte[] all = ms.ToArray();
        return all; // ends with a final block: RFC 7692 §7.2.3.2 allows it
    }

    [Fact]
    public void A_decompression_bomb_ends_with_1009_just_past_the_limit()
    {
        // 10 MiB of zeros compress to about 10 KB; the limit is 1 MiB of inflated data.
        byte[] bomb = RawDeflate(new byte[10 * 1024 * 1024]);
        var options = new WebSocketProtocolOptions { MaxMessageLength = 1024 * 1024 };
        using var server = new WebSocketProtocol(WebSocketRole.Server, options, Default);
        byte[] wire = ClientFrame(bomb, WebSocketOpcode.Binary, rsv1: true);
        byte[] destination = new byte[16 * 1024];
        long delivered = 0;
        ReadOnlySpan<byte> input = wire;
        ReceiveStatus status;
        do
        {
            status = server.Receive(input, destination, out ReceiveResult r);
            input = input.Slice(r.BytesConsumed);
            if (status == ReceiveStatus.MessageData) delivered += r.BytesWritten;
        }
        while (status == ReceiveStatus.MessageData);
        Assert.Equal(ReceiveStatus.ProtocolError, status);
        Assert.Equal(ProtocolViolation.MessageTooLarge, server.Violation);
        Assert.True(delivered <= options.MaxMessageLength, $"delivered {delivered}");
        var output = new ArrayBufferWriter<byte>();
        server.WritePendingOutput(output);
        Assert.Equal(CloseCodes.MessageTooBig, (ushort)(output.WrittenSpan[2] << 8 | output.WrittenSpan[3]));
    }

    [Fact]
    public void Corrupt_deflate_data_ends_with_1007()
    {
        using var server = new WebSocketProtocol(WebSocketRole.Server, null, Default);
        byte[] wire = ClientFrame([0xFF, 0xFF, 0xFF, 0xFF, 0x00], WebSocketOpcode.Binary, rsv1: true);
        ReceiveStatus status = server.Receive(wire, new byte[1024], out _);
        Assert.Equal(ReceiveStatus.ProtocolError, status);
        Assert.Equal(ProtocolViolation.InvalidCompressedData, server.Violation);
        Assert.Equal(CloseCodes.InvalidPayloadData, ProtocolViolations.GetCloseCode(server.Violation));
    }

    [Fact]
    public void Compressed_text_that_inflates_to_invalid_utf8_ends_with_1007()
    {
        using var server = new WebSocketProtocol(WebSocketRole.Server, null, Default);
        byte[] wire = ClientFrame(RawDeflate([0xCE, 0xBA, 0xED, 0xA0, 0x80]), WebSocketOpcode.Text, rsv1: true);
        ReceiveStatus status = server.Receive(wire, new byte[1024], out _);
        Assert.Equal(ReceiveStatus.ProtocolError, status);
        Assert.Equal(ProtocolViolation.InvalidUtf8, server.Violation);
    }

    [Fact]
    public void Compressed_messages_from_DeflateStream_inflate()
    {
        using var server = new WebSocketProtocol(WebSocketRole.Server, null, Default);
        byte[] text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("κόσμε hello ", 500)));
        byte[] wire = ClientFrame(RawDeflate(text), WebSocketOpcode.Text, rsv1: true);
        byte[] destination = new byte[100_000];
        ReceiveStatus status = server.Receive(wire, destination, out ReceiveResult r);
        Assert.Equal(ReceiveStatus.MessageData, status);
        Assert.True(r.EndOfMessage);
        Assert.Equal(text, destination.AsSpan(0, r.BytesWritten).ToArray());
    }

    [Fact]
    public void Steady_state_compressed_send_and_receive_allocate_nothing()
    {
        using var client = new WebSocketProtocol(WebSocketRole.Client, null, Default);
        using var server = new WebSocketProtocol(WebSocketRole.Server, null, Default);
        var wire = new ArrayBufferWriter<byte>(1 << 20);
        byte[] payload = new byte[4096];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)('a' + i % 13);
        byte[] destination = new byte[8192];

        void RoundTrip()
        {
            wire.ResetWrittenCount();
            client.WriteMessage(wire, payload, MessageKind.Text, endOfMessage: true);
            ReadOnlySpan<byte> input = wire.WrittenSpan;
            while (!input.IsEmpty)
            {
                server.Receive(input, destination, out ReceiveResult r);
                input = input.Slice(r.BytesConsumed);
            }
        }

        for (int i = 0; i < 100; i++) RoundTrip();
        Assert.Equal(0, Allocations.Measure(() =>
        {
            for (int i = 0; i < 1000; i++) RoundTrip();
        }));
    }
}
