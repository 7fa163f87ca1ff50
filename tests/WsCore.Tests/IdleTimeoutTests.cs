using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Time.Testing;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// <see cref="WebSocketConnectionOptions.IdleTimeout"/> and <see cref="WebSocketConnectionOptions.MaxLifetime"/> on a
/// connection driven by a FakeTimeProvider: the connection closes with 1001 (going away, RFC 6455 §7.4.1) and then
/// gives the peer the close timeout (§7.1.1).
/// </summary>
public class IdleTimeoutTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10); // a safety bound on awaits, never a sleep

    private static (WebSocketConnection server, Pipe toServer, Pipe toClient) CreateWithRawPeer(WebSocketConnectionOptions options)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, options);
        return (server, toServer, toClient);
    }

    private static List<ParsedFrame> ReadFrames(Pipe pipe)
    {
        if (!pipe.Reader.TryRead(out ReadResult r)) return [];
        byte[] bytes = r.Buffer.ToArray();
        pipe.Reader.AdvanceTo(r.Buffer.End);
        return Wire.ParseFrames(bytes);
    }

    private static void AssertGoingAway(ParsedFrame frame, string reason)
    {
        Assert.Equal(WebSocketOpcode.Close, frame.Opcode);
        Assert.Equal(CloseCodes.GoingAway, frame.CloseCode);
        Assert.Equal(reason, System.Text.Encoding.UTF8.GetString(frame.Payload.AsSpan(2)));
    }

    [Fact]
    public async Task Idle_connection_is_closed_with_1001_and_the_peer_answer_completes_the_handshake()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = CreateWithRawPeer(new WebSocketConnectionOptions { TimeProvider = time, IdleTimeout = TimeSpan.FromSeconds(30) });
        Task<ConnectionReceiveResult> receive = server.ReceiveAsync(new byte[64]).AsTask();

        time.Advance(TimeSpan.FromSeconds(29.999));
        Assert.Empty(ReadFrames(toClient));
        Assert.Equal(KeepAliveAction.None, server.TimedOut);
        time.Advance(TimeSpan.FromMilliseconds(1));
        AssertGoingAway(Assert.Single(ReadFrames(toClient)), "idle timeout");
        Assert.Equal(KeepAliveAction.IdleTimeout, server.TimedOut);
        Assert.Equal(CloseHandshakeState.CloseSent, server.State);

        await toServer.Writer.WriteAsync(Wire.Client(0x8, Wire.ClosePayload(CloseCodes.GoingAway)));
        ConnectionReceiveResult r = await receive.WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
        Assert.Equal(CloseCodes.GoingAway, r.CloseCode);
        Assert.Equal(CloseHandshakeState.Closed, server.State);
        Assert.False(server.IsAborted);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Messages_either_way_restart_the_idle_timeout_pings_do_not()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = CreateWithRawPeer(new WebSocketConnectionOptions { TimeProvider = time, IdleTimeout = TimeSpan.FromSeconds(10) });
        byte[] buffer = new byte[64];

        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(SendStatus.Done, await server.SendAsync("out"u8.ToArray(), MessageKind.Text)); // sent at 6 s
        Assert.Single(ReadFrames(toClient));
        time.Advance(TimeSpan.FromSeconds(6)); // 12 s
        Assert.Empty(ReadFrames(toClient));

        await toServer.Writer.WriteAsync(Wire.Client(0x2, new byte[] { 1, 2 }));
        Assert.Equal(2, (await server.ReceiveAsync(buffer).AsTask().WaitAsync(Wait)).Count); // received at 12 s
        // A ping from the peer (answered) and an unsolicited pong at 20 s: no message activity.
        Task<ConnectionReceiveResult> receive = server.ReceiveAsync(buffer).AsTask();
        time.Advance(TimeSpan.FromSeconds(8)); // 20 s
        await toServer.Writer.WriteAsync(Wire.Concat(Wire.Client(0x9, "p"u8), Wire.Client(0xA, "q"u8)));
        Assert.True(SpinWait.SpinUntil(() => toClient.Reader.TryRead(out ReadResult pong) && Consume(toClient, pong), Wait), "no pong");
        Assert.False(receive.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1.999)); // 21.999 s
        Assert.Empty(ReadFrames(toClient));
        time.Advance(TimeSpan.FromMilliseconds(1)); // 22 s: 10 s after the last message
        AssertGoingAway(Assert.Single(ReadFrames(toClient)), "idle timeout");
        server.Abort();
        Assert.Equal(ConnectionReceiveKind.Aborted, (await receive.WaitAsync(Wait)).Kind);
    }

    private static bool Consume(Pipe pipe, ReadResult r)
    {
        pipe.Reader.AdvanceTo(r.Buffer.End);
        return true;
    }

    [Fact]
    public async Task Keep_alive_with_a_responsive_peer_does_not_prevent_the_idle_close()
    {
        var time = new FakeTimeProvider();
        var options = new WebSocketConnectionOptions
        {
            TimeProvider = time,
            KeepAliveInterval = TimeSpan.FromSeconds(5),
            KeepAliveTimeout = TimeSpan.FromSeconds(2),
            IdleTimeout = TimeSpan.FromSeconds(60),
        };
        var (server, client) = WebSocketConnectionTests.CreatePair(options, new WebSocketConnectionOptions { TimeProvider = time });
        Task<ConnectionReceiveResult> clientReceive = client.ReceiveAsync(new byte[64]).AsTask(); // answers pings
        Task<ConnectionReceiveResult> serverReceive = server.ReceiveAsync(new byte[64]).AsTask(); // sees pongs
        for (int i = 0; i < 11; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.True(SpinWait.SpinUntil(() => !server.IsAwaitingPong, Wait), $"no pong in round {i}");
        }
        Assert.Equal(KeepAliveAction.None, server.TimedOut); // 55 s
        time.Advance(TimeSpan.FromSeconds(5)); // 60 s: idle, though pings and pongs went both ways
        ConnectionReceiveResult c = await clientReceive.WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Close, c.Kind);
        Assert.Equal(CloseCodes.GoingAway, c.CloseCode);
        Assert.Equal("idle timeout", client.PeerCloseReason);
        ConnectionReceiveResult s = await serverReceive.WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Close, s.Kind);
        Assert.Equal(KeepAliveAction.IdleTimeout, server.TimedOut);
        Assert.Equal(CloseHandshakeState.Closed, server.State);
        await server.DisposeAsync();
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Maximum_lifetime_closes_a_busy_connection_with_1001()
    {
        var time = new FakeTimeProvider();
        var (server, client) = WebSocketConnectionTests.CreatePair(
            new WebSocketConnectionOptions { TimeProvider = time, MaxLifetime = TimeSpan.FromMinutes(10), IdleTimeout = TimeSpan.FromMinutes(1) },
            new WebSocketConnectionOptions { TimeProvider = time });
        byte[] buffer = new byte[64];
        for (int i = 0; i < 19; i++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            Assert.Equal(SendStatus.Done, await client.SendAsync("tick"u8.ToArray(), MessageKind.Text));
            Assert.Equal(4, (await server.ReceiveAsync(buffer).AsTask().WaitAsync(Wait)).Count);
        }
        Assert.Equal(KeepAliveAction.None, server.TimedOut); // 9.5 min, never idle for 1 min
        Task<ConnectionReceiveResult> serverReceive = server.ReceiveAsync(buffer).AsTask();
        time.Advance(TimeSpan.FromSeconds(30));
        ConnectionReceiveResult c = await client.ReceiveAsync(buffer).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Close, c.Kind);
        Assert.Equal(CloseCodes.GoingAway, c.CloseCode);
        Assert.Equal("maximum lifetime reached", client.PeerCloseReason);
        Assert.Equal(ConnectionReceiveKind.Close, (await serverReceive.WaitAsync(Wait)).Kind);
        Assert.Equal(KeepAliveAction.MaxLifetimeReached, server.TimedOut);
        await server.DisposeAsync();
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Without_a_pending_receive_the_peer_answer_is_still_read_and_kept_for_the_next_receive()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = CreateWithRawPeer(new WebSocketConnectionOptions { TimeProvider = time, IdleTimeout = TimeSpan.FromSeconds(30) });
        time.Advance(TimeSpan.FromSeconds(30));
        AssertGoingAway(Assert.Single(ReadFrames(toClient)), "idle timeout");
        await toServer.Writer.WriteAsync(Wire.Client(0x8, Wire.ClosePayload(CloseCodes.GoingAway)));
        // The liveness read processes the answer: the handshake completes and the server closes its side (§7.1.1).
        ReadResult end = await toClient.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.True(end.IsCompleted);
        Assert.Equal(CloseHandshakeState.Closed, server.State);
        ConnectionReceiveResult r = await server.ReceiveAsync(new byte[16]).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
        Assert.Equal(CloseCodes.GoingAway, r.CloseCode);
        Assert.False(server.IsAborted);
    }

    [Fact]
    public async Task A_peer_that_ignores_the_idle_close_is_aborted_after_the_close_timeout()
    {
        var time = new FakeTimeProvider();
        var (server, _, toClient) = CreateWithRawPeer(new WebSocketConnectionOptions
        {
            TimeProvider = time,
            IdleTimeout = TimeSpan.FromSeconds(30),
            CloseTimeout = TimeSpan.FromSeconds(5),
        });
        Task<ConnectionReceiveResult> receive = server.ReceiveAsync(new byte[64]).AsTask();
        time.Advance(TimeSpan.FromSeconds(30));
        AssertGoingAway(Assert.Single(ReadFrames(toClient)), "idle timeout");
        time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.False(receive.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(ConnectionReceiveKind.Aborted, (await receive.WaitAsync(Wait)).Kind);
        Assert.Equal(KeepAliveAction.CloseTimedOut, server.TimedOut);
        Assert.True(server.IsAborted);
    }

    [Fact]
    public async Task A_close_stuck_behind_a_blocked_send_still_ends_after_the_close_timeout()
    {
        var time = new FakeTimeProvider();
        // A peer that never reads: the pipe pushes back at 1 KiB, so a Wait send blocks and holds the send lock.
        var toServer = new Pipe();
        var toClient = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512, useSynchronizationContext: false));
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server,
            new WebSocketConnectionOptions { TimeProvider = time, IdleTimeout = TimeSpan.FromSeconds(30), CloseTimeout = TimeSpan.FromSeconds(5) });
        Task<SendStatus> blocked = server.SendAsync(new byte[4096], MessageKind.Binary).AsTask();
        Assert.False(blocked.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(KeepAliveAction.IdleTimeout, server.TimedOut);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(SendStatus.Closed, await blocked.WaitAsync(Wait));
        Assert.Equal(KeepAliveAction.CloseTimedOut, server.TimedOut);
        Assert.True(server.IsAborted);
        await server.DisposeAsync();
    }

    [Fact]
    public void Idle_timeout_and_lifetime_are_off_by_default()
    {
        var time = new FakeTimeProvider();
        var (server, _, toClient) = CreateWithRawPeer(new WebSocketConnectionOptions { TimeProvider = time });
        _ = server.ReceiveAsync(new byte[16]);
        time.Advance(TimeSpan.FromDays(30));
        Assert.Empty(ReadFrames(toClient));
        Assert.Equal(KeepAliveAction.None, server.TimedOut);
        Assert.Equal(Timeout.InfiniteTimeSpan, WebSocketConnectionOptions.Default.IdleTimeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, WebSocketConnectionOptions.Default.MaxLifetime);
    }
}
