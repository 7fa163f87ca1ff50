using WsCore.Framing;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using WsCore.Closing;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// <see cref="ReconnectingWebSocketClient"/> on a fake clock with scripted servers over pipes: it retries after
/// failures and after closes that call for it (honouring Retry-After, with jitter), stops on "do not retry" advice,
/// and stops at once when cancelled; nothing it meets faults its task.
/// </summary>
public class ReconnectingWebSocketClientTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>One scripted server: a canned refusal, or an accepted WebSocket the test then drives.</summary>
    private sealed class Script
    {
        public readonly ConcurrentQueue<Func<Task<WebSocketClientConnection>>> Steps = new();
        public readonly BlockingCollection<WebSocketConnection> Servers = new();
        public int Attempts;

        public void Refuse(string head) => Steps.Enqueue(async () =>
        {
            var (server, client) = Pair();
            await server.Output.WriteAsync(Encoding.ASCII.GetBytes(head.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n"));
            ClientHandshakeResult result = await PipeHandshake.ConnectAsync(client, new ClientUpgradeRequest { Host = "example.com", Target = "/" });
            return new WebSocketClientConnection(null, null, result, new WebSocketConnectException(WebSocketConnectFailure.Handshake, "refused", result.StatusCode, result.Error, result.Response));
        });

        public void Accept() => Steps.Enqueue(async () =>
        {
            var (server, client) = Pair();
            Task<ServerHandshakeResult> accept = PipeHandshake.AcceptAsync(server).AsTask();
            ClientHandshakeResult result = await PipeHandshake.ConnectAsync(client, new ClientUpgradeRequest { Host = "example.com", Target = "/" });
            Assert.True((await accept).IsAccepted);
            Servers.Add(new WebSocketConnection(server, WebSocketRole.Server));
            return new WebSocketClientConnection(new WebSocketConnection(client, WebSocketRole.Client), null, result, null);
        });

        public Task<WebSocketClientConnection> ConnectAsync(CancellationToken token)
        {
            Interlocked.Increment(ref Attempts);
            return Steps.TryDequeue(out var step) ? step() : throw new IOException("no server");
        }

        private static (IDuplexPipe server, IDuplexPipe client) Pair()
        {
            var toServer = new Pipe();
            var toClient = new Pipe();
            return (new DuplexPipe(toServer.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, toServer.Writer));
        }
    }

    /// <summary>The session: receive until the connection ends.</summary>
    private static async Task ReceiveUntilClosedAsync(WebSocketConnection connection, CancellationToken token)
    {
        byte[] buffer = new byte[64];
        while ((await connection.ReceiveAsync(buffer, token)).Kind == ConnectionReceiveKind.MessageData) { }
    }

    private static void AdvanceUntil(FakeTimeProvider time, Func<bool> condition, TimeSpan step, TimeSpan limit)
    {
        for (TimeSpan t = TimeSpan.Zero; t <= limit; t += step)
        {
            if (SpinWait.SpinUntil(condition, 50)) return;
            time.Advance(step);
        }
        Assert.True(condition(), "the condition never held");
    }

    [Fact]
    public async Task Retries_after_503_with_Retry_After_reconnects_after_1001_and_stops_on_403()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var script = new Script();
        script.Refuse("HTTP/1.1 503 Service Unavailable\nRetry-After: 20\nContent-Length: 0\n");
        script.Accept();
        script.Accept();
        script.Refuse("HTTP/1.1 403 Forbidden\nContent-Length: 0\n");
        var client = new ReconnectingWebSocketClient(script.ConnectAsync, new ReconnectOptions { TimeProvider = time, Random = new Random(3) });
        Task<ReconnectOutcome> run = client.RunAsync(ReceiveUntilClosedAsync);

        Assert.True(SpinWait.SpinUntil(() => script.Attempts == 1, Wait));
        time.Advance(TimeSpan.FromSeconds(19.9));
        await Task.Delay(50);
        Assert.Equal(1, script.Attempts); // Retry-After: 20 is honoured
        AdvanceUntil(time, () => script.Attempts == 2, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2)); // 20 s + jitter < 1 s
        Assert.True(script.Servers.TryTake(out WebSocketConnection? first, Wait));

        // The server goes away (1001): the client reconnects with backoff.
        Assert.Equal(SendStatus.Done, await first.CloseAsync(CloseCodes.GoingAway));
        AdvanceUntil(time, () => script.Attempts == 3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));
        Assert.True(script.Servers.TryTake(out WebSocketConnection? second, Wait));

        // Lost without a close frame (1006): reconnect again; then 403: stop.
        second.Abort();
        AdvanceUntil(time, () => run.IsCompleted, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        ReconnectOutcome outcome = await run.WaitAsync(Wait);
        Assert.Equal(ReconnectStopReason.HandshakeRefused, outcome.Reason);
        Assert.Equal(403, outcome.StatusCode);
        Assert.Equal(2, outcome.Connections);
        Assert.Equal(CloseCodes.AbnormalClosure, outcome.CloseCode);
        Assert.Equal(4, script.Attempts);
    }

    [Fact]
    public async Task A_normal_close_ends_the_loop_and_a_throwing_session_is_reported_not_thrown()
    {
        var time = new FakeTimeProvider();
        var script = new Script();
        script.Accept();
        var client = new ReconnectingWebSocketClient(script.ConnectAsync, new ReconnectOptions { TimeProvider = time });
        Task<ReconnectOutcome> run = client.RunAsync(ReceiveUntilClosedAsync);
        Assert.True(script.Servers.TryTake(out WebSocketConnection? server, Wait));
        Assert.Equal(SendStatus.Done, await server.CloseAsync(CloseCodes.NormalClosure));
        ReconnectOutcome outcome = await run.WaitAsync(Wait);
        Assert.Equal(ReconnectStopReason.Closed, outcome.Reason);
        Assert.Equal(CloseCodes.NormalClosure, outcome.CloseCode);

        script.Accept();
        ReconnectOutcome failed = await client.RunAsync((_, _) => throw new InvalidOperationException("bug")).WaitAsync(Wait);
        Assert.Equal(ReconnectStopReason.SessionFailed, failed.Reason);
        Assert.IsType<InvalidOperationException>(failed.Exception);
    }

    [Fact]
    public async Task Connect_failures_back_off_exponentially_until_the_limit_and_cancellation_stops_a_wait()
    {
        var time = new FakeTimeProvider();
        var script = new Script(); // no server: every connect throws
        var options = new ReconnectOptions { TimeProvider = time, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(8), MaxConsecutiveFailures = 5 };
        ReconnectOutcome outcome = await Task.Run(async () =>
        {
            Task<ReconnectOutcome> run = new ReconnectingWebSocketClient(script.ConnectAsync, options).RunAsync(ReceiveUntilClosedAsync);
            AdvanceUntil(time, () => run.IsCompleted, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1 + 2 + 4 + 8 + 8));
            return await run;
        }).WaitAsync(Wait);
        Assert.Equal(ReconnectStopReason.TooManyFailures, outcome.Reason);
        Assert.Equal(5, script.Attempts);
        Assert.Equal("no server", outcome.Failure);

        // Cancelled while waiting out a backoff: it ends at once, as a result, not an exception.
        using var cancel = new CancellationTokenSource();
        Task<ReconnectOutcome> waiting = new ReconnectingWebSocketClient(script.ConnectAsync, options with { MaxConsecutiveFailures = 0, BaseDelay = TimeSpan.FromHours(1), MaxDelay = TimeSpan.FromHours(1) })
            .RunAsync(ReceiveUntilClosedAsync, cancel.Token);
        Assert.True(SpinWait.SpinUntil(() => script.Attempts == 6, Wait));
        cancel.Cancel();
        Assert.Equal(ReconnectStopReason.Cancelled, (await waiting.WaitAsync(Wait)).Reason);

        // Cancelled while connected: the connection is aborted and the loop ends.
        script.Accept();
        using var cancel2 = new CancellationTokenSource();
        Task<ReconnectOutcome> connected = new ReconnectingWebSocketClient(script.ConnectAsync, options).RunAsync(ReceiveUntilClosedAsync, cancel2.Token);
        Assert.True(script.Servers.TryTake(out _, Wait));
        cancel2.Cancel();
        Assert.Equal(ReconnectStopReason.Cancelled, (await connected.WaitAsync(Wait)).Reason);
    }
}
