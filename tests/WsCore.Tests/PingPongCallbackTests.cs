using WsCore.Framing;
using System.IO.Pipelines;
using Microsoft.Extensions.Time.Testing;
using WsCore.Pipelines;
using WsCore.Protocol;
using Xunit.Abstractions;

namespace WsCore.Tests;

/// <summary>
/// <see cref="WebSocketConnectionOptions.PingReceived"/> and <see cref="WebSocketConnectionOptions.PongReceived"/>: the
/// application hears of every ping and pong (RFC 6455 §5.5.2, §5.5.3), with the round-trip time of measured pings; a
/// callback that throws is caught and counted; calling static lambdas allocates nothing per message. In the
/// "Allocation" collection (the allocation test needs the process to itself).
/// </summary>
[Collection("Allocation")]
public class PingPongCallbackTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private sealed record Seen(string Kind, byte[] Payload, TimeSpan? RoundTrip);

    [Fact]
    public async Task Pings_and_pongs_reach_the_callbacks_with_payload_and_round_trip()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(WebSocketConnection, Seen)>();
        var time = new FakeTimeProvider();
        var options = new WebSocketConnectionOptions
        {
            TimeProvider = time,
            PingReceived = (c, payload) => seen.Enqueue((c, new Seen("ping", payload.ToArray(), null))),
            PongReceived = (c, payload, rtt) => seen.Enqueue((c, new Seen("pong", payload.ToArray(), rtt))),
        };
        var (server, client) = WebSocketConnectionTests.CreatePair(options, options);
        byte[] buffer = new byte[64];

        // An application ping: the peer's callback sees it, ours sees the pong, without a round-trip time.
        Task<ConnectionReceiveResult> serverReceive = server.ReceiveAsync(buffer).AsTask();
        Assert.Equal(SendStatus.Done, await client.PingAsync("hi"u8.ToArray()));
        Task<ConnectionReceiveResult> clientReceive = client.ReceiveAsync(buffer).AsTask();
        Assert.True(SpinWait.SpinUntil(() => seen.Count == 2, Wait));
        Assert.True(seen.TryDequeue(out var ping));
        Assert.Same(server, ping.Item1);
        Assert.Equal(new Seen("ping", "hi"u8.ToArray(), null), ping.Item2, SeenComparer.Instance);
        Assert.True(seen.TryDequeue(out var pong));
        Assert.Same(client, pong.Item1);
        Assert.Equal(new Seen("pong", "hi"u8.ToArray(), null), pong.Item2, SeenComparer.Instance);

        // A measured ping: the pong callback gets the round-trip time MeasureRoundTripAsync returns.
        var measuring = new TaskCompletionSource<TimeSpan?>();
        var measurement = Task.Run(async () => measuring.SetResult(await client.MeasureRoundTripAsync()));
        Assert.True(SpinWait.SpinUntil(() => seen.Count == 1 || measuring.Task.IsCompleted, Wait)); // the server saw the ping
        Assert.True(seen.TryDequeue(out ping));
        Assert.Equal("ping", ping.Item2.Kind);
        Assert.Equal(8, ping.Item2.Payload.Length); // the sequence number
        await measurement.WaitAsync(Wait);
        Assert.True(seen.TryDequeue(out pong));
        Assert.Equal("pong", pong.Item2.Kind);
        Assert.Equal(ping.Item2.Payload, pong.Item2.Payload);
        Assert.Equal(await measuring.Task, pong.Item2.RoundTrip);
        Assert.NotNull(pong.Item2.RoundTrip);

        server.Abort();
        client.Abort();
        await Task.WhenAll(serverReceive, clientReceive).WaitAsync(Wait);
    }

    private sealed class SeenComparer : IEqualityComparer<Seen>
    {
        public static readonly SeenComparer Instance = new();
        public bool Equals(Seen? x, Seen? y) => x!.Kind == y!.Kind && x.Payload.AsSpan().SequenceEqual(y.Payload) && x.RoundTrip == y.RoundTrip;
        public int GetHashCode(Seen obj) => obj.Kind.GetHashCode();
    }

    [Fact]
    public async Task A_throwing_callback_is_caught_and_counted_and_the_connection_goes_on()
    {
        long failures = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "wscore.callback.failed") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref failures, value));
        listener.Start();
        var options = new WebSocketConnectionOptions
        {
            PingReceived = static (_, _) => throw new InvalidOperationException("application bug"),
            PongReceived = static (_, _, _) => throw new InvalidOperationException("application bug"),
        };
        var (server, client) = WebSocketConnectionTests.CreatePair(options, options);
        byte[] buffer = new byte[64];
        Assert.Equal(SendStatus.Done, await client.PingAsync("x"u8.ToArray()));
        Assert.Equal(SendStatus.Done, await client.SendAsync("after"u8.ToArray(), MessageKind.Text));
        ConnectionReceiveResult s = await server.ReceiveAsync(buffer).AsTask().WaitAsync(Wait); // ping (callback threw), then the message
        Assert.Equal(ConnectionReceiveKind.MessageData, s.Kind);
        Assert.Equal(5, s.Count);
        Assert.Equal(SendStatus.Done, await server.SendAsync("back"u8.ToArray(), MessageKind.Text));
        ConnectionReceiveResult c = await client.ReceiveAsync(buffer).AsTask().WaitAsync(Wait); // pong (callback threw), then the message
        Assert.Equal(ConnectionReceiveKind.MessageData, c.Kind);
        Assert.Equal(4, c.Count);
        Assert.Equal(2, Interlocked.Read(ref failures));
        Assert.False(server.IsAborted);
        Assert.False(client.IsAborted);
        await server.DisposeAsync();
        await client.DisposeAsync();
    }

    private static long s_pings;
    private static long s_pongs;

    [Fact]
    public async Task Static_lambda_callbacks_allocate_nothing_per_ping()
    {
        var options = new WebSocketConnectionOptions
        {
            PingReceived = static (_, payload) => Interlocked.Add(ref s_pings, payload.Length),
            PongReceived = static (_, payload, _) => Interlocked.Add(ref s_pongs, payload.Length),
        };
        var pipes = new PipeOptions(useSynchronizationContext: false);
        var toServer = new Pipe(pipes);
        var toClient = new Pipe(pipes);
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, options);
        var client = new WebSocketConnection(new DuplexPipe(toClient.Reader, toServer.Writer), WebSocketRole.Client, options);
        byte[] ping = new byte[16];
        byte[] message = new byte[64];
        byte[] buffer = new byte[4096];
        async Task Loop(int n)
        {
            for (int i = 0; i < n; i++)
            {
                await client.PingAsync(ping).ConfigureAwait(false);
                await client.SendAsync(message, MessageKind.Binary).ConfigureAwait(false);
                ConnectionReceiveResult s = await server.ReceiveAsync(buffer).ConfigureAwait(false); // the ping, then the message
                await server.SendAsync(buffer.AsMemory(0, s.Count), MessageKind.Binary).ConfigureAwait(false);
                await client.ReceiveAsync(buffer).ConfigureAwait(false); // the pong, then the message
            }
        }
        long pingsBefore = Interlocked.Read(ref s_pings);
        double perMessage = await Allocations.PerMessageAsync(Loop, 1000, output.WriteLine);
        Assert.True(Interlocked.Read(ref s_pings) - pingsBefore >= 7000 * 16, "the ping callback ran for every ping");
        Assert.True(Interlocked.Read(ref s_pongs) >= 7000 * 16, "the pong callback ran for every pong");
        Assert.True(perMessage < 1, $"{perMessage:F3} bytes per round trip with callbacks");
        await server.DisposeAsync();
        await client.DisposeAsync();
    }
}
