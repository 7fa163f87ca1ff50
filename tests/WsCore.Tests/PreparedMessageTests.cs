using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using FsCheck;
using FsCheck.Xunit;
using WsCore.Compression;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// <see cref="PreparedMessage"/> through the sans-I/O core (<see cref="WebSocketProtocol.WritePreparedMessage"/>): each
/// receiver decodes the exact message, in both roles, with and without permessage-deflate (RFC 7692), interleaved with
/// ordinary messages, and with context takeover (the connection's compressor forgets its history after a shared frame).
/// The receivers are WsCore's engine and, as an independent decoder, ManagedWebSocket.
/// </summary>
public class PreparedMessageTests
{
    /// <summary>Every message in <paramref name="wire"/>, as <paramref name="receiver"/> delivers it.</summary>
    internal static List<(MessageKind Kind, byte[] Payload)> ReceiveAll(WebSocketProtocol receiver, ReadOnlySpan<byte> wire)
    {
        var messages = new List<(MessageKind, byte[])>();
        var current = new MemoryStream();
        byte[] destination = new byte[4096];
        while (!wire.IsEmpty || receiver.HasPendingReceiveData)
        {
            ReceiveStatus status = receiver.Receive(wire, destination, out ReceiveResult r);
            wire = wire.Slice(r.BytesConsumed);
            if (status == ReceiveStatus.MessageData)
            {
                current.Write(destination, 0, r.BytesWritten);
                if (r.EndOfMessage)
                {
                    messages.Add((r.MessageKind, current.ToArray()));
                    current.SetLength(0);
                }
            }
            else if (status == ReceiveStatus.ProtocolError)
            {
                throw new InvalidOperationException($"the receiver failed: {receiver.Violation}");
            }
            else if (status == ReceiveStatus.NeedMoreData && r.BytesConsumed == 0 && !receiver.HasPendingReceiveData)
            {
                break;
            }
        }
        return messages;
    }

    /// <summary>Every message in <paramref name="wire"/> as ManagedWebSocket's client decodes it (server frames).</summary>
    private static async Task<List<(MessageKind Kind, byte[] Payload)>> ManagedReceiveAllAsync(byte[] wire, int count, PerMessageDeflateParameters? deflate)
    {
        var options = new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero };
        if (deflate is PerMessageDeflateParameters p)
        {
            options.DangerousDeflateOptions = new WebSocketDeflateOptions
            {
                ServerMaxWindowBits = p.ServerMaxWindowBits,
                ServerContextTakeover = !p.ServerNoContextTakeover,
                ClientMaxWindowBits = p.ClientMaxWindowBits,
                ClientContextTakeover = !p.ClientNoContextTakeover,
            };
        }
        using WebSocket managed = WebSocket.CreateFromStream(new MemoryStream(wire), options);
        var messages = new List<(MessageKind, byte[])>();
        byte[] buffer = new byte[4096];
        for (int i = 0; i < count; i++)
        {
            var current = new MemoryStream();
            while (true)
            {
                ValueWebSocketReceiveResult r = await managed.ReceiveAsync(buffer.AsMemory(), default);
                current.Write(buffer, 0, r.Count);
                if (r.EndOfMessage)
                {
                    messages.Add((r.MessageType == WebSocketMessageType.Text ? MessageKind.Text : MessageKind.Binary, current.ToArray()));
                    break;
                }
            }
        }
        return messages;
    }

    private static byte[] Json(int length, int seed)
    {
        var s = new StringBuilder();
        var random = new Random(seed);
        while (s.Length < length) s.Append("{\"id\":").Append(random.Next(1000)).Append(",\"name\":\"item\",\"ok\":true},");
        return Encoding.UTF8.GetBytes(s.ToString(0, length));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    [InlineData(65536)]
    [InlineData(200_000)]
    public void Server_frame_is_the_frame_WriteMessage_writes(int length)
    {
        byte[] payload = Json(length, length);
        var prepared = new PreparedMessage(payload, MessageKind.Text);
        Assert.Equal(length, prepared.Length);
        Assert.Equal(MessageKind.Text, prepared.Kind);
        using var a = new WebSocketProtocol(WebSocketRole.Server);
        using var b = new WebSocketProtocol(WebSocketRole.Server);
        var viaPrepared = new ArrayBufferWriter<byte>();
        var viaMessage = new ArrayBufferWriter<byte>();
        Assert.Equal(SendStatus.Done, a.WritePreparedMessage(viaPrepared, prepared));
        Assert.Equal(SendStatus.Done, b.WriteMessage(viaMessage, payload, MessageKind.Text, true));
        Assert.Equal(viaMessage.WrittenSpan.ToArray(), viaPrepared.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    [InlineData(20_000)]
    [InlineData(100_000)]
    public void Client_masks_each_frame_with_a_fresh_key_and_the_server_decodes_it(int length)
    {
        byte[] payload = Json(length, 7);
        var prepared = new PreparedMessage(payload, MessageKind.Binary);
        using var client = new WebSocketProtocol(WebSocketRole.Client);
        var wire = new ArrayBufferWriter<byte>();
        Assert.Equal(SendStatus.Done, client.WritePreparedMessage(wire, prepared));
        Assert.Equal(SendStatus.Done, client.WritePreparedMessage(wire, prepared));
        List<ParsedFrame> frames = Wire.ParseFrames(wire.WrittenSpan);
        Assert.Equal(2, frames.Count);
        Assert.All(frames, f => Assert.True(f.Masked));
        using var server = new WebSocketProtocol(WebSocketRole.Server);
        List<(MessageKind Kind, byte[] Payload)> got = ReceiveAll(server, wire.WrittenSpan);
        Assert.Equal(2, got.Count);
        Assert.All(got, m => Assert.Equal(payload, m.Payload));
        Assert.All(got, m => Assert.Equal(MessageKind.Binary, m.Kind));
    }

    public static TheoryData<int, bool, bool> DeflateCases()
    {
        var data = new TheoryData<int, bool, bool>();
        foreach (int bits in new[] { 8, 9, 12, 15 })
        foreach (bool noContextTakeover in new[] { false, true })
        foreach (bool client in new[] { false, true })
            data.Add(bits, noContextTakeover, client);
        return data;
    }

    [Theory]
    [MemberData(nameof(DeflateCases))]
    public void Compressed_prepared_messages_interleaved_with_ordinary_ones_decode_exactly(int windowBits, bool noContextTakeover, bool clientSends)
    {
        var parameters = new PerMessageDeflateParameters(windowBits, noContextTakeover, windowBits, noContextTakeover);
        WebSocketRole senderRole = clientSends ? WebSocketRole.Client : WebSocketRole.Server;
        WebSocketRole receiverRole = clientSends ? WebSocketRole.Server : WebSocketRole.Client;
        using var sender = new WebSocketProtocol(senderRole, null, parameters);
        using var receiver = new WebSocketProtocol(receiverRole, null, parameters);
        var sent = new List<byte[]>();
        var wire = new ArrayBufferWriter<byte>();
        byte[] shared = Json(3000, 1);
        var prepared = new PreparedMessage(shared, MessageKind.Text);
        for (int i = 0; i < 6; i++)
        {
            // An ordinary message that repeats the shared one: with context takeover it would refer back into it.
            byte[] own = Json(2000 + i * 500, 1);
            Assert.Equal(SendStatus.Done, sender.WriteMessage(wire, own, MessageKind.Text, true));
            sent.Add(own);
            Assert.Equal(SendStatus.Done, sender.WritePreparedMessage(wire, prepared));
            sent.Add(shared);
        }
        List<ParsedFrame> frames = Wire.ParseFrames(wire.WrittenSpan);
        Assert.All(frames, f => Assert.Equal(FrameHeader.Rsv1Bit, f.ReservedBits)); // every message compressed (RSV1)
        List<(MessageKind Kind, byte[] Payload)> got = ReceiveAll(receiver, wire.WrittenSpan);
        Assert.Equal(sent.Count, got.Count);
        for (int i = 0; i < sent.Count; i++) Assert.Equal(sent[i], got[i].Payload);
    }

    [Theory]
    [InlineData(15, false)]
    [InlineData(15, true)]
    [InlineData(10, false)]
    public async Task ManagedWebSocket_decodes_compressed_prepared_messages_interleaved_with_ordinary_ones(int windowBits, bool noContextTakeover)
    {
        var parameters = new PerMessageDeflateParameters(windowBits, noContextTakeover, 15, false);
        using var server = new WebSocketProtocol(WebSocketRole.Server, null, parameters);
        var wire = new ArrayBufferWriter<byte>();
        var sent = new List<byte[]>();
        var prepared = new PreparedMessage(Json(5000, 3), MessageKind.Text);
        for (int i = 0; i < 5; i++)
        {
            byte[] own = Json(4000, 3);
            server.WriteMessage(wire, own, MessageKind.Text, true);
            sent.Add(own);
            server.WritePreparedMessage(wire, prepared);
            server.WritePreparedMessage(wire, prepared);
            sent.Add(Json(5000, 3));
            sent.Add(Json(5000, 3));
        }
        List<(MessageKind Kind, byte[] Payload)> got = await ManagedReceiveAllAsync(wire.WrittenSpan.ToArray(), sent.Count, parameters);
        for (int i = 0; i < sent.Count; i++) Assert.Equal(sent[i], got[i].Payload);
    }

    [Fact]
    public void A_prepared_message_is_compressed_once_per_window_size()
    {
        var prepared = new PreparedMessage(Json(10_000, 5), MessageKind.Text);
        var wire15a = new ArrayBufferWriter<byte>();
        var wire15b = new ArrayBufferWriter<byte>();
        var wire9 = new ArrayBufferWriter<byte>();
        using (var a = new WebSocketProtocol(WebSocketRole.Server, null, PerMessageDeflateParameters.Default)) a.WritePreparedMessage(wire15a, prepared);
        using (var b = new WebSocketProtocol(WebSocketRole.Server, null, new PerMessageDeflateParameters(15, true, 15, true))) b.WritePreparedMessage(wire15b, prepared);
        using (var c = new WebSocketProtocol(WebSocketRole.Server, null, new PerMessageDeflateParameters(9, false, 15, false))) c.WritePreparedMessage(wire9, prepared);
        Assert.Equal(wire15a.WrittenSpan.ToArray(), wire15b.WrittenSpan.ToArray()); // the same bytes, whatever the context takeover
        Assert.True(wire15a.WrittenCount < 10_000 / 4, $"{wire15a.WrittenCount} compressed bytes");
        Assert.True(wire9.WrittenCount > 0);
    }

    [Fact]
    public void Uncompressible_prepared_message_goes_out_with_RSV1_clear_on_a_deflate_connection()
    {
        byte[] payload = Json(1000, 9);
        var prepared = new PreparedMessage(payload, MessageKind.Text, compress: false);
        Assert.False(prepared.IsCompressible);
        using var server = new WebSocketProtocol(WebSocketRole.Server, null, PerMessageDeflateParameters.Default);
        using var client = new WebSocketProtocol(WebSocketRole.Client, null, PerMessageDeflateParameters.Default);
        var wire = new ArrayBufferWriter<byte>();
        server.WriteMessage(wire, payload, MessageKind.Text, true);
        server.WritePreparedMessage(wire, prepared);
        server.WriteMessage(wire, payload, MessageKind.Text, true);
        List<ParsedFrame> frames = Wire.ParseFrames(wire.WrittenSpan);
        Assert.Equal([FrameHeader.Rsv1Bit, (byte)0, FrameHeader.Rsv1Bit], frames.Select(f => f.ReservedBits).ToArray());
        List<(MessageKind Kind, byte[] Payload)> got = ReceiveAll(client, wire.WrittenSpan);
        Assert.Equal(3, got.Count);
        Assert.All(got, m => Assert.Equal(payload, m.Payload));
    }

    [Fact]
    public void Closed_and_mid_message_sends_write_nothing()
    {
        var prepared = new PreparedMessage([1, 2, 3], MessageKind.Binary);
        using var server = new WebSocketProtocol(WebSocketRole.Server);
        var wire = new ArrayBufferWriter<byte>();
        Assert.Equal(SendStatus.Done, server.WriteMessage(wire, [9], MessageKind.Binary, endOfMessage: false));
        int before = wire.WrittenCount;
        Assert.Equal(SendStatus.MessageInProgress, server.WritePreparedMessage(wire, prepared));
        Assert.Equal(before, wire.WrittenCount);
        Assert.Equal(SendStatus.Done, server.WriteMessage(wire, [9], MessageKind.Binary, endOfMessage: true));
        Assert.Equal(SendStatus.Done, server.WritePreparedMessage(wire, prepared));
        Assert.Equal(SendStatus.Done, server.WriteClose(wire, 1000, default));
        before = wire.WrittenCount;
        Assert.Equal(SendStatus.Closed, server.WritePreparedMessage(wire, prepared));
        Assert.Equal(before, wire.WrittenCount);
    }

    [Fact]
    public void Kind_other_than_text_or_binary_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreparedMessage([], (MessageKind)0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreparedMessage([], (MessageKind)9));
    }

    /// <summary>
    /// Property: any sequence of prepared and ordinary messages (random payloads, kinds, sizes, compression on or off,
    /// context takeover or not, either role) decodes to exactly what was sent.
    /// </summary>
    [Property(MaxTest = 120)]
    public void Any_mix_of_prepared_and_ordinary_messages_round_trips(NonEmptyArray<byte[]> payloads, bool[] preparedFlags, bool[] textFlags, bool deflate, bool noContextTakeover, bool clientSends, byte windowBits)
    {
        int bits = 8 + windowBits % 8;
        PerMessageDeflateParameters? parameters = deflate ? new PerMessageDeflateParameters(bits, noContextTakeover, bits, noContextTakeover) : null;
        using var sender = new WebSocketProtocol(clientSends ? WebSocketRole.Client : WebSocketRole.Server, null, parameters);
        using var receiver = new WebSocketProtocol(clientSends ? WebSocketRole.Server : WebSocketRole.Client, null, parameters);
        var wire = new ArrayBufferWriter<byte>();
        var sent = new List<(MessageKind, byte[])>();
        for (int i = 0; i < payloads.Get.Length; i++)
        {
            byte[] raw = payloads.Get[i] ?? [];
            bool text = textFlags is { Length: > 0 } && textFlags[i % textFlags.Length];
            // Text must be valid UTF-8: hex of the bytes (compressible, repetitive enough to meet back-references).
            byte[] payload = text ? Encoding.ASCII.GetBytes(Convert.ToHexString(raw) + Convert.ToHexString(raw)) : raw;
            MessageKind kind = text ? MessageKind.Text : MessageKind.Binary;
            bool usePrepared = preparedFlags is not { Length: > 0 } || preparedFlags[i % preparedFlags.Length];
            if (usePrepared)
            {
                var prepared = new PreparedMessage(payload, kind, compress: i % 5 != 4);
                Assert.Equal(SendStatus.Done, sender.WritePreparedMessage(wire, prepared));
            }
            else
            {
                Assert.Equal(SendStatus.Done, sender.WriteMessage(wire, payload, kind, true));
            }
            sent.Add((kind, payload));
        }
        List<(MessageKind Kind, byte[] Payload)> got = ReceiveAll(receiver, wire.WrittenSpan);
        Assert.Equal(sent.Count, got.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i].Item1, got[i].Kind);
            Assert.Equal(sent[i].Item2, got[i].Payload);
        }
    }
}
