using WsCore.Framing;
using System.IO.Pipelines;
using System.Text;
using FsCheck.Xunit;
using WsCore.Closing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// Property: a message received whole (<see cref="WebSocketConnection.ReceiveMessageAsync(int, CancellationToken)"/>) is the
/// concatenation of the chunks <see cref="WebSocketConnection.ReceiveAsync"/> gives for the same bytes, and both are the
/// message sent, however the sender fragmented it (RFC 6455 §5.4), with pings between fragments, however the transport
/// split the bytes, and whatever the chunk buffer's size.
/// </summary>
public class MessageSplitInvarianceProperties
{
    private static readonly string[] TextPieces = { "a", "ü", "€", "𤭢", "κόσμε", " ", "日本", "👋" };

    private sealed record Sent(int Opcode, byte[] Payload);

    [Property(MaxTest = 60)]
    public void Whole_messages_equal_the_concatenation_of_chunks_for_any_fragmentation(int seed)
    {
        var r = new Random(seed);
        // 1-4 messages, text or binary, 0 B to ~40 KB, each cut into 1-8 fragments at random byte positions (text
        // fragments may split a code point: only the whole message must be valid UTF-8), pings in between.
        var messages = new List<Sent>();
        var wire = new List<byte[]>();
        int count = 1 + r.Next(4);
        for (int m = 0; m < count; m++)
        {
            bool text = r.Next(2) == 0;
            int size = r.Next(4) == 0 ? r.Next(40_000) : r.Next(300);
            byte[] payload;
            if (text)
            {
                var s = new StringBuilder();
                while (Encoding.UTF8.GetByteCount(s.ToString()) < size) s.Append(TextPieces[r.Next(TextPieces.Length)]);
                payload = Encoding.UTF8.GetBytes(s.ToString());
            }
            else
            {
                payload = new byte[size];
                r.NextBytes(payload);
            }
            messages.Add(new Sent(text ? 1 : 2, payload));
            int fragments = 1 + r.Next(8);
            var cuts = new SortedSet<int>();
            for (int i = 1; i < fragments; i++) cuts.Add(r.Next(payload.Length + 1)); // empty fragments too
            int at = 0, index = 0;
            foreach (int cut in cuts.Append(payload.Length))
            {
                bool last = index == cuts.Count; // the appended end
                wire.Add(Wire.Client(index == 0 ? (text ? 1 : 2) : 0, payload.AsSpan(at, cut - at), fin: last));
                if (!last && r.Next(3) == 0) wire.Add(Wire.Client(9, new byte[r.Next(10)]));
                at = cut;
                index++;
            }
        }
        wire.Add(Wire.Client(8, Wire.ClosePayload(4321, "fin ✓")));
        byte[] stream = Wire.Concat(wire.ToArray());
        int[] splits = Enumerable.Range(0, 40).Select(_ => 1 + r.Next(r.Next(2) == 0 ? 16 : 9000)).ToArray();
        int chunkBuffer = 1 + r.Next(r.Next(2) == 0 ? 8 : 5000);

        List<(MessageKind, byte[])> whole = ReceiveWholeAsync(stream, splits).GetAwaiter().GetResult();
        List<(MessageKind, byte[])> chunked = ReceiveChunkedAsync(stream, splits, chunkBuffer).GetAwaiter().GetResult();

        Assert.Equal(messages.Count, whole.Count);
        Assert.Equal(messages.Count, chunked.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            MessageKind kind = messages[i].Opcode == 1 ? MessageKind.Text : MessageKind.Binary;
            Assert.Equal(kind, whole[i].Item1);
            Assert.Equal(kind, chunked[i].Item1);
            Assert.Equal(messages[i].Payload, whole[i].Item2);
            Assert.Equal(chunked[i].Item2, whole[i].Item2);
        }
    }

    private static (WebSocketConnection server, Task feeding) ServerFedWith(byte[] stream, int[] splits)
    {
        var input = new Pipe();
        var output = new Pipe(new PipeOptions(pauseWriterThreshold: 0)); // pongs and the close reply: nobody reads them
        var server = new WebSocketConnection(new DuplexPipe(input.Reader, output.Writer), WebSocketRole.Server);
        async Task Feed()
        {
            int at = 0, i = 0;
            while (at < stream.Length)
            {
                int n = Math.Min(splits[i++ % splits.Length], stream.Length - at);
                await input.Writer.WriteAsync(stream.AsMemory(at, n));
                at += n;
            }
        }
        return (server, Task.Run(Feed));
    }

    private static async Task<List<(MessageKind, byte[])>> ReceiveWholeAsync(byte[] stream, int[] splits)
    {
        var (server, feeding) = ServerFedWith(stream, splits);
        var got = new List<(MessageKind, byte[])>();
        while (true)
        {
            using ReceivedMessage m = await server.ReceiveMessageAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (m.Kind != ConnectionReceiveKind.MessageData)
            {
                Assert.Equal(ConnectionReceiveKind.Close, m.Kind);
                Assert.Equal((ushort)4321, m.CloseCode);
                Assert.Equal("fin ✓", m.CloseReason);
                break;
            }
            got.Add((m.MessageKind, m.Data.ToArray()));
        }
        await feeding;
        await server.DisposeAsync();
        return got;
    }

    private static async Task<List<(MessageKind, byte[])>> ReceiveChunkedAsync(byte[] stream, int[] splits, int bufferSize)
    {
        var (server, feeding) = ServerFedWith(stream, splits);
        var got = new List<(MessageKind, byte[])>();
        var current = new MemoryStream();
        byte[] buffer = new byte[bufferSize];
        while (true)
        {
            ConnectionReceiveResult r = await server.ReceiveAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (r.Kind != ConnectionReceiveKind.MessageData)
            {
                Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
                break;
            }
            current.Write(buffer, 0, r.Count);
            if (r.EndOfMessage)
            {
                got.Add((r.MessageKind, current.ToArray()));
                current.SetLength(0);
            }
        }
        await feeding;
        await server.DisposeAsync();
        return got;
    }
}
