using WsCore.Framing;
using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Time.Testing;
using WsCore.Closing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// A peer that stops reading can never make a connection buffer without bound: each backpressure policy against a
/// transport pipe with a small pause threshold that nobody reads.
/// </summary>
public class BackpressureTests
{
    private const int PauseThreshold = 64 * 1024;
    private const int Limit = 16 * 1024;
    private const int MessageSize = 1024;
    private const int FrameSize = MessageSize + 4; // server frames: 2-byte header + 2-byte extended length, unmasked
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);


    private static (WebSocketConnection server, Pipe toPeer) Create(BackpressurePolicy policy, TimeProvider? time = null)
    {
        var toServer = new Pipe();
        var toPeer = new Pipe(new PipeOptions(pauseWriterThreshold: PauseThreshold, resumeWriterThreshold: PauseThreshold / 2, useSynchronizationContext: false));
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toPeer.Writer), WebSocketRole.Server, new WebSocketConnectionOptions
        {
            BackpressurePolicy = policy,
            MaxBufferedOutboundBytes = Limit,
            TimeProvider = time ?? TimeProvider.System,
            CloseTimeout = TimeSpan.FromSeconds(5),
        });
        return (server, toPeer);
    }

    /// <summary>After the writer side is finished: every byte the connection ever left in the pipe, and the last 4.</summary>
    private static async Task<(long total, byte[] tail)> DrainAsync(Pipe pipe)
    {
        long total = 0;
        byte[] tail = [];
        while (true)
        {
            ReadResult r = await pipe.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            total += r.Buffer.Length;
            if (r.Buffer.Length >= 4) tail = r.Buffer.Slice(r.Buffer.Length - 4).ToArray();
            pipe.Reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) return (total, tail);
        }
    }

    [Fact]
    public async Task Wait_policy_blocks_the_sender_at_the_pause_threshold()
    {
        var (server, toPeer) = Create(BackpressurePolicy.Wait);
        byte[] message = new byte[MessageSize];
        int sent = 0;
        ValueTask<SendStatus> send;
        while (true)
        {
            send = server.SendAsync(message, MessageKind.Binary);
            if (!send.IsCompleted) break;
            Assert.Equal(SendStatus.Done, await send);
            Assert.True(++sent < 10_000, "the sender was never stopped");
        }
        // Stopped right after crossing the pause threshold.
        Assert.InRange((long)(sent + 1) * FrameSize, PauseThreshold, PauseThreshold + FrameSize);
        Task<SendStatus> blocked = send.AsTask();
        Assert.False(blocked.IsCompleted);

        server.Abort();
        await blocked.WaitAsync(Wait);
        var (total, _) = await DrainAsync(toPeer);
        Assert.InRange(total, PauseThreshold, PauseThreshold + FrameSize);
    }

    [Fact]
    public async Task Wait_policy_resumes_when_the_peer_reads()
    {
        var (server, toPeer) = Create(BackpressurePolicy.Wait);
        byte[] message = new byte[MessageSize];
        ValueTask<SendStatus> send;
        do send = server.SendAsync(message, MessageKind.Binary); while (send.IsCompleted);
        ReadResult r = await toPeer.Reader.ReadAsync();
        toPeer.Reader.AdvanceTo(r.Buffer.End);
        Assert.Equal(SendStatus.Done, await send.AsTask().WaitAsync(Wait));
    }

    [Fact]
    public async Task FailSend_policy_returns_BufferFull_at_once_and_stays_open()
    {
        var (server, toPeer) = Create(BackpressurePolicy.FailSend);
        byte[] message = new byte[MessageSize];
        int done = 0, full = 0;
        for (int i = 0; i < 1000; i++)
        {
            ValueTask<SendStatus> send = server.SendAsync(message, MessageKind.Binary);
            Assert.True(send.IsCompleted, "a FailSend send must never wait");
            SendStatus status = await send;
            if (status == SendStatus.Done) done++;
            else { Assert.Equal(SendStatus.BufferFull, status); full++; }
        }
        Assert.True(full > 900, $"full={full}");
        // What was accepted: up to the transport's threshold, then at most the limit.
        Assert.InRange((long)done * FrameSize, PauseThreshold, PauseThreshold + FrameSize + Limit);
        Assert.Equal(CloseHandshakeState.Open, server.State);
        Assert.True(server.IsBackpressured);

        // The peer reads everything: the buffered frames go out and sends succeed again.
        long read = 0;
        while (read < (long)done * FrameSize)
        {
            ReadResult r = await toPeer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            read += r.Buffer.Length;
            toPeer.Reader.AdvanceTo(r.Buffer.End);
        }
        Assert.Equal((long)done * FrameSize, read);
        Assert.True(SpinWait.SpinUntil(() => !server.IsBackpressured, Wait));
        Assert.Equal(SendStatus.Done, await server.SendAsync(message, MessageKind.Binary));

        server.Abort();
        var (rest, _) = await DrainAsync(toPeer);
        Assert.Equal(FrameSize, rest);
    }

    [Theory]
    [InlineData(BackpressurePolicy.CloseWith1013, CloseCodes.TryAgainLater)]
    [InlineData(BackpressurePolicy.CloseWith1009, CloseCodes.MessageTooBig)]
    public async Task Closing_policies_close_with_their_code_and_the_close_timeout_ends_the_transport(BackpressurePolicy policy, ushort code)
    {
        var time = new FakeTimeProvider();
        var (server, toPeer) = Create(policy, time);
        byte[] message = new byte[MessageSize];
        int done = 0;
        SendStatus last;
        while (true)
        {
            ValueTask<SendStatus> send = server.SendAsync(message, MessageKind.Binary);
            Assert.True(send.IsCompleted);
            last = await send;
            if (last != SendStatus.Done) break;
            done++;
        }
        Assert.Equal(SendStatus.BufferFull, last);
        Assert.Equal(CloseHandshakeState.CloseSent, server.State);
        Assert.Equal(SendStatus.Closed, await server.SendAsync(message, MessageKind.Binary));
        Assert.InRange((long)done * FrameSize, PauseThreshold, PauseThreshold + FrameSize + Limit);

        // The peer reads again (it never answers the close): every accepted frame arrives, then the close frame.
        long expected = (long)done * FrameSize + 4;
        var received = new MemoryStream();
        while (received.Length < expected)
        {
            ReadResult r = await toPeer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            foreach (ReadOnlyMemory<byte> segment in r.Buffer) received.Write(segment.Span);
            toPeer.Reader.AdvanceTo(r.Buffer.End);
        }
        Assert.Equal(expected, received.Length);
        Assert.Equal(new byte[] { 0x88, 0x02, (byte)(code >> 8), (byte)code }, received.ToArray()[^4..]);

        time.Advance(TimeSpan.FromSeconds(5)); // the close is never answered
        Assert.Equal(KeepAliveAction.CloseTimedOut, server.TimedOut);
        var (rest, _) = await DrainAsync(toPeer); // the transport was completed: reading ends
        Assert.Equal(0, rest);
    }

    [Theory]
    [InlineData(BackpressurePolicy.FailSend)]
    [InlineData(BackpressurePolicy.CloseWith1013)]
    public async Task A_close_timeout_while_the_reader_stays_paused_drops_the_buffered_frames_and_ends_the_transport(BackpressurePolicy policy)
    {
        var time = new FakeTimeProvider();
        var (server, toPeer) = Create(policy, time);
        byte[] message = new byte[MessageSize];
        int done = 0;
        while (await server.SendAsync(message, MessageKind.Binary) == SendStatus.Done) done++;
        if (policy == BackpressurePolicy.FailSend) Assert.Equal(SendStatus.Done, await server.CloseOutputAsync(CloseCodes.GoingAway));
        Assert.Equal(CloseHandshakeState.CloseSent, server.State);

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(KeepAliveAction.CloseTimedOut, server.TimedOut);
        Assert.True(server.IsAborted);
        await server.DisposeAsync();
        // What the transport had taken before it pushed back is still readable, and nothing after it: the frames
        // buffered while it pushed back were dropped with the connection, and the writer was completed.
        var (total, _) = await DrainAsync(toPeer);
        Assert.Equal(0, total % FrameSize);
        Assert.InRange(total, PauseThreshold, PauseThreshold + FrameSize);
        Assert.True(total < (long)done * FrameSize);
    }
}
