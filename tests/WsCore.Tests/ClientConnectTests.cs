using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using WsCore.Interop;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// The client connect path's edges: what it refuses before any I/O, the connect timeout, the caller's cancellation,
/// keep-alive over wss://, IPv6 literals.
/// </summary>
public class ClientConnectTests
{
    [Theory]
    [InlineData("http://localhost/")]
    [InlineData("https://localhost/")]
    [InlineData("ftp://localhost/")]
    public async Task A_uri_that_is_not_ws_or_wss_is_refused(string uri)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => SocketWebSockets.ConnectAsync(new Uri(uri)));
        await Assert.ThrowsAsync<ArgumentException>(() => WsCoreWebSocket.ConnectAsync(new Uri(uri)));
    }

    [Fact]
    public async Task A_relative_uri_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => SocketWebSockets.ConnectAsync(new Uri("/chat", UriKind.Relative)));
    }

    /// <summary>A listener whose connections are accepted by the kernel (backlog) and never read or answered.</summary>
    private static Socket SilentListener()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(8);
        return socket;
    }

    private static int PortOf(Socket listener) => ((IPEndPoint)listener.LocalEndPoint!).Port;

    [Theory]
    [InlineData("ws", "the opening handshake")]
    [InlineData("wss", "the TLS handshake")]
    public async Task A_server_that_never_answers_is_a_timeout_naming_the_step(string scheme, string step)
    {
        using Socket silent = SilentListener();
        var options = new WebSocketClientOptions { ConnectTimeout = TimeSpan.FromSeconds(1) };
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri($"{scheme}://127.0.0.1:{PortOf(silent)}/"), options);
        Assert.Equal(WebSocketConnectFailure.Timeout, client.Error!.Failure);
        Assert.Contains(step, client.Error.Message);

        WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(() => WsCoreWebSocket.ConnectAsync(new Uri($"{scheme}://127.0.0.1:{PortOf(silent)}/"), options));
        Assert.Equal(WebSocketError.Faulted, e.WebSocketErrorCode);
        Assert.Equal(WebSocketConnectFailure.Timeout, Assert.IsType<WebSocketConnectException>(e.InnerException).Failure);
    }

    [Fact]
    public async Task The_callers_cancellation_throws_instead_of_reporting_a_failure()
    {
        using Socket silent = SilentListener();
        var uri = new Uri($"wss://127.0.0.1:{PortOf(silent)}/");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SocketWebSockets.ConnectAsync(uri, cancellationToken: cancel.Token));
        using var cancel2 = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WsCoreWebSocket.ConnectAsync(uri, cancellationToken: cancel2.Token));
    }

    [Fact]
    public async Task Keep_alive_pings_run_over_wss_and_measure_the_round_trip()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true);
        var options = new WebSocketClientOptions
        {
            RemoteCertificateValidationCallback = TestCertificates.AcceptLocalhost,
            Connection = new WebSocketConnectionOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(50), KeepAliveTimeout = TimeSpan.FromSeconds(20) },
        };
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), options);
        WebSocketConnection connection = client.Connection!;
        // Nobody receives: the keep-alive's own liveness read takes the pongs.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (connection.RoundTripTime is null) await Task.Delay(20, timeout.Token);
        Assert.False(connection.IsAborted);
        Assert.Equal(SendStatus.Done, await connection.SendAsync("after pings"u8.ToArray(), MessageKind.Text));
        Assert.Equal("after pings", System.Text.Encoding.UTF8.GetString(await TlsTests.ReceiveMessageAsync(connection, MessageKind.Text)));
    }

    [Fact]
    public async Task An_ipv6_literal_is_connected_to_and_named_in_brackets()
    {
        if (!Socket.OSSupportsIPv6) return;
        using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        }
        catch (SocketException)
        {
            return; // no ::1 on this machine
        }
        listener.Listen(1);
        Task<WebSocketClientConnection> connecting = SocketWebSockets.ConnectAsync(new Uri($"ws://[::1]:{PortOf(listener)}/v6"), new WebSocketClientOptions { ConnectTimeout = TimeSpan.FromSeconds(20) });
        using Socket accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var pipe = new SocketDuplexPipe(accepted);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        ServerHandshakeResult handshake = await PipeHandshake.AcceptAsync(pipe, cancellationToken: cts.Token);
        Assert.True(handshake.IsAccepted);
        Assert.Equal($"[::1]:{PortOf(listener)}", handshake.Request!.Host);
        await using WebSocketClientConnection client = await connecting.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Null(client.Error);
        await pipe.DisposeAsync();
    }

}
