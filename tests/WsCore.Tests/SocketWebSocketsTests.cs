using System.Net;
using WsCore.Compression;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>The socket helpers end to end on loopback: accept loop, connect, handshake, compression, echo, close.</summary>
public class SocketWebSocketsTests
{
    private static async Task EchoAsync(WebSocketConnection connection)
    {
        byte[] buffer = new byte[8192];
        while (true)
        {
            ConnectionReceiveResult r = await connection.ReceiveAsync(buffer);
            if (r.Kind != ConnectionReceiveKind.MessageData) return;
            await connection.SendAsync(buffer.AsMemory(0, r.Count), r.MessageKind, r.EndOfMessage);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Client_and_server_echo_over_loopback(bool compression)
    {
        var deflate = compression ? new PerMessageDeflateOptions { Enabled = true } : PerMessageDeflateOptions.Disabled;
        var connectionOptions = new WebSocketConnectionOptions { Protocol = new WebSocketProtocolOptions { PerMessageDeflate = deflate } };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listening = new TaskCompletionSource<IPEndPoint>();
        Task server = SocketWebSockets.RunServerAsync(new IPEndPoint(IPAddress.Loopback, 0), (c, _) => EchoAsync(c),
            new WebSocketServerOptions { Connection = connectionOptions }, listening.SetResult, stop.Token);
        IPEndPoint endpoint = await listening.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri($"ws://127.0.0.1:{endpoint.Port}/echo"),
            new WebSocketClientOptions { Connection = connectionOptions });
        Assert.Null(client.Failure);
        WebSocketConnection connection = client.Connection!;
        Assert.Equal(compression, connection.IsCompressionEnabled);

        byte[] message = new byte[100_000];
        for (int i = 0; i < message.Length; i++) message[i] = (byte)('a' + i % 26);
        Assert.Equal(SendStatus.Done, await connection.SendAsync(message, MessageKind.Text));
        var echoed = new MemoryStream();
        byte[] buffer = new byte[4096];
        while (true)
        {
            ConnectionReceiveResult r = await connection.ReceiveAsync(buffer, stop.Token);
            Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
            echoed.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) break;
        }
        Assert.Equal(message, echoed.ToArray());

        await connection.CloseAsync(Closing.CloseCodes.NormalClosure, cancellationToken: stop.Token);
        Assert.Equal(CloseHandshakeState.Closed, connection.State);
        Assert.Equal(Closing.CloseCodes.NormalClosure, connection.PeerCloseCode);
        stop.Cancel();
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Connecting_to_nothing_reports_a_failure_instead_of_throwing()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"));
        Assert.Null(client.Connection);
        Assert.NotNull(client.Failure);
    }
}
