using WsCore.Framing;
using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Time.Testing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// Ping round-trip time (issue 15): <see cref="WebSocketConnection.MeasureRoundTripAsync"/> and the measured keep-alive
/// pings, against a peer the test drives by hand on a <see cref="FakeTimeProvider"/> (the round trip is the fake time
/// that passes between the ping going out and its pong coming in).
/// </summary>
public class RoundTripTimeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10); // a safety bound on awaits, never a sleep

    private static (WebSocketConnection Server, Pipe ToServer, Pipe ToClient) Create(FakeTimeProvider time, TimeSpan? keepAlive = null)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var options = new WebSocketConnectionOptions
        {
            TimeProvider = time,
            KeepAliveInterval = keepAlive ?? Timeout.InfiniteTimeSpan,
            KeepAliveTimeout = TimeSpan.FromSeconds(30),
        };
        return (new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, options), toServer, toClient);
    }

    /// <summary>Reads one ping the server sent and returns its payload.</summary>
    private static async Task<byte[]> ReadPingAsync(Pipe toClient)
    {
        while (true)
        {
            ReadResult r = await toClient.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            byte[] bytes = r.Buffer.ToArray();
            if (bytes.Length >= 2 && bytes.Length >= 2 + (bytes[1] & 0x7F))
            {
                toClient.Reader.AdvanceTo(r.Buffer.GetPosition(2 + (bytes[1] & 0x7F)));
                Assert.Equal(0x89, bytes[0]); // FIN + ping, unmasked (server)
                return bytes.AsSpan(2, bytes[1] & 0x7F).ToArray();
            }
            toClient.Reader.AdvanceTo(r.Buffer.Start, r.Buffer.End);
        }
    }

    private static ValueTask<FlushResult> SendPongAsync(Pipe toServer, byte[] payload)
        => toServer.Writer.WriteAsync(Wire.Client(0xA, payload)); // a client's frames are masked (§5.3)

    [Fact]
    public async Task A_measured_ping_completes_with_the_time_until_its_pong()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = Create(time);
        await using var owner = server;
        Task<ConnectionReceiveResult> receive = server.ReceiveAsync(new byte[64]).AsTask(); // pongs are seen by a receive
        Assert.Null(server.RoundTripTime);

        Task<TimeSpan?> measuring = server.MeasureRoundTripAsync().AsTask();
        byte[] ping = await ReadPingAsync(toClient);
        Assert.Equal(8, ping.Length);
        time.Advance(TimeSpan.FromMilliseconds(37));
        Assert.False(measuring.IsCompleted);

        // A pong that answers another ping (§5.5.3 allows unsolicited pongs) does not complete the measurement.
        await SendPongAsync(toServer, [1, 2, 3]);
        byte[] other = (byte[])ping.Clone();
        other[7] ^= 0xFF;
        await SendPongAsync(toServer, other);
        time.Advance(TimeSpan.FromMilliseconds(5));
        await SendPongAsync(toServer, ping);

        Assert.Equal(TimeSpan.FromMilliseconds(42), await measuring.WaitAsync(Wait));
        Assert.Equal(TimeSpan.FromMilliseconds(42), server.RoundTripTime);
        Assert.False(receive.IsCompleted); // pongs are not handed to the application
    }

    [Fact]
    public async Task Concurrent_measurements_share_one_ping()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = Create(time);
        await using var owner = server;
        _ = server.ReceiveAsync(new byte[64]).AsTask();
        Task<TimeSpan?> first = server.MeasureRoundTripAsync().AsTask();
        byte[] ping = await ReadPingAsync(toClient);
        Task<TimeSpan?> second = server.MeasureRoundTripAsync().AsTask();
        time.Advance(TimeSpan.FromMilliseconds(10));
        await SendPongAsync(toServer, ping);
        Assert.Equal(TimeSpan.FromMilliseconds(10), await first.WaitAsync(Wait));
        Assert.Equal(TimeSpan.FromMilliseconds(10), await second.WaitAsync(Wait));
        Assert.False(toClient.Reader.TryRead(out _)); // one ping only
    }

    [Fact]
    public async Task A_measurement_ends_with_null_when_the_connection_ends_and_its_token_bounds_it()
    {
        var time = new FakeTimeProvider();
        var (server, _, toClient) = Create(time);
        _ = server.ReceiveAsync(new byte[64]).AsTask();
        using (var cts = new CancellationTokenSource())
        {
            Task<TimeSpan?> bounded = server.MeasureRoundTripAsync(cts.Token).AsTask();
            await ReadPingAsync(toClient);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bounded.WaitAsync(Wait));
        }
        Task<TimeSpan?> measuring = server.MeasureRoundTripAsync().AsTask(); // joins the ping still in flight
        server.Abort();
        Assert.Null(await measuring.WaitAsync(Wait));
        Assert.Null(await server.MeasureRoundTripAsync().AsTask().WaitAsync(Wait));
        Assert.Null(server.RoundTripTime);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Keep_alive_pings_measure_the_round_trip_too()
    {
        var time = new FakeTimeProvider();
        var (server, toServer, toClient) = Create(time, keepAlive: TimeSpan.FromSeconds(10));
        await using var owner = server;
        _ = server.ReceiveAsync(new byte[64]).AsTask();
        time.Advance(TimeSpan.FromSeconds(10));
        byte[] ping = await ReadPingAsync(toClient);
        time.Advance(TimeSpan.FromMilliseconds(250));
        await SendPongAsync(toServer, ping);
        for (int i = 0; i < 1000 && server.RoundTripTime is null; i++) await Task.Delay(5); // the receive runs on the thread pool
        Assert.Equal(TimeSpan.FromMilliseconds(250), server.RoundTripTime);
    }
}
