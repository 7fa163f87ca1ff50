using WsCore.Framing;
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using WsCore.Closing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// Keep-alive works whether or not the application has a receive outstanding (issue 15). ManagedWebSocket processes
/// pongs only inside ReceiveAsync, so an application that is busy (not reading) while its peer answers every ping is
/// aborted as unresponsive (dotnet/docs #44611); WsCore's keep-alive clock starts a liveness read when nobody receives.
/// The peer is two raw pipes the test drives by hand, time a <see cref="FakeTimeProvider"/>.
/// </summary>
public class LivenessWithoutReceiveTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10); // a safety bound on awaits, never a sleep
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PongTimeout = TimeSpan.FromSeconds(5);

    private static (WebSocketConnection Server, Pipe ToServer, Pipe ToClient) Create(FakeTimeProvider time)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var options = new WebSocketConnectionOptions { TimeProvider = time, KeepAliveInterval = Interval, KeepAliveTimeout = PongTimeout };
        return (new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, options), toServer, toClient);
    }

    /// <summary>Reads the next frame the server sent: (opcode byte, payload).</summary>
    private static async Task<(byte Opcode, byte[] Payload)> ReadFrameAsync(Pipe toClient)
    {
        while (true)
        {
            ReadResult r = await toClient.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            byte[] bytes = r.Buffer.ToArray();
            if (bytes.Length >= 2 && (bytes[1] & 0x7F) < 126 && bytes.Length >= 2 + (bytes[1] & 0x7F))
            {
                int length = bytes[1] & 0x7F;
                toClient.Reader.AdvanceTo(r.Buffer.GetPosition(2 + length));
                return (bytes[0], bytes.AsSpan(2, length).ToArray());
            }
            Assert.False(r.IsCompleted, "the server closed its output");
            toClient.Reader.AdvanceTo(r.Buffer.Start, r.Buffer.End);
        }
    }

    /// <summary>Lets the liveness read (on the thread pool) process what the test wrote.</summary>
    private static async Task SettleAsync(Func<bool>? until = null)
    {
        for (int i = 0; i < 200 && !(until?.Invoke() ?? false); i++) await Task.Delay(5);
    }

    [Fact]
    public async Task A_busy_application_whose_peer_answers_pings_is_not_aborted()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = Create(time);
        await using var owner = server;
        // The application does not receive for five keep-alive intervals; the peer answers every ping.
        for (int round = 0; round < 5; round++)
        {
            time.Advance(Interval);
            (byte opcode, byte[] ping) = await ReadFrameAsync(toClient);
            Assert.Equal(0x89, opcode);
            await toServer.Writer.WriteAsync(Wire.Client(0xA, ping));
            await SettleAsync(() => !server.IsAwaitingPong); // the liveness read processed the pong
            time.Advance(PongTimeout); // the timeout, had the pong not been seen (the clock aborts synchronously)
            Assert.False(server.IsAborted, $"aborted in round {round}");
            Assert.Equal(KeepAliveAction.None, server.TimedOut);
        }
        // Afterwards the application receives normally: data sent now arrives.
        await toServer.Writer.WriteAsync(Wire.Client(0x1, Encoding.UTF8.GetBytes("still here")));
        byte[] buffer = new byte[64];
        ConnectionReceiveResult r = await server.ReceiveAsync(buffer).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
        Assert.Equal("still here", Encoding.UTF8.GetString(buffer, 0, r.Count));
    }

    [Fact]
    public async Task A_silent_peer_is_aborted_in_time_while_the_application_is_not_receiving()
    {
        var time = new FakeTimeProvider();
        var (server, _, toClient) = Create(time);
        await using var owner = server;
        time.Advance(Interval);
        Assert.Equal(0x89, (await ReadFrameAsync(toClient)).Opcode);
        time.Advance(PongTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(server.IsAborted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await SettleAsync(() => server.IsAborted);
        Assert.True(server.IsAborted);
        Assert.Equal(KeepAliveAction.PeerUnresponsive, server.TimedOut);
        ConnectionReceiveResult r = await server.ReceiveAsync(new byte[16]).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Aborted, r.Kind);
    }

    [Fact]
    public async Task Data_waiting_for_the_application_keeps_the_connection_alive_and_is_not_consumed()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = Create(time);
        await using var owner = server;
        time.Advance(Interval);
        Assert.Equal(0x89, (await ReadFrameAsync(toClient)).Opcode);
        // The peer sends a message (the pong, if any, would queue behind it on the wire); the application is busy.
        await toServer.Writer.WriteAsync(Wire.Client(0x2, new byte[] { 1, 2, 3 }));
        await SettleAsync(() => !server.IsAwaitingPong); // the liveness read saw bytes arrive before the pong deadline
        for (int round = 0; round < 3; round++)
        {
            time.Advance(PongTimeout);
            Assert.False(server.IsAborted, $"aborted in round {round}");
            time.Advance(Interval - PongTimeout); // the next ping; the liveness read sees the unread data again
            Assert.Equal(0x89, (await ReadFrameAsync(toClient)).Opcode);
            await SettleAsync(() => !server.IsAwaitingPong);
        }
        byte[] buffer = new byte[16];
        ConnectionReceiveResult r = await server.ReceiveAsync(buffer).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer.AsSpan(0, r.Count).ToArray());
        Assert.True(r.EndOfMessage);
    }

    [Fact]
    public async Task A_close_and_an_empty_message_seen_by_the_liveness_read_are_the_applications_next_results()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = Create(time);
        await using var owner = server;
        time.Advance(Interval);
        (_, byte[] ping) = await ReadFrameAsync(toClient);
        // An empty text message: a zero-byte read reports it whole, so it must not be lost.
        await toServer.Writer.WriteAsync(Wire.Client(0xA, ping));
        await toServer.Writer.WriteAsync(Wire.Client(0x1, ReadOnlySpan<byte>.Empty));
        await SettleAsync(() => server.RoundTripTime is not null);
        ConnectionReceiveResult empty = await server.ReceiveAsync(new byte[16]).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.MessageData, empty.Kind);
        Assert.Equal(MessageKind.Text, empty.MessageKind);
        Assert.Equal(0, empty.Count);
        Assert.True(empty.EndOfMessage);

        // The peer closes while the application is busy again: the liveness read answers (§5.5.1) and keeps the close.
        time.Advance(Interval);
        Assert.Equal(0x89, (await ReadFrameAsync(toClient)).Opcode);
        await toServer.Writer.WriteAsync(Wire.Client(0x8, new byte[] { 0x03, 0xE8 }));
        (byte opcode, byte[] reply) = await ReadFrameAsync(toClient);
        Assert.Equal(0x88, opcode);
        Assert.Equal(new byte[] { 0x03, 0xE8 }, reply);
        ConnectionReceiveResult close = await server.ReceiveAsync(new byte[16]).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Close, close.Kind);
        Assert.Equal(CloseCodes.NormalClosure, close.CloseCode);
    }

    [Fact]
    public async Task A_receive_started_while_the_liveness_read_runs_takes_over_and_gets_the_data()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = Create(time);
        await using var owner = server;
        time.Advance(Interval); // the liveness read now waits for input
        await ReadFrameAsync(toClient);
        byte[] buffer = new byte[16];
        Task<ConnectionReceiveResult> receive = server.ReceiveAsync(buffer).AsTask();
        await toServer.Writer.WriteAsync(Wire.Client(0x2, new byte[] { 9, 8 }));
        ConnectionReceiveResult r = await receive.WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
        Assert.Equal(2, r.Count);
        // And the next receive works too (the liveness read's cancellation was used up).
        Task<ConnectionReceiveResult> next = server.ReceiveAsync(buffer).AsTask();
        await toServer.Writer.WriteAsync(Wire.Client(0x2, new byte[] { 7 }));
        Assert.Equal(1, (await next.WaitAsync(Wait)).Count);
    }

    [Fact]
    public async Task Cancelling_a_receive_leaves_the_connection_usable_and_Abort_ends_a_pending_receive()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, _) = Create(time);
        await using var owner = server;
        byte[] buffer = new byte[16];
        using (var cts = new CancellationTokenSource())
        {
            Task<ConnectionReceiveResult> cancelled = server.ReceiveAsync(buffer, cts.Token).AsTask();
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Wait));
        }
        Assert.False(server.IsAborted);
        await toServer.Writer.WriteAsync(Wire.Client(0x2, new byte[] { 5 }));
        Assert.Equal(1, (await server.ReceiveAsync(buffer).AsTask().WaitAsync(Wait)).Count);

        Task<ConnectionReceiveResult> pending = server.ReceiveAsync(buffer).AsTask();
        server.Abort();
        Assert.Equal(ConnectionReceiveKind.Aborted, (await pending.WaitAsync(Wait)).Kind);
    }
}
