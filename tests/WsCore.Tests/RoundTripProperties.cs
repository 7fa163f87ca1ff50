using System.Buffers;
using FsCheck.Xunit;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>Property tests: what the writers produce, the readers give back (RFC 6455 §5.2, §5.3).</summary>
public class RoundTripProperties
{
    /// <summary>Stretches a generated payload into the 7-bit, 16-bit or 64-bit length form.</summary>
    private static byte[] Stretch(byte[] payload, int form)
    {
        int target = (form % 3 + 3) % 3 switch
        {
            0 => Math.Min(payload.Length, 125),
            1 => 126 + payload.Length % 300,
            _ => 65536 + payload.Length % 300,
        };
        var result = new byte[target];
        for (int i = 0; i < target; i++) result[i] = payload.Length == 0 ? (byte)i : (byte)(payload[i % payload.Length] + i / payload.Length);
        return result;
    }

    [Property(MaxTest = 300)]
    public void Section_5_2_AnyFrame_WriterThenReader_RoundTrips(byte opcode, bool fin, byte rsv, bool masked, uint key, byte[] payload, int form)
    {
        payload = Stretch(payload ?? Array.Empty<byte>(), form);
        var op = (WebSocketOpcode)(opcode & 0x0F);
        byte reserved = (byte)(rsv & 0x70);
        var buffer = new byte[FrameWriter.GetFrameLength(payload.Length, masked)];
        Assert.Equal(OperationStatus.Done, FrameWriter.TryWriteFrame(buffer, op, payload, fin, reserved, masked, key, out int written));
        Assert.Equal(buffer.Length, written);

        // Independent encoding of the same frame.
        byte[] keyBytes = new byte[4];
        Masking.WriteKey(keyBytes, key);
        Assert.Equal(Wire.Frame((int)op, payload, fin, reserved >> 4, masked ? keyBytes : null), buffer);

        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(buffer, out FrameHeader h, out int headerLength));
        Assert.Equal((fin, reserved, op, masked, masked ? key : 0u, (long)payload.Length), (h.Fin, h.ReservedBits, h.Opcode, h.IsMasked, h.MaskKey, h.PayloadLength));
        Assert.Equal(headerLength + payload.Length, written);
        byte[] body = buffer[headerLength..];
        if (h.IsMasked) Masking.Apply(body, h.MaskKey, 0);
        Assert.Equal(payload, body);
    }

    [Property(MaxTest = 300)]
    public void Section_5_3_ChunkedUnmasking_EqualsOneShot(byte[] data, uint key, int[] cuts, int startOffset)
    {
        data ??= Array.Empty<byte>();
        int offset0 = startOffset & 3;
        byte[] oneShot = (byte[])data.Clone();
        int end = Masking.Apply(oneShot, key, offset0);
        Assert.Equal((offset0 + data.Length) & 3, end);

        // Reference: byte i is XORed with key byte (offset0 + i) % 4, little-endian key order.
        for (int i = 0; i < data.Length; i++) Assert.Equal((byte)(data[i] ^ (byte)(key >> (((offset0 + i) & 3) * 8))), oneShot[i]);

        var inPlace = (byte[])data.Clone();
        var copied = new byte[data.Length];
        int position = 0, offsetA = offset0, offsetB = offset0;
        int c = 0;
        while (position < data.Length)
        {
            int cut = cuts is { Length: > 0 } ? Math.Abs(cuts[c++ % cuts.Length] % 70) : 1;
            int length = Math.Min(Math.Max(cut, 0), data.Length - position);
            offsetA = Masking.Apply(inPlace.AsSpan(position, length), key, offsetA);
            offsetB = Masking.Apply(data.AsSpan(position, length), copied.AsSpan(position, length), key, offsetB);
            position += length;
            if (length == 0 && cuts is { Length: > 0 } && c > cuts.Length * 2) break; // all cuts zero: fall back below
        }
        if (position < data.Length)
        {
            offsetA = Masking.Apply(inPlace.AsSpan(position), key, offsetA);
            offsetB = Masking.Apply(data.AsSpan(position), copied.AsSpan(position), key, offsetB);
        }
        Assert.Equal(oneShot, inPlace);
        Assert.Equal(oneShot, copied);
        Assert.Equal(end, offsetA);
        Assert.Equal(end, offsetB);
    }

    [Property(MaxTest = 150)]
    public void Section_5_4_MessagesWrittenByOneEndpoint_AreReadByTheOther(bool clientSends, string[] texts, byte[][] binaries, int fragmentSeed)
    {
        WebSocketRole sender = clientSends ? WebSocketRole.Client : WebSocketRole.Server;
        WebSocketRole receiver = clientSends ? WebSocketRole.Server : WebSocketRole.Client;
        var writer = new WebSocketProtocol(sender);
        var output = new ArrayBufferWriter<byte>();
        var expected = new List<(MessageKind, byte[])>();
        var random = new Random(fragmentSeed);
        var messages = new List<(MessageKind, byte[])>();
        foreach (string t in texts ?? Array.Empty<string>())
        {
            // Strings from the generator may hold lone surrogates: encode them the way a sender would (replaced).
            messages.Add((MessageKind.Text, System.Text.Encoding.UTF8.GetBytes(t ?? "")));
        }
        foreach (byte[] b in binaries ?? Array.Empty<byte[]>()) messages.Add((MessageKind.Binary, b ?? Array.Empty<byte>()));
        foreach (var (type, payload) in messages)
        {
            // Random fragment boundaries (possibly inside a code point), with pings between fragments.
            int position = 0;
            do
            {
                int length = Math.Min(payload.Length - position, random.Next(0, 40));
                bool last = position + length == payload.Length && random.Next(3) != 0;
                Assert.Equal(SendStatus.Done, writer.WriteMessage(output, payload.AsSpan(position, length), type, last));
                position += length;
                if (random.Next(4) == 0) Assert.Equal(SendStatus.Done, writer.WritePing(output, payload.AsSpan(0, Math.Min(payload.Length, 125))));
                if (last) break;
            } while (true);
            expected.Add((type, payload));
        }
        var h = new Harness(receiver, destinationSize: 1 + random.Next(64)).Feed(output.WrittenSpan.ToArray());
        var got = h.Events.FindAll(e => e.Kind == ReceiveStatus.MessageData).ConvertAll(e => (e.Type, e.Data));
        Assert.Equal(expected.Count, got.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Item1, got[i].Type);
            Assert.Equal(expected[i].Item2, got[i].Data);
        }
        Assert.Null(h.Error);
        // Every frame the sender wrote obeys its role's masking rule (§5.1).
        Assert.All(Wire.ParseFrames(output.WrittenSpan), f => Assert.Equal(clientSends, f.Masked));
    }
}
