using WsCore.Framing;
using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Time.Testing;
using WsCore.Closing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// WebSocketConnection's keep-alive pings, pong timeout and close timeout, driven by a FakeTimeProvider (no sleeping):
/// RFC 6455 §5.5.2 (a ping must be answered) and §7.1.1 (the closing handshake; the transport is closed when it stalls).
/// </summary>
public class ConnectionKeepAliveTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10); // a safety bound on awaits, never a sleep


    /// <summary>A server connection whose peer is two raw pipes the test drives by hand.</summary>
    private static (WebSocketConnection server, Pipe toServer, Pipe toClient) CreateWithSilentPeer(WebSocketConnectionOptions options)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, options);
        return (server, toServer, toClient);
    }

    private static byte[] ReadAvailable(Pipe pipe)
    {
        if (!pipe.Reader.TryRead(out ReadResult r)) return [];
        byte[] bytes = r.Buffer.ToArray();
        pipe.Reader.AdvanceTo(r.Buffer.End);
        return bytes;
    }

    [Fact]
    public async Task Silent_peer_is_pinged_after_the_interval_and_failed_after_interval_plus_timeout()
    {
        var time = new FakeTimeProvider();
        var (server, _, toClient) = CreateWithSilentPeer(new WebSocketConnectionOptions
        {
            TimeProvider = time,
            KeepAliveInterval = TimeSpan.FromSeconds(10),
            KeepAliveTimeout = TimeSpan.FromSeconds(5),
        });
        Task<ConnectionReceiveResult> receive = server.ReceiveAsync(new byte[64]).AsTask();

        time.Advance(TimeSpan.FromSeconds(9.999));
        Assert.Empty(ReadAvailable(toClient));
        time.Advance(TimeSpan.FromMilliseconds(1));
        // A ping, unmasked (server), carrying the 8-byte sequence number that measures the round trip (the first is 1).
        Assert.Equal(new byte[] { 0x89, 0x08, 0, 0, 0, 0, 0, 0, 0, 1 }, ReadAvailable(toClient));

        time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.False(receive.IsCompleted);
        Assert.Equal(KeepAliveAction.None, server.TimedOut);
        time.Advance(TimeSpan.FromMilliseconds(1));

        ConnectionReceiveResult r = await receive.WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Aborted, r.Kind);
        Assert.Equal(CloseCodes.AbnormalClosure, r.CloseCode);
        Assert.Equal(KeepAliveAction.PeerUnresponsive, server.TimedOut);
        Assert.True(server.IsAborted);
        ReadResult end = await toClient.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.True(end.IsCompleted); // the transport was closed
    }

    [Fact]
    public async Task Responsive_peer_is_never_failed()
    {
        var time = new FakeTimeProvider();
        var (server, client) = WebSocketConnectionTests.CreatePair(new WebSocketConnectionOptions
        {
            TimeProvider = time,
            KeepAliveInterval = TimeSpan.FromSeconds(10),
            KeepAliveTimeout = TimeSpan.FromSeconds(5),
        });
        // The client keeps a receive running so it answers pings; the server keeps one running to see the pongs.
        using var stop = new CancellationTokenSource();
        Task clientLoop = Task.Run(async () =>
        {
            var buffer = new byte[64];
            while (true)
            {
                ConnectionReceiveResult c = await client.ReceiveAsync(buffer, stop.Token);
                if (c.Kind != ConnectionReceiveKind.MessageData) return;
            }
        });
        Task<ConnectionReceiveResult> serverReceive = server.ReceiveAsync(new byte[64]).AsTask();

        for (int round = 0; round < 50; round++)
        {
            time.Advance(TimeSpan.FromSeconds(10)); // idle: the server pings
            Assert.True(SpinWait.SpinUntil(() => !server.IsAwaitingPong, Wait), $"no pong in round {round}");
            time.Advance(TimeSpan.FromSeconds(4.9));
            Assert.False(serverReceive.IsCompleted);
            Assert.Equal(KeepAliveAction.None, server.TimedOut);
        }

        // Still fully usable: a message goes through.
        Assert.Equal(SendStatus.Done, await client.SendAsync("alive"u8.ToArray(), MessageKind.Text));
        ConnectionReceiveResult r = await serverReceive.WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
        Assert.Equal(5, r.Count);
        await server.DisposeAsync();
        await client.DisposeAsync();
        await clientLoop.WaitAsync(Wait);
    }

    [Fact]
    public async Task Close_handshake_the_peer_ignores_is_given_up_after_the_close_timeout()
    {
        var time = new FakeTimeProvider();
        var (server, _, toClient) = CreateWithSilentPeer(new WebSocketConnectionOptions
        {
            TimeProvider = time,
            CloseTimeout = TimeSpan.FromSeconds(3),
        });
        Task<SendStatus> closing = server.CloseAsync(CloseCodes.GoingAway).AsTask();
        Assert.Equal(new byte[] { 0x88, 0x02, 0x03, 0xE9 }, ReadAvailable(toClient));
        Assert.Equal(CloseHandshakeState.CloseSent, server.State);

        time.Advance(TimeSpan.FromSeconds(2.999));
        Assert.False(closing.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(SendStatus.Done, await closing.WaitAsync(Wait));
        Assert.Equal(KeepAliveAction.CloseTimedOut, server.TimedOut);
        ReadResult end = await toClient.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.True(end.IsCompleted); // transport closed
    }

    [Fact]
    public async Task Close_timeout_also_ends_a_receive_pending_after_CloseOutputAsync()
    {
        var time = new FakeTimeProvider();
        var (server, _, _) = CreateWithSilentPeer(new WebSocketConnectionOptions { TimeProvider = time, CloseTimeout = TimeSpan.FromSeconds(3) });
        Task<ConnectionReceiveResult> receive = server.ReceiveAsync(new byte[16]).AsTask();
        Assert.Equal(SendStatus.Done, await server.CloseOutputAsync(CloseCodes.NormalClosure));
        time.Advance(TimeSpan.FromSeconds(3));
        ConnectionReceiveResult r = await receive.WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Aborted, r.Kind);
        Assert.Equal(KeepAliveAction.CloseTimedOut, server.TimedOut);
    }

    [Fact]
    public async Task Completed_close_handshake_is_not_timed_out_later()
    {
        var time = new FakeTimeProvider();
        var options = new WebSocketConnectionOptions { TimeProvider = time, CloseTimeout = TimeSpan.FromSeconds(3), KeepAliveInterval = TimeSpan.FromSeconds(1) };
        var (server, client) = WebSocketConnectionTests.CreatePair(options, options);
        Task<SendStatus> closing = server.CloseAsync(CloseCodes.NormalClosure).AsTask();
        ConnectionReceiveResult c = await client.ReceiveAsync(new byte[16]).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Close, c.Kind);
        Assert.Equal(SendStatus.Done, await closing.WaitAsync(Wait));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(KeepAliveAction.None, server.TimedOut);
        Assert.Equal(KeepAliveAction.None, client.TimedOut);
        Assert.False(server.IsAborted);
    }

    [Fact]
    public async Task WsCoreWebSocket_reports_a_silent_peer_as_a_premature_close()
    {
        var time = new FakeTimeProvider();
        var toServer = new Pipe();
        var toClient = new Pipe();
        using var ws = new WsCore.Interop.WsCoreWebSocket(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, null, new WebSocketConnectionOptions
        {
            TimeProvider = time,
            KeepAliveInterval = TimeSpan.FromSeconds(10),
            KeepAliveTimeout = TimeSpan.FromSeconds(5),
        });
        Task<System.Net.WebSockets.ValueWebSocketReceiveResult> receive = ws.ReceiveAsync(new byte[16].AsMemory(), default).AsTask();
        time.Advance(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => receive.WaitAsync(Wait));
        Assert.Equal(System.Net.WebSockets.WebSocketError.ConnectionClosedPrematurely, e.WebSocketErrorCode);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Aborted, ws.State);
        Assert.Equal(KeepAliveAction.PeerUnresponsive, ws.Connection.TimedOut);
    }

    [Fact]
    public async Task WsCoreWebSocket_CloseAsync_gives_up_after_the_close_timeout()
    {
        var time = new FakeTimeProvider();
        var toServer = new Pipe();
        var toClient = new Pipe();
        using var ws = new WsCore.Interop.WsCoreWebSocket(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, null, new WebSocketConnectionOptions
        {
            TimeProvider = time,
            CloseTimeout = TimeSpan.FromSeconds(3),
        });
        Task closing = ws.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, default);
        Assert.Equal(System.Net.WebSockets.WebSocketState.CloseSent, ws.State);
        time.Advance(TimeSpan.FromSeconds(3));
        var e = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => closing.WaitAsync(Wait));
        Assert.Equal(System.Net.WebSockets.WebSocketError.ConnectionClosedPrematurely, e.WebSocketErrorCode);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Aborted, ws.State);
        Assert.Equal(KeepAliveAction.CloseTimedOut, ws.Connection.TimedOut);
    }

    [Fact]
    public void Keep_alive_is_off_by_default()
    {
        var time = new FakeTimeProvider();
        var (server, _, toClient) = CreateWithSilentPeer(new WebSocketConnectionOptions { TimeProvider = time });
        _ = server.ReceiveAsync(new byte[16]);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Empty(ReadAvailable(toClient));
        Assert.Equal(KeepAliveAction.None, server.TimedOut);
        Assert.False(server.IsAborted);
    }
}
