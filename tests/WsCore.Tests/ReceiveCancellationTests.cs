using WsCore.Framing;
using System.IO.Pipelines;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// Cancelling a pending <see cref="WebSocketConnection.ReceiveAsync"/> through its token leaves the connection usable,
/// even when a frame is half received; <see cref="WebSocketConnection.Abort"/> ends a pending receive (see also
/// <c>LivenessWithoutReceiveTests</c> and <c>WebSocketConnectionTests.Abort_ends_a_pending_receive</c>).
/// </summary>
public class ReceiveCancellationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static (WebSocketConnection server, Pipe toServer) Create()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server), toServer);
    }

    [Fact]
    public async Task A_receive_cancelled_in_the_middle_of_a_frame_resumes_where_it_stopped()
    {
        var (server, toServer) = Create();
        await using var owner = server;
        byte[] frame = Wire.Client(0x1, "hello, world"u8); // 2 header bytes, 4 mask bytes, 12 payload bytes
        byte[] buffer = new byte[64];
        // The header's first byte, then cancel; then the rest of the header and the mask key, then cancel again.
        foreach ((int from, int to) in new[] { (0, 1), (1, 6) })
        {
            await toServer.Writer.WriteAsync(frame.AsMemory(from, to - from));
            using var cts = new CancellationTokenSource();
            Task<ConnectionReceiveResult> receive = server.ReceiveAsync(buffer, cts.Token).AsTask();
            await Task.Yield();
            Assert.False(receive.IsCompleted, $"a receive completed with {to} bytes of the frame");
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive.WaitAsync(Wait));
            Assert.False(server.IsAborted);
        }
        await toServer.Writer.WriteAsync(frame.AsMemory(6));
        ConnectionReceiveResult r = await server.ReceiveAsync(buffer).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
        Assert.True(r.EndOfMessage);
        Assert.Equal("hello, world", System.Text.Encoding.UTF8.GetString(buffer, 0, r.Count));
    }

    [Fact]
    public async Task Many_cancelled_receives_leave_the_connection_working_and_Abort_still_ends_the_last()
    {
        var (server, toServer) = Create();
        await using var owner = server;
        byte[] buffer = new byte[16];
        for (int i = 0; i < 100; i++)
        {
            using var cts = new CancellationTokenSource();
            Task<ConnectionReceiveResult> cancelled = server.ReceiveAsync(buffer, cts.Token).AsTask();
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Wait));
            if (i % 10 == 0)
            {
                await toServer.Writer.WriteAsync(Wire.Client(0x2, new byte[] { (byte)i }));
                ConnectionReceiveResult r = await server.ReceiveAsync(buffer).AsTask().WaitAsync(Wait);
                Assert.Equal(1, r.Count);
                Assert.Equal((byte)i, buffer[0]);
            }
        }
        Assert.False(server.IsAborted);
        Task<ConnectionReceiveResult> pending = server.ReceiveAsync(buffer).AsTask();
        await Task.Yield();
        Assert.False(pending.IsCompleted);
        server.Abort();
        Assert.Equal(ConnectionReceiveKind.Aborted, (await pending.WaitAsync(Wait)).Kind);
        Assert.Equal(ConnectionReceiveKind.Aborted, (await server.ReceiveAsync(buffer).AsTask().WaitAsync(Wait)).Kind); // and every later one
    }
}
