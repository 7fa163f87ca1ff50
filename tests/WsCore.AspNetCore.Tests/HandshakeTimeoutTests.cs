using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using WsCore.Pipelines;

namespace WsCore.AspNetCore.Tests;

/// <summary>
/// Under ASP.NET Core the opening handshake is Kestrel's HTTP request: <c>KestrelServerLimits.RequestHeadersTimeout</c>
/// (default 30 s) bounds how long a client may take to send it, and WsCore's own handshake timeout does not apply (the
/// request is complete before WsCore sees it). A slowloris client is cut off by Kestrel without reaching the handler.
/// Real time (Kestrel's heartbeat checks its timeouts once a second): the limit is set to 2 s.
/// </summary>
public class HandshakeTimeoutTests
{
    [Fact]
    public async Task A_slowloris_upgrade_request_is_cut_off_by_RequestHeadersTimeout_before_the_handler()
    {
        int handled = 0;
        await using KestrelServer server = await KestrelServer.StartAsync(
            app => app.MapWsCore("/ws", (WebSocketConnection _, Microsoft.AspNetCore.Http.HttpContext _) => { Interlocked.Increment(ref handled); return Task.CompletedTask; }),
            limits => limits.RequestHeadersTimeout = TimeSpan.FromSeconds(2));

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Http1Port));
        byte[] head = Encoding.ASCII.GetBytes("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        var response = new MemoryStream();
        byte[] buffer = new byte[1024];
        bool closed = false;
        // One byte every 100 ms, for at most 20 s (ten times the limit): the server must end it long before.
        for (int i = 0; i < head.Length && !closed; i++)
        {
            try
            {
                await socket.SendAsync(head.AsMemory(i, 1));
            }
            catch (SocketException)
            {
                closed = true;
                break;
            }
            while (socket.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead))
            {
                int n;
                try { n = await socket.ReceiveAsync(buffer); } catch (SocketException) { n = 0; }
                if (n == 0)
                {
                    closed = true;
                    break;
                }
                response.Write(buffer, 0, n);
            }
        }
        Assert.True(closed, "Kestrel kept the slowloris connection open for the whole request");
        string text = Encoding.ASCII.GetString(response.ToArray());
        Assert.True(text.Length == 0 || text.StartsWith("HTTP/1.1 408 ", StringComparison.Ordinal), text);
        Assert.Equal(0, handled);
    }
}
