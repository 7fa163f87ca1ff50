using WsCore.Framing;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using WsCore.Closing;
using WsCore.Diagnostics;
using WsCore.Pipelines;
using WsCore.Protocol;
using Xunit.Abstractions;

namespace WsCore.Tests;

/// <summary>
/// WsCore's metrics (<see cref="WsCoreMetrics"/>): what each instrument counts, with which tags, and that recording
/// allocates nothing per message with a listener attached. In the "Allocation" collection, which runs alone, so the
/// counts are this test's only.
/// </summary>
[Collection("Allocation")]
public class MetricsTests(ITestOutputHelper output)
{
    /// <summary>Sums every WsCore measurement by instrument name and tag values, e.g. "wscore.message.sent|client|text".</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        public readonly ConcurrentDictionary<string, double> Sums = new();

        public Recorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == WsCoreMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Add(i, value, tags));
            _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Add(i, value, tags));
            _listener.Start();
        }

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = new StringBuilder(instrument.Name);
            foreach (KeyValuePair<string, object?> tag in tags) key.Append('|').Append(tag.Value);
            Sums.AddOrUpdate(key.ToString(), value, (_, old) => old + value);
            Sums.AddOrUpdate(instrument.Name + "#count", 1, (_, old) => old + 1);
        }

        public double this[string key] => Sums.TryGetValue(key, out double v) ? v : 0;

        public void Dispose() => _listener.Dispose();
    }

    private static (WebSocketConnection Server, WebSocketConnection Client) CreatePair(WebSocketConnectionOptions? options = null, PipeOptions? pipes = null)
    {
        (DuplexPipe a, DuplexPipe b) = DuplexPipe.CreatePair(pipes);
        return (new WebSocketConnection(a, WebSocketRole.Server, options), new WebSocketConnection(b, WebSocketRole.Client, options));
    }

    [Fact]
    public async Task Messages_payload_bytes_closes_and_connections_are_counted_per_role()
    {
        using var recorder = new Recorder();
        var (server, client) = CreatePair();
        byte[] buffer = new byte[64];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(SendStatus.Done, await client.SendAsync(Encoding.UTF8.GetBytes("hello"), MessageKind.Text));
            ConnectionReceiveResult r = await server.ReceiveAsync(buffer);
            Assert.Equal(5, r.Count);
            Assert.Equal(SendStatus.Done, await server.SendAsync(buffer.AsMemory(0, r.Count), MessageKind.Binary));
            Assert.Equal(5, (await client.ReceiveAsync(buffer)).Count);
        }
        // A message in two fragments counts once, its bytes in full.
        await client.SendAsync(new byte[3], MessageKind.Binary, endOfMessage: false);
        await client.SendAsync(new byte[4], MessageKind.Binary, endOfMessage: true);
        Assert.Equal(3, (await server.ReceiveAsync(buffer)).Count);
        Assert.Equal(4, (await server.ReceiveAsync(buffer)).Count);

        Assert.Equal(1, recorder["wscore.connection.opened|server"]);
        Assert.Equal(1, recorder["wscore.connection.opened|client"]);
        Assert.Equal(1, recorder["wscore.connection.active|server"]);
        Assert.Equal(3, recorder["wscore.message.sent|client|text"]);
        Assert.Equal(1, recorder["wscore.message.sent|client|binary"]);
        Assert.Equal(15, recorder["wscore.payload.sent|client|text"]);
        Assert.Equal(7, recorder["wscore.payload.sent|client|binary"]);
        Assert.Equal(3, recorder["wscore.message.received|server|text"]);
        Assert.Equal(1, recorder["wscore.message.received|server|binary"]);
        Assert.Equal(7, recorder["wscore.payload.received|server|binary"]);
        Assert.Equal(3, recorder["wscore.message.sent|server|binary"]);
        Assert.Equal(3, recorder["wscore.message.received|client|binary"]);
        Assert.Equal(15, recorder["wscore.payload.received|client|binary"]);

        // The client closes; the server's receive sees it and the engine's automatic reply echoes the code (§5.5.1).
        Task<ConnectionReceiveResult> serverReceive = server.ReceiveAsync(buffer).AsTask();
        Assert.Equal(SendStatus.Done, await client.CloseAsync(CloseCodes.GoingAway));
        Assert.Equal(ConnectionReceiveKind.Close, (await serverReceive).Kind);
        Assert.Equal(1, recorder["wscore.close.sent|client|1001"]);
        Assert.Equal(1, recorder["wscore.close.received|server|1001"]);
        Assert.Equal(1, recorder["wscore.close.sent|server|1001"]);
        Assert.Equal(1, recorder["wscore.close.received|client|1001"]);

        await server.DisposeAsync();
        await client.DisposeAsync();
        Assert.Equal(0, recorder["wscore.connection.active|server"]);
        Assert.Equal(0, recorder["wscore.connection.active|client"]);
        Assert.Equal(2, recorder["wscore.connection.duration#count"]);
        Assert.Equal(0, recorder["wscore.protocol.violation#count"]);
    }

    [Fact]
    public async Task Frames_are_counted_by_opcode_and_direction_for_both_roles()
    {
        using var recorder = new Recorder();
        var (server, client) = CreatePair();
        byte[] buffer = new byte[64];

        // Client to server: a ping (answered by the server's auto-pong), text in three frames, a binary message.
        Assert.Equal(SendStatus.Done, await client.PingAsync(new byte[] { 1 }));
        Assert.Equal(SendStatus.Done, await client.SendAsync(Encoding.UTF8.GetBytes("hel"), MessageKind.Text, endOfMessage: false));
        Assert.Equal(SendStatus.Done, await client.SendAsync(Encoding.UTF8.GetBytes("lo "), MessageKind.Text, endOfMessage: false));
        Assert.Equal(SendStatus.Done, await client.SendAsync(Encoding.UTF8.GetBytes("you"), MessageKind.Text, endOfMessage: true));
        Assert.Equal(SendStatus.Done, await client.SendAsync(new byte[4], MessageKind.Binary));
        int received = 0;
        while (received < 9) received += (await server.ReceiveAsync(buffer)).Count;
        Assert.Equal(4, (await server.ReceiveAsync(buffer)).Count);

        // Server to client: two pings (two auto-pongs), binary in two frames, a text message.
        Assert.Equal(SendStatus.Done, await server.PingAsync(new byte[] { 2 }));
        Assert.Equal(SendStatus.Done, await server.PingAsync(new byte[] { 3 }));
        Assert.Equal(SendStatus.Done, await server.SendAsync(new byte[2], MessageKind.Binary, endOfMessage: false));
        Assert.Equal(SendStatus.Done, await server.SendAsync(new byte[2], MessageKind.Binary, endOfMessage: true));
        Assert.Equal(SendStatus.Done, await server.SendAsync(Encoding.UTF8.GetBytes("ok"), MessageKind.Text));
        received = 0;
        while (received < 4) received += (await client.ReceiveAsync(buffer)).Count;
        Assert.Equal(2, (await client.ReceiveAsync(buffer)).Count);

        // The client closes, the server's auto-reply closes back.
        Task<ConnectionReceiveResult> serverReceive = server.ReceiveAsync(buffer).AsTask();
        Assert.Equal(SendStatus.Done, await client.CloseAsync(CloseCodes.NormalClosure));
        Assert.Equal(ConnectionReceiveKind.Close, (await serverReceive).Kind);

        // What the client sent, the server received, and the other way round.
        foreach ((string sender, string receiver, int ping, int pong, int text, int binary, int continuation) in new[]
        {
            ("client", "server", 1, 2, 1, 1, 2),
            ("server", "client", 2, 1, 1, 1, 1),
        })
        {
            foreach (string key in new[] { $"wscore.frame.sent|{sender}", $"wscore.frame.received|{receiver}" })
            {
                Assert.Equal(ping, recorder[key + "|ping"]);
                Assert.Equal(pong, recorder[key + "|pong"]);
                Assert.Equal(text, recorder[key + "|text"]);
                Assert.Equal(binary, recorder[key + "|binary"]);
                Assert.Equal(continuation, recorder[key + "|continuation"]);
                Assert.Equal(1, recorder[key + "|close"]);
            }
        }
        double all = recorder.Sums.Where(kv => kv.Key.StartsWith("wscore.frame.", StringComparison.Ordinal) && !kv.Key.EndsWith("#count", StringComparison.Ordinal)).Sum(kv => kv.Value);
        Assert.Equal(2 * (8 + 7), all); // no frame counted twice or under another tag
        await server.DisposeAsync();
        await client.DisposeAsync();
    }

    [Fact]
    public async Task A_protocol_violation_is_counted_by_kind_with_the_close_it_sends()
    {
        using var recorder = new Recorder();
        var toServer = new Pipe();
        var toClient = new Pipe();
        await using var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server);
        // §5.1: a client's frames must be masked.
        await toServer.Writer.WriteAsync(Wire.Frame(0x2, new byte[] { 1, 2, 3 }));
        ConnectionReceiveResult r = await server.ReceiveAsync(new byte[16]);
        Assert.Equal(ConnectionReceiveKind.ProtocolError, r.Kind);
        Assert.Equal(1, recorder[$"wscore.protocol.violation|server|{server.Violation}"]);
        Assert.Equal(1, recorder["wscore.protocol.violation#count"]);
        Assert.Equal(1, recorder[$"wscore.close.sent|server|{CloseCodes.ProtocolError}"]);
    }

    [Theory]
    [InlineData(BackpressurePolicy.FailSend, "buffer_full")]
    [InlineData(BackpressurePolicy.CloseWith1013, "close_1013")]
    [InlineData(BackpressurePolicy.CloseWith1009, "close_1009")]
    public async Task A_full_outbound_buffer_is_counted_by_policy(BackpressurePolicy policy, string action)
    {
        using var recorder = new Recorder();
        var options = new WebSocketConnectionOptions { BackpressurePolicy = policy, MaxBufferedOutboundBytes = 64 * 1024 };
        // A client that never reads: the pipe pushes back at 16 KiB.
        var (server, client) = CreatePair(options, new PipeOptions(pauseWriterThreshold: 16 * 1024, resumeWriterThreshold: 8 * 1024, useSynchronizationContext: false));
        byte[] message = new byte[8 * 1024];
        SendStatus status = SendStatus.Done;
        for (int i = 0; i < 100 && status == SendStatus.Done; i++) status = await server.SendAsync(message, MessageKind.Binary);
        Assert.Equal(SendStatus.BufferFull, status);
        Assert.Equal(1, recorder[$"wscore.backpressure|server|{action}"]);
        Assert.Equal(1, recorder["wscore.backpressure#count"]);
        if (policy != BackpressurePolicy.FailSend)
        {
            ushort code = policy == BackpressurePolicy.CloseWith1013 ? CloseCodes.TryAgainLater : CloseCodes.MessageTooBig;
            Assert.Equal(1, recorder[$"wscore.close.sent|server|{code}"]);
        }
        server.Abort();
        client.Abort();
        await server.DisposeAsync();
        await client.DisposeAsync();
    }

    [Fact]
    public async Task A_keep_alive_timeout_is_counted_by_kind()
    {
        using var recorder = new Recorder();
        var time = new FakeTimeProvider();
        var toServer = new Pipe();
        var toClient = new Pipe();
        await using var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server,
            new WebSocketConnectionOptions { TimeProvider = time, KeepAliveInterval = TimeSpan.FromSeconds(10), KeepAliveTimeout = TimeSpan.FromSeconds(5) });
        Task<ConnectionReceiveResult> receive = server.ReceiveAsync(new byte[64]).AsTask();
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, recorder["wscore.timeout#count"]);
        time.Advance(TimeSpan.FromSeconds(5)); // the peer never answered the ping
        Assert.Equal(ConnectionReceiveKind.Aborted, (await receive.WaitAsync(TimeSpan.FromSeconds(10))).Kind);
        Assert.Equal(1, recorder["wscore.timeout|server|peer_unresponsive"]);
        Assert.Equal(1, recorder["wscore.connection.opened|server"]);
        Assert.Equal(0, recorder["wscore.connection.active|server"]); // aborted: ended
    }

    [Fact]
    public async Task Idle_and_lifetime_closes_are_counted_by_kind()
    {
        using var recorder = new Recorder();
        var time = new FakeTimeProvider();
        var pipes = (new Pipe(), new Pipe(), new Pipe(), new Pipe());
        await using var idle = new WebSocketConnection(new DuplexPipe(pipes.Item1.Reader, pipes.Item2.Writer), WebSocketRole.Server,
            new WebSocketConnectionOptions { TimeProvider = time, IdleTimeout = TimeSpan.FromSeconds(10) });
        await using var old = new WebSocketConnection(new DuplexPipe(pipes.Item3.Reader, pipes.Item4.Writer), WebSocketRole.Client,
            new WebSocketConnectionOptions { TimeProvider = time, MaxLifetime = TimeSpan.FromSeconds(20), IdleTimeout = TimeSpan.FromSeconds(30) });
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, recorder["wscore.timeout|server|idle"]);
        Assert.Equal(1, recorder[$"wscore.close.sent|server|{CloseCodes.GoingAway}"]);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, recorder["wscore.timeout|client|max_lifetime"]);
        Assert.Equal(1, recorder["wscore.timeout|server|close_timed_out"]); // the idle one's peer never answered in 10 s
        Assert.Equal(3, recorder["wscore.timeout#count"]);
    }

    [Fact]
    public void Close_codes_are_tagged_with_bounded_cardinality()
    {
        using var recorder = new Recorder();
        foreach (ushort code in new ushort[] { 1000, 1011, 1015, 3000, 3999, 4000, 4999, 5000, 999 })
            WsCoreMetrics.ClosesReceived.Add(1, WsCoreMetrics.Role(WebSocketRole.Server), WsCoreMetrics.CloseCode(code));
        Assert.Equal(1, recorder["wscore.close.received|server|1000"]);
        Assert.Equal(1, recorder["wscore.close.received|server|1011"]);
        Assert.Equal(1, recorder["wscore.close.received|server|1015"]);
        Assert.Equal(2, recorder["wscore.close.received|server|3000-3999"]);
        Assert.Equal(2, recorder["wscore.close.received|server|4000-4999"]);
        Assert.Equal(2, recorder["wscore.close.received|server|other"]);
    }

    [Fact]
    public async Task Handshakes_are_counted_by_result_and_status_with_their_duration()
    {
        using var recorder = new Recorder();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var options = new WsCore.Handshake.HandshakeOptions { TimeProvider = time };
        const string Valid = "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

        async Task<ServerHandshakeResult> Serve(string request, Func<WsCore.Handshake.HandshakeRequest, WsCore.Handshake.ServerHandshakeDecision>? policy = null, bool complete = true)
        {
            (DuplexPipe server, DuplexPipe client) = DuplexPipe.CreatePair();
            await client.Output.WriteAsync(Encoding.ASCII.GetBytes(request));
            if (complete) await client.Output.CompleteAsync();
            return await PipeHandshake.AcceptAsync(server, policy, options);
        }

        Assert.True((await Serve(Valid)).IsAccepted);
        Assert.False((await Serve(Valid.Replace("Version: 13", "Version: 12", StringComparison.Ordinal))).IsAccepted); // 426
        Assert.False((await Serve(Valid, _ => WsCore.Handshake.ServerHandshakeDecision.Reject(403, "no"))).IsAccepted);
        Assert.False((await Serve(Valid, _ => WsCore.Handshake.ServerHandshakeDecision.Reject(418, "teapot"))).IsAccepted); // not a known status: by class
        Assert.False((await Serve("GET /chat HTTP/1.1\r\nHost: exa")).IsAccepted); // the client went away: no answer
        Task<ServerHandshakeResult> slow = Serve("GET /chat HTTP/1.1\r\n", complete: false);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(WsCore.Handshake.HandshakeRequestError.TimedOut, (await slow.WaitAsync(TimeSpan.FromSeconds(10))).Error);

        Assert.Equal(1, recorder["wscore.handshake|server|accepted|101"]);
        Assert.Equal(1, recorder["wscore.handshake|server|rejected|426"]);
        Assert.Equal(1, recorder["wscore.handshake|server|rejected|403"]);
        Assert.Equal(1, recorder["wscore.handshake|server|rejected|4xx"]);
        Assert.Equal(1, recorder["wscore.handshake|server|failed|none"]);
        Assert.Equal(1, recorder["wscore.handshake|server|timed_out|408"]);
        Assert.Equal(6, recorder["wscore.handshake.duration#count"]);
        Assert.Equal(10, recorder["wscore.handshake.duration|server|timed_out"]); // seconds on the fake clock

        // The client side: an accepted handshake and a refused one, by the status the server sent.
        foreach (bool accept in new[] { true, false })
        {
            (DuplexPipe server, DuplexPipe client) = DuplexPipe.CreatePair();
            Task<ServerHandshakeResult> serving = PipeHandshake.AcceptAsync(server,
                _ => accept ? WsCore.Handshake.ServerHandshakeDecision.Accept() : WsCore.Handshake.ServerHandshakeDecision.Reject(503, "busy"), options).AsTask();
            ClientHandshakeResult c = await PipeHandshake.ConnectAsync(client, new WsCore.Handshake.ClientUpgradeRequest { Host = "example.com", Target = "/" }, options);
            Assert.Equal(accept, c.IsAccepted);
            await serving;
        }
        Assert.Equal(1, recorder["wscore.handshake|client|accepted|101"]);
        Assert.Equal(1, recorder["wscore.handshake|client|rejected|503"]);
        Assert.Equal(1, recorder["wscore.handshake|server|rejected|503"]);
    }

    [Fact]
    public async Task Compressed_and_uncompressed_bytes_are_counted_both_ways()
    {
        using var recorder = new Recorder();
        var options = new WebSocketConnectionOptions
        {
            Protocol = new WebSocketProtocolOptions { PerMessageDeflate = new WsCore.Compression.PerMessageDeflateOptions { Enabled = true } },
        };
        (DuplexPipe a, DuplexPipe b) = DuplexPipe.CreatePair();
        await using var server = new WebSocketConnection(a, WebSocketRole.Server, options, WsCore.Compression.PerMessageDeflateParameters.Default);
        await using var client = new WebSocketConnection(b, WebSocketRole.Client, options, WsCore.Compression.PerMessageDeflateParameters.Default);
        byte[] text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog ", 250)));
        byte[] buffer = new byte[4096];
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(SendStatus.Done, await client.SendAsync(text, MessageKind.Text));
            int received = 0;
            while (true)
            {
                ConnectionReceiveResult r = await server.ReceiveAsync(buffer);
                received += r.Count;
                if (r.EndOfMessage) break;
            }
            Assert.Equal(text.Length, received);
        }
        double compressed = recorder["wscore.compression.compressed|client|sent"];
        Assert.Equal(2 * text.Length, recorder["wscore.compression.uncompressed|client|sent"]);
        Assert.InRange(compressed, 1, text.Length / 10); // very repetitive text
        Assert.Equal(compressed, recorder["wscore.compression.compressed|server|received"]);
        Assert.Equal(2 * text.Length, recorder["wscore.compression.uncompressed|server|received"]);
        Assert.Equal(0, recorder["wscore.compression.compressed|server|sent"]);
        // The message counters still count the uncompressed payload.
        Assert.Equal(2 * text.Length, recorder["wscore.payload.sent|client|text"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Recording_with_a_listener_allocates_nothing_per_message(bool compression)
    {
        long total = 0;
        long frames = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WsCoreMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            Interlocked.Add(ref total, value);
            if (instrument == WsCoreMetrics.FramesSent || instrument == WsCoreMetrics.FramesReceived) Interlocked.Add(ref frames, value);
        });
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        listener.Start();

        (DuplexPipe a, DuplexPipe b) = DuplexPipe.CreatePair(new PipeOptions(useSynchronizationContext: false));
        WsCore.Compression.PerMessageDeflateParameters? deflate = compression ? WsCore.Compression.PerMessageDeflateParameters.Default : null;
        var options = compression
            ? new WebSocketConnectionOptions { Protocol = new WebSocketProtocolOptions { PerMessageDeflate = new WsCore.Compression.PerMessageDeflateOptions { Enabled = true } } }
            : WebSocketConnectionOptions.Default;
        var server = new WebSocketConnection(a, WebSocketRole.Server, options, deflate);
        var client = new WebSocketConnection(b, WebSocketRole.Client, options, deflate);
        byte[] message = new byte[128];
        byte[] buffer = new byte[4096];
        async Task Loop(int n)
        {
            for (int i = 0; i < n; i++)
            {
                await client.SendAsync(message, MessageKind.Binary).ConfigureAwait(false);
                ConnectionReceiveResult s = await server.ReceiveAsync(buffer).ConfigureAwait(false);
                await server.SendAsync(buffer.AsMemory(0, s.Count), MessageKind.Binary).ConfigureAwait(false);
                await client.ReceiveAsync(buffer).ConfigureAwait(false);
            }
        }
        double perMessage = await Allocations.PerMessageAsync(Loop, 1000, output.WriteLine);
        Assert.True(Interlocked.Read(ref total) > 4 * 1000 * 128, "the listener saw the payload bytes");
        Assert.True(Interlocked.Read(ref frames) >= 4 * 1000, "the listener saw the frames");
        Assert.True(perMessage < 1, $"{perMessage:F3} bytes per message with a listener");
        await server.DisposeAsync();
        await client.DisposeAsync();
    }
}
