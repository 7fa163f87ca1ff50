using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Text;
using WsCore.Compression;
using WsCore.Diagnostics;
using WsCore.Framing;
using WsCore.Pipelines;
using WsCore.Protocol;
using Xunit.Abstractions;

namespace WsCore.Tests;

/// <summary>
/// A broadcast: one <see cref="PreparedMessage"/> sent by <see cref="WebSocketConnection.SendAsync(PreparedMessage, CancellationToken)"/>
/// to many connections. Each recipient decodes the exact message (with and without permessage-deflate, interleaved with
/// ordinary sends, from many tasks at once); closed connections answer Closed; backpressure applies as for any send.
/// </summary>
public class BroadcastTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    internal sealed record Pair(WebSocketConnection Server, WebSocketConnection Client);

    internal static Pair CreatePair(PerMessageDeflateParameters? deflate, WebSocketConnectionOptions? options = null, PipeOptions? pipes = null)
    {
        (DuplexPipe a, DuplexPipe b) = DuplexPipe.CreatePair(pipes);
        return new Pair(new WebSocketConnection(a, WebSocketRole.Server, options, deflate), new WebSocketConnection(b, WebSocketRole.Client, options, deflate));
    }

    /// <summary>Three kinds of recipient: no compression, deflate with context takeover, deflate without.</summary>
    private static PerMessageDeflateParameters? Mode(int i) => (i % 3) switch
    {
        0 => null,
        1 => PerMessageDeflateParameters.Default,
        _ => new PerMessageDeflateParameters(15, true, 15, true),
    };

    private static async Task<(MessageKind Kind, byte[] Payload)> ReceiveMessageAsync(WebSocketConnection connection, byte[] buffer)
    {
        var message = new MemoryStream();
        while (true)
        {
            ConnectionReceiveResult r = await connection.ReceiveAsync(buffer).AsTask().WaitAsync(Timeout);
            Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
            message.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageKind, message.ToArray());
        }
    }

    private static byte[] Text(int length, int seed)
    {
        var s = new StringBuilder();
        while (s.Length < length) s.Append("{\"seq\":").Append(seed).Append(",\"price\":").Append(s.Length % 977).Append("},");
        return Encoding.UTF8.GetBytes(s.ToString(0, length));
    }

    [Fact]
    public async Task Every_recipient_decodes_the_exact_message_interleaved_with_ordinary_sends()
    {
        // Everything is sent before anything is read: transports without a pause threshold.
        var unbounded = new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false);
        Pair[] pairs = Enumerable.Range(0, 12).Select(i => CreatePair(Mode(i), pipes: unbounded)).ToArray();
        var expected = new List<(MessageKind, byte[])>();
        for (int round = 0; round < 8; round++)
        {
            byte[] shared = round % 2 == 0 ? Text(100 + round * 3000, round) : Enumerable.Range(0, 70_000 + round).Select(i => (byte)(i * 7)).ToArray();
            MessageKind kind = round % 2 == 0 ? MessageKind.Text : MessageKind.Binary;
            var prepared = new PreparedMessage(shared, kind);
            byte[] own = Text(1500, round);
            foreach (Pair p in pairs)
            {
                Assert.Equal(SendStatus.Done, await p.Server.SendAsync(own, MessageKind.Text));
                Assert.Equal(SendStatus.Done, await p.Server.SendAsync(prepared));
            }
            expected.Add((MessageKind.Text, own));
            expected.Add((kind, shared));
        }
        byte[] buffer = new byte[8192];
        foreach (Pair p in pairs)
        {
            foreach ((MessageKind kind, byte[] payload) in expected)
            {
                (MessageKind gotKind, byte[] got) = await ReceiveMessageAsync(p.Client, buffer);
                Assert.Equal(kind, gotKind);
                Assert.Equal(payload, got);
            }
        }
    }

    [Fact]
    public async Task Client_connections_broadcast_too_each_frame_masked()
    {
        Pair[] pairs = Enumerable.Range(0, 6).Select(i => CreatePair(Mode(i))).ToArray();
        byte[] payload = Text(5000, 1);
        var prepared = new PreparedMessage(payload, MessageKind.Text);
        foreach (Pair p in pairs)
        {
            Assert.Equal(SendStatus.Done, await p.Client.SendAsync(prepared));
            Assert.Equal(SendStatus.Done, await p.Client.SendAsync(payload, MessageKind.Text));
            Assert.Equal(SendStatus.Done, await p.Client.SendAsync(prepared));
        }
        byte[] buffer = new byte[4096];
        foreach (Pair p in pairs)
        {
            for (int i = 0; i < 3; i++) Assert.Equal(payload, (await ReceiveMessageAsync(p.Server, buffer)).Payload);
        }
    }

    [Fact]
    public async Task Many_tasks_broadcasting_to_the_same_connections_deliver_every_message_intact_and_in_order_per_task()
    {
        const int Tasks = 8, PerTask = 40;
        Pair[] pairs = Enumerable.Range(0, 9).Select(i => CreatePair(Mode(i), pipes: new PipeOptions(useSynchronizationContext: false))).ToArray();
        // The receivers run while the senders do (the pipes pause their writers at the default threshold).
        var received = pairs.Select(_ => new ConcurrentQueue<byte[]>()).ToArray();
        Task[] readers = pairs.Select((p, i) => Task.Run(async () =>
        {
            byte[] buffer = new byte[4096];
            for (int n = 0; n < Tasks * PerTask; n++) received[i].Enqueue((await ReceiveMessageAsync(p.Client, buffer)).Payload);
        })).ToArray();
        Task[] senders = Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            for (int m = 0; m < PerTask; m++)
            {
                byte[] payload = Encoding.UTF8.GetBytes($"task {t} message {m} " + new string((char)('a' + t), 200 + m * 50));
                if (t == 0)
                {
                    // One task sends ordinary messages meanwhile (the per-connection compressor with context takeover).
                    foreach (Pair p in pairs) Assert.Equal(SendStatus.Done, await p.Server.SendAsync(payload, MessageKind.Text));
                    continue;
                }
                var prepared = new PreparedMessage(payload, MessageKind.Text);
                foreach (Pair p in pairs) Assert.Equal(SendStatus.Done, await p.Server.SendAsync(prepared));
            }
        })).ToArray();
        await Task.WhenAll(senders).WaitAsync(Timeout);
        await Task.WhenAll(readers).WaitAsync(Timeout);
        foreach (ConcurrentQueue<byte[]> queue in received)
        {
            var next = new int[Tasks];
            foreach (byte[] message in queue)
            {
                string text = Encoding.UTF8.GetString(message);
                string[] words = text.Split(' ', 5);
                int t = int.Parse(words[1]), m = int.Parse(words[3]);
                Assert.Equal(next[t]++, m); // in order within a task
                Assert.Equal($"task {t} message {m} " + new string((char)('a' + t), 200 + m * 50), text);
            }
            Assert.All(next, n => Assert.Equal(PerTask, n));
        }
    }

    [Fact]
    public async Task A_closed_or_aborted_connection_answers_Closed_and_writes_nothing()
    {
        var prepared = new PreparedMessage([1, 2, 3], MessageKind.Binary);
        Pair closing = CreatePair(PerMessageDeflateParameters.Default);
        Assert.Equal(SendStatus.Done, await closing.Server.CloseOutputAsync());
        Assert.Equal(SendStatus.Closed, await closing.Server.SendAsync(prepared));
        Pair aborted = CreatePair(null);
        aborted.Server.Abort();
        Assert.Equal(SendStatus.Closed, await aborted.Server.SendAsync(prepared));
        Pair disposed = CreatePair(null);
        await disposed.Server.DisposeAsync();
        Assert.Equal(SendStatus.Closed, await disposed.Server.SendAsync(prepared));
        // The peer of the closing one sees the close frame and nothing after it.
        byte[] buffer = new byte[64];
        ConnectionReceiveResult r = await closing.Client.ReceiveAsync(buffer).AsTask().WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
    }

    [Fact]
    public async Task A_prepared_message_waits_for_an_unfinished_fragmented_message()
    {
        Pair p = CreatePair(null);
        var prepared = new PreparedMessage([7, 7], MessageKind.Binary);
        Assert.Equal(SendStatus.Done, await p.Server.SendAsync(new byte[] { 1 }, MessageKind.Binary, endOfMessage: false));
        Assert.Equal(SendStatus.MessageInProgress, await p.Server.SendAsync(prepared));
        Assert.Equal(SendStatus.Done, await p.Server.SendAsync(new byte[] { 2 }, MessageKind.Binary, endOfMessage: true));
        Assert.Equal(SendStatus.Done, await p.Server.SendAsync(prepared));
        byte[] buffer = new byte[64];
        var first = new List<byte>();
        while (true)
        {
            ConnectionReceiveResult r = await p.Client.ReceiveAsync(buffer).AsTask().WaitAsync(Timeout);
            first.AddRange(buffer.AsSpan(0, r.Count).ToArray());
            if (r.EndOfMessage) break;
        }
        Assert.Equal([1, 2], first);
        Assert.Equal([7, 7], (await ReceiveMessageAsync(p.Client, buffer)).Payload);
    }

    [Fact]
    public async Task FailSend_refuses_a_prepared_message_over_the_limit_and_writes_nothing()
    {
        const int Limit = 16 * 1024;
        var toServer = new Pipe();
        var toPeer = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toPeer.Writer), WebSocketRole.Server,
            new WebSocketConnectionOptions { BackpressurePolicy = BackpressurePolicy.FailSend, MaxBufferedOutboundBytes = Limit });
        var prepared = new PreparedMessage(new byte[1024], MessageKind.Binary);
        int done = 0;
        SendStatus status;
        while ((status = await server.SendAsync(prepared)) == SendStatus.Done) Assert.True(++done < 10_000, "never refused");
        Assert.Equal(SendStatus.BufferFull, status);
        Assert.True(server.IsBackpressured);
        Assert.Equal(SendStatus.BufferFull, await server.SendAsync(prepared));
        // Everything accepted arrives, whole frames only: the refused sends wrote nothing.
        long expected = (long)done * (1024 + 4);
        long total = 0;
        while (total < expected)
        {
            ReadResult r = await toPeer.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
            total += r.Buffer.Length;
            toPeer.Reader.AdvanceTo(r.Buffer.End);
        }
        Assert.Equal(expected, total);
    }
}

/// <summary>Metrics and allocation of a broadcast (run alone: they measure the whole process).</summary>
[Collection("Allocation")]
public class BroadcastAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_prepared_send_counts_as_a_sent_message_with_its_uncompressed_bytes()
    {
        long messages = 0, bytes = 0, uncompressed = 0, compressed = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WsCoreMetrics.MeterName && instrument.Name is "wscore.message.sent" or "wscore.payload.sent"
                or "wscore.compression.uncompressed" or "wscore.compression.compressed") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            switch (instrument.Name)
            {
                case "wscore.message.sent": Interlocked.Add(ref messages, value); break;
                case "wscore.payload.sent": Interlocked.Add(ref bytes, value); break;
                case "wscore.compression.uncompressed": Interlocked.Add(ref uncompressed, value); break;
                default: Interlocked.Add(ref compressed, value); break;
            }
        });
        listener.Start();
        BroadcastTests.Pair plain = BroadcastTests.CreatePair(null);
        BroadcastTests.Pair deflate = BroadcastTests.CreatePair(PerMessageDeflateParameters.Default);
        var prepared = new PreparedMessage(new byte[1000], MessageKind.Binary);
        Assert.Equal(SendStatus.Done, await plain.Server.SendAsync(prepared));
        Assert.Equal(SendStatus.Done, await deflate.Server.SendAsync(prepared));
        Assert.Equal(SendStatus.Done, await deflate.Server.SendAsync(prepared));
        Assert.Equal(3, Interlocked.Read(ref messages));
        Assert.Equal(3000, Interlocked.Read(ref bytes));
        // The two compressed sends count in the compression counters (sent direction) as if compressed by the connection.
        Assert.Equal(2000, Interlocked.Read(ref uncompressed));
        Assert.InRange(Interlocked.Read(ref compressed), 2, 100);
    }

    public static TheoryData<string> Configurations() => ["plain", "deflate", "deflate-no-context-takeover", "client", "fail-send"];

    /// <summary>
    /// 0 B per recipient: one prepared message sent to 50 connections per round, after warm-up (its compressed frame is
    /// made by the first recipient of the first round). The transports are drained after each round.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Sending_a_prepared_message_allocates_nothing_per_recipient(string configuration)
    {
        const int Recipients = 50;
        PerMessageDeflateParameters? deflate = configuration switch
        {
            "deflate" or "client" => PerMessageDeflateParameters.Default,
            "deflate-no-context-takeover" => new PerMessageDeflateParameters(15, true, 15, true),
            _ => null,
        };
        var options = configuration == "fail-send" ? new WebSocketConnectionOptions { BackpressurePolicy = BackpressurePolicy.FailSend } : null;
        var pipes = new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);
        var senders = new WebSocketConnection[Recipients];
        var transports = new PipeReader[Recipients];
        for (int i = 0; i < Recipients; i++)
        {
            var toSender = new Pipe(pipes);
            var fromSender = new Pipe(pipes);
            WebSocketRole role = configuration == "client" ? WebSocketRole.Client : WebSocketRole.Server;
            senders[i] = new WebSocketConnection(new DuplexPipe(toSender.Reader, fromSender.Writer), role, options, deflate);
            transports[i] = fromSender.Reader;
        }
        var prepared = new PreparedMessage(Encoding.UTF8.GetBytes(new string('x', 100) + "{\"broadcast\":true}"), MessageKind.Text);

        async Task Rounds(int n)
        {
            for (int round = 0; round < n; round++)
            {
                for (int i = 0; i < Recipients; i++)
                {
                    if (await senders[i].SendAsync(prepared).ConfigureAwait(false) != SendStatus.Done) throw new InvalidOperationException("send failed");
                }
                for (int i = 0; i < Recipients; i++)
                {
                    if (!transports[i].TryRead(out ReadResult r)) throw new InvalidOperationException("nothing was written");
                    transports[i].AdvanceTo(r.Buffer.End);
                }
            }
        }

        double perRound = await Allocations.PerMessageAsync(Rounds, 40, output.WriteLine);
        double perRecipient = perRound * 2 / Recipients; // PerMessageAsync counts two messages per round
        output.WriteLine($"per recipient: {perRecipient:F3} B");
        Assert.True(perRecipient < 1, $"{perRecipient:F3} bytes per recipient");
    }
}
