using WsCore.Framing;
using System.IO.Pipelines;
using WsCore.Pipelines;
using WsCore.Protocol;
using Xunit.Abstractions;

namespace WsCore.Tests;

/// <summary>
/// The steady-state send/receive loop of WebSocketConnection allocates nothing per message after warm-up (both roles:
/// the client masks, the server unmasks, and back). Other threads allocate too, so the test compares N and 2N messages.
/// </summary>
[Collection("Allocation")]
public class WebSocketConnectionAllocationTests(ITestOutputHelper output)
{

    private static (WebSocketConnection server, WebSocketConnection client) CreatePair(PipeScheduler scheduler, WebSocketConnectionOptions? connectionOptions = null)
    {
        var options = new PipeOptions(readerScheduler: scheduler, writerScheduler: scheduler, useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, connectionOptions);
        var client = new WebSocketConnection(new DuplexPipe(toClient.Reader, toServer.Writer), WebSocketRole.Client, connectionOptions);
        return (server, client);
    }

    private static async Task EchoAsync(WebSocketConnection server, WebSocketConnection client, byte[] message, byte[] buffer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await client.SendAsync(message, MessageKind.Binary).ConfigureAwait(false);
            ConnectionReceiveResult s = await server.ReceiveAsync(buffer).ConfigureAwait(false);
            if (s.Count != message.Length || !s.EndOfMessage) throw new InvalidOperationException("bad receive on the server");
            await server.SendAsync(buffer.AsMemory(0, s.Count), MessageKind.Binary).ConfigureAwait(false);
            ConnectionReceiveResult c = await client.ReceiveAsync(buffer).ConfigureAwait(false);
            if (c.Count != message.Length || !c.EndOfMessage) throw new InvalidOperationException("bad receive on the client");
        }
    }

    [Theory]
    [InlineData("default")]
    [InlineData("keep-alive")]
    [InlineData("fail-send")]
    [InlineData("idle-timeout")]
    public async Task Sequential_echo_allocates_nothing_per_message(string configuration)
    {
        WebSocketConnectionOptions options = configuration switch
        {
            "keep-alive" => new WebSocketConnectionOptions { KeepAliveInterval = TimeSpan.FromHours(1), KeepAliveTimeout = TimeSpan.FromMinutes(1) },
            "fail-send" => new WebSocketConnectionOptions { BackpressurePolicy = BackpressurePolicy.FailSend },
            "idle-timeout" => new WebSocketConnectionOptions { IdleTimeout = TimeSpan.FromHours(1), MaxLifetime = TimeSpan.FromDays(1) },
            _ => WebSocketConnectionOptions.Default,
        };
        var (server, client) = CreatePair(PipeScheduler.ThreadPool, options);
        byte[] message = new byte[128];
        new Random(1).NextBytes(message);
        byte[] buffer = new byte[4096];
        double perMessage = await Allocations.PerMessageAsync(n => EchoAsync(server, client, message, buffer, n), 1000, output.WriteLine);
        Assert.True(perMessage < 1, $"{perMessage:F3} bytes per message");
    }

    [Fact]
    public async Task Concurrent_receive_loop_allocates_nothing_per_message()
    {
        // The receives wait for data that has not arrived yet, so every await completes asynchronously.
        var (server, client) = CreatePair(PipeScheduler.Inline);
        byte[] message = new byte[128];
        byte[] clientBuffer = new byte[4096];
        byte[] serverBuffer = new byte[4096];

        async Task Run(int n)
        {
            Task serverLoop = Task.Run(async () =>
            {
                for (int i = 0; i < n; i++)
                {
                    ConnectionReceiveResult s = await server.ReceiveAsync(serverBuffer).ConfigureAwait(false);
                    await server.SendAsync(serverBuffer.AsMemory(0, s.Count), MessageKind.Binary).ConfigureAwait(false);
                }
            });
            for (int i = 0; i < n; i++)
            {
                await client.SendAsync(message, MessageKind.Binary).ConfigureAwait(false);
                await client.ReceiveAsync(clientBuffer).ConfigureAwait(false);
            }
            await serverLoop.ConfigureAwait(false);
        }

        double perMessage = await Allocations.PerMessageAsync(Run, 1000, output.WriteLine);
        Assert.True(perMessage < 1, $"{perMessage:F3} bytes per message");
    }
}

/// <summary>The System.Net.WebSockets adapter over the same loop: 0 bytes per message after warm-up with the Memory overloads.</summary>
[Collection("Allocation")]
public class WsCoreWebSocketAllocationTests(ITestOutputHelper output)
{

    [Fact]
    public async Task Memory_overloads_allocate_nothing_per_message()
    {
        var options = new PipeOptions(useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        using var server = new WsCore.Interop.WsCoreWebSocket(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server);
        using var client = new WsCore.Interop.WsCoreWebSocket(new DuplexPipe(toClient.Reader, toServer.Writer), WebSocketRole.Client);
        byte[] message = new byte[128];
        byte[] buffer = new byte[4096];

        async Task Loop(int n)
        {
            for (int i = 0; i < n; i++)
            {
                await client.SendAsync(message.AsMemory(), System.Net.WebSockets.WebSocketMessageType.Binary, true, default).ConfigureAwait(false);
                System.Net.WebSockets.ValueWebSocketReceiveResult s = await server.ReceiveAsync(buffer.AsMemory(), default).ConfigureAwait(false);
                await server.SendAsync(buffer.AsMemory(0, s.Count), System.Net.WebSockets.WebSocketMessageType.Binary, true, default).ConfigureAwait(false);
                await client.ReceiveAsync(buffer.AsMemory(), default).ConfigureAwait(false);
            }
        }

        double perMessage = await Allocations.PerMessageAsync(Loop, 1000, output.WriteLine);
        Assert.True(perMessage < 1, $"{perMessage:F3} bytes per message");
    }
}

/// <summary>
/// Tests that measure allocation across the whole process (GC.GetTotalAllocatedBytes) run alone: other test classes
/// running in parallel would allocate inside their measurement window.
/// </summary>
[CollectionDefinition("Allocation", DisableParallelization = true)]
public sealed class AllocationCollection
{
}
