using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace WsCore.AspNetCore.Tests;

/// <summary>
/// The end of a connection under ASP.NET Core: a client that vanishes (abort; over HTTP/2 the stream is reset) ends the
/// handler's receive, a silent one is caught by the keep-alive, the server keeps serving, and no task fails unobserved.
/// </summary>
public class ConnectionLifetimeTests(TestApp app) : IClassFixture<TestApp>
{
    private KestrelServer Server => app.Server;

    private async Task<string> ProbeEndedAsync()
    {
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        return await app.ProbeEnded.Reader.ReadAsync(cts.Token);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientAbort_EndsTheHandler_AndTheServerGoesOn(bool http2)
    {
        var unobserved = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> record = (_, e) => { lock (unobserved) unobserved.Add(e.Exception); };
        TaskScheduler.UnobservedTaskException += record;
        try
        {
            using (ClientWebSocket client = await Server.ConnectAsync("/probe", http2))
            {
                Assert.Equal([1], await client.EchoAsync([1], WebSocketMessageType.Binary));
                client.Abort();
            }
            Assert.StartsWith("aborted=True", await ProbeEndedAsync(), StringComparison.Ordinal);

            using ClientWebSocket next = await Server.ConnectAsync("/probe", http2);
            Assert.Equal([2], await next.EchoAsync([2], WebSocketMessageType.Binary));
            await next.CloseNormallyAsync();
            Assert.Equal("aborted=False, state=Closed", await ProbeEndedAsync());

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            lock (unobserved) Assert.Empty(unobserved);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= record;
        }
    }

    [Fact]
    public async Task SilentPeer_IsAbortedByTheKeepAlive()
    {
        // A raw HTTP/1.1 client that upgrades and then never answers a ping.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Server.Http1Port), cts.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "GET /probe HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"), cts.Token);
        Assert.StartsWith("aborted=True", await ProbeEndedAsync(), StringComparison.Ordinal);
    }
}
