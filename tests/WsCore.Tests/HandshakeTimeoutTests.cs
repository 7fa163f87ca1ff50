using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using WsCore.Handshake;
using WsCore.Pipelines;

namespace WsCore.Tests;

/// <summary>
/// The opening handshake's timeout on every host WsCore runs itself (<see cref="PipeHandshake"/>,
/// <see cref="SocketWebSockets"/>): a slowloris client that trickles its request is answered 408 and cut off at the
/// deadline however often it sends a byte. Driven by a FakeTimeProvider (no sleeping).
/// </summary>
public class HandshakeTimeoutTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10); // a safety bound on awaits, never a sleep
    private static readonly byte[] SlowRequest = Encoding.ASCII.GetBytes("GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nX-Slow: ");

    private static (IDuplexPipe server, IDuplexPipe client) Pair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexPipe(toServer.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, toServer.Writer));
    }

    private static async Task<string> ReadAllAsync(PipeReader reader)
    {
        var text = new StringBuilder();
        while (true)
        {
            ReadResult r = await reader.ReadAsync().AsTask().WaitAsync(Wait);
            foreach (ReadOnlyMemory<byte> segment in r.Buffer) text.Append(Encoding.Latin1.GetString(segment.Span));
            reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) return text.ToString();
        }
    }

    [Fact]
    public async Task PipeHandshake_answers_a_slowloris_408_at_the_default_10_s_however_often_it_sends()
    {
        var time = new FakeTimeProvider();
        var (server, client) = Pair();
        Task<ServerHandshakeResult> accept = PipeHandshake.AcceptAsync(server, options: new HandshakeOptions { TimeProvider = time }).AsTask();
        Assert.Equal(TimeSpan.FromSeconds(10), HandshakeOptions.Default.Timeout);
        for (int i = 0; i < 99; i++)
        {
            await client.Output.WriteAsync(SlowRequest.AsMemory(i % SlowRequest.Length, 1)); // one byte every 100 ms
            time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.False(accept.IsCompleted, $"ended after {(i + 1) * 100} ms");
        }
        time.Advance(TimeSpan.FromMilliseconds(100));
        ServerHandshakeResult result = await accept.WaitAsync(Wait);
        Assert.False(result.IsAccepted);
        Assert.Equal(HandshakeRequestError.TimedOut, result.Error);
        Assert.Equal(408, HandshakeRequestErrors.StatusCode(result.Error));
        await server.Output.CompleteAsync();
        string response = await ReadAllAsync(client.Input);
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", response);
        Assert.Contains("Connection: close\r\n", response);
    }

    [Fact]
    public async Task PipeHandshake_caller_cancellation_still_throws_and_an_infinite_timeout_waits()
    {
        var time = new FakeTimeProvider();
        var (server, _) = Pair();
        using var cancel = new CancellationTokenSource();
        Task<ServerHandshakeResult> accept = PipeHandshake.AcceptAsync(server,
            options: new HandshakeOptions { TimeProvider = time, Timeout = Timeout.InfiniteTimeSpan }, cancellationToken: cancel.Token).AsTask();
        time.Advance(TimeSpan.FromDays(1));
        Assert.False(accept.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accept.WaitAsync(Wait));
    }

    [Fact]
    public async Task PipeHandshake_client_gives_up_on_a_server_that_never_answers()
    {
        var time = new FakeTimeProvider();
        var (_, client) = Pair();
        var request = new ClientUpgradeRequest { Host = "example.com", Target = "/" };
        Task<ClientHandshakeResult> connect = PipeHandshake.ConnectAsync(client, request,
            new HandshakeOptions { TimeProvider = time, Timeout = TimeSpan.FromSeconds(5) }).AsTask();
        time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.False(connect.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        ClientHandshakeResult result = await connect.WaitAsync(Wait);
        Assert.False(result.IsAccepted);
        Assert.Equal(HandshakeResponseError.TimedOut, result.Error);
        Assert.Equal(0, result.StatusCode);
    }

    [Fact]
    public async Task SocketWebSockets_server_cuts_off_a_slowloris_at_its_HandshakeTimeout()
    {
        var time = new FakeTimeProvider();
        var timeout = TimeSpan.FromSeconds(5);
        using var stop = new CancellationTokenSource();
        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        int handled = 0;
        Task server = SocketWebSockets.RunServerAsync(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => { Interlocked.Increment(ref handled); return Task.CompletedTask; },
            new WebSocketServerOptions { HandshakeTimeout = timeout, Connection = new WebSocketConnectionOptions { TimeProvider = time } },
            listening.SetResult, stop.Token);
        IPEndPoint endpoint = await listening.Task.WaitAsync(Wait);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);

        // One byte per fake second until the server answers; the handshake's clock starts once the server has accepted.
        var response = new MemoryStream();
        byte[] buffer = new byte[1024];
        TimeSpan elapsed = TimeSpan.Zero;
        for (int i = 0; i < 60 && response.Length == 0; i++)
        {
            try { await socket.SendAsync(SlowRequest.AsMemory(i % SlowRequest.Length, 1)); } catch (SocketException) { break; }
            time.Advance(TimeSpan.FromSeconds(1));
            elapsed += TimeSpan.FromSeconds(1);
            if (socket.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead))
            {
                int n = await socket.ReceiveAsync(buffer);
                response.Write(buffer, 0, n);
            }
        }
        Assert.True(elapsed >= timeout, $"answered after {elapsed}");
        Assert.True(elapsed <= timeout + TimeSpan.FromSeconds(5), $"answered only after {elapsed}: the trickle kept it open");
        using var read = new CancellationTokenSource(Wait);
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, read.Token);
            if (n == 0) break; // the server closed the connection
            response.Write(buffer, 0, n);
        }
        Assert.StartsWith("HTTP/1.1 408 ", Encoding.ASCII.GetString(response.ToArray()));
        Assert.Equal(0, handled);
        stop.Cancel();
        await server.WaitAsync(Wait);
    }
}
