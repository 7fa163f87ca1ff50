using WsCore.Framing;
using System.Buffers;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>After warm-up, steady-state receive and send loops allocate nothing (GC.GetAllocatedBytesForCurrentThread).</summary>
public class AllocationTests
{
    /// <summary>A mix of what a connection sees: text, binary, a fragmented message with a ping inside, a pong.</summary>
    private static byte[] Traffic(WebSocketRole receiver)
    {
        var text = Wire.Utf8("steady state κόσμε 𤭢 text message");
        var binary = new byte[3000];
        new Random(1).NextBytes(binary);
        return Wire.Concat(
            Wire.To(receiver, 1, text),
            Wire.To(receiver, 2, binary),
            Wire.To(receiver, 1, text.AsSpan(0, 20), fin: false),
            Wire.To(receiver, 9, Wire.Utf8("ping in between")),
            Wire.To(receiver, 0, text.AsSpan(20), fin: false),
            Wire.To(receiver, 0, default),
            Wire.To(receiver, 10, Wire.Utf8("pong")),
            Wire.To(receiver, 2, new byte[70000]));
    }

    private static int ReceiveAll(WebSocketProtocol p, byte[] input, byte[] destination, ArrayBufferWriter<byte> output, int pieceSize)
    {
        int events = 0;
        int position = 0;
        while (position < input.Length)
        {
            int end = Math.Min(input.Length, position + pieceSize);
            while (position < end)
            {
                ReceiveStatus s = p.Receive(input.AsSpan(position, end - position), destination, out ReceiveResult r);
                position += r.BytesConsumed;
                if (s == ReceiveStatus.NeedMoreData) break;
                if (s == ReceiveStatus.ProtocolError || s == ReceiveStatus.Close) return -1;
                events++;
                if (p.HasPendingOutput)
                {
                    p.WritePendingOutput(output);
                    output.ResetWrittenCount();
                }
            }
        }
        return events;
    }

    [Theory]
    [InlineData(WebSocketRole.Server, 1 << 20)]
    [InlineData(WebSocketRole.Server, 1000)]
    [InlineData(WebSocketRole.Server, 7)]
    [InlineData(WebSocketRole.Client, 1 << 20)]
    [InlineData(WebSocketRole.Client, 7)]
    public void ReceiveLoop_AllocatesNothing(WebSocketRole role, int pieceSize)
    {
        byte[] input = Traffic(role);
        var p = new WebSocketProtocol(role);
        var destination = new byte[1024];
        var output = new ArrayBufferWriter<byte>(256);
        for (int i = 0; i < 20; i++) Assert.True(ReceiveAll(p, input, destination, output, pieceSize) > 0); // warm-up

        int total = 0;
        long allocated = Allocations.Measure(() =>
        {
            for (int i = 0; i < 50; i++) total += ReceiveAll(p, input, destination, output, pieceSize);
        });

        Assert.True(total > 0);
        Assert.Equal(0, allocated);
    }

    private static void SendAll(WebSocketProtocol p, ArrayBufferWriter<byte> output, byte[] text, byte[] binary)
    {
        p.WriteMessage(output, text, MessageKind.Text, true);
        p.WriteMessage(output, binary, MessageKind.Binary, true);
        p.WriteMessage(output, text.AsSpan(0, 10), MessageKind.Text, false);
        p.WritePing(output, text.AsSpan(0, 4));
        p.WriteMessage(output, text.AsSpan(10), MessageKind.Text, true);
        p.WritePong(output, default);
        output.ResetWrittenCount();
    }

    [Theory]
    [InlineData(WebSocketRole.Server)]
    [InlineData(WebSocketRole.Client)]
    public void SendLoop_AllocatesNothing(WebSocketRole role)
    {
        var p = new WebSocketProtocol(role);
        var output = new ArrayBufferWriter<byte>(1 << 17);
        byte[] text = Wire.Utf8("steady state κόσμε text message");
        byte[] binary = new byte[70000];
        for (int i = 0; i < 300; i++) SendAll(p, output, text, binary); // warm-up (and past a mask-key refill)

        long allocated = Allocations.Measure(() =>
        {
            for (int i = 0; i < 1000; i++) SendAll(p, output, text, binary);
        });

        Assert.Equal(0, allocated);
        Assert.Equal(CloseHandshakeState.Open, p.State);
    }

    [Fact]
    public void EchoLoop_WithAutoPong_AllocatesNothing()
    {
        // A server that echoes what it receives and answers pings, as an adapter would drive it.
        byte[] input = Traffic(WebSocketRole.Server);
        var p = new WebSocketProtocol(WebSocketRole.Server);
        var destination = new byte[1 << 17];
        var output = new ArrayBufferWriter<byte>(1 << 17);
        long Run(int rounds)
        {
            long bytes = 0;
            for (int round = 0; round < rounds; round++)
            {
                int position = 0;
                while (position < input.Length)
                {
                    ReceiveStatus s = p.Receive(input.AsSpan(position), destination, out ReceiveResult r);
                    position += r.BytesConsumed;
                    if (s == ReceiveStatus.MessageData) p.WriteMessage(output, destination.AsSpan(0, r.BytesWritten), r.MessageKind, r.EndOfMessage);
                    else if (s == ReceiveStatus.Ping) p.WritePendingOutput(output);
                    bytes += output.WrittenCount;
                    output.ResetWrittenCount();
                }
            }
            return bytes;
        }
        Run(20);
        long echoed = 0;
        long allocated = Allocations.Measure(() => echoed = Run(50));
        Assert.True(echoed > 50 * 70000);
        Assert.Equal(0, allocated);
    }
}
