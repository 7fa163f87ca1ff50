using WsCore.Framing;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WsCore.Closing;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// WsCore against peers it did not write, over loopback TCP (ports from the OS): the runtime's <see cref="ClientWebSocket"/>
/// against a WsCore server (<see cref="SocketDuplexPipe"/> + <see cref="PipeHandshake"/> + <see cref="WebSocketConnection"/>),
/// and the WsCore client against an ASP.NET Core WebSockets server on Kestrel. Every scenario runs with and without
/// permessage-deflate (RFC 7692) and is bounded in time.
/// </summary>
public class InteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const int Big = 16 * 1024 * 1024;

    private static readonly PerMessageDeflateOptions s_deflate = new() { Enabled = true };

    private static WebSocketConnectionOptions Options(TimeSpan? keepAlive = null, TimeSpan? keepAliveTimeout = null) => new()
    {
        Protocol = new WebSocketProtocolOptions
        {
            MaxFramePayloadLength = 64 * 1024 * 1024,
            MaxMessageLength = 64 * 1024 * 1024,
            PerMessageDeflate = s_deflate,
        },
        KeepAliveInterval = keepAlive ?? TimeSpan.Zero,
        KeepAliveTimeout = keepAliveTimeout ?? System.Threading.Timeout.InfiniteTimeSpan,
        CloseTimeout = TimeSpan.FromSeconds(5),
    };

    private static byte[] Random(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Text that compresses (so permessage-deflate really deflates) and is valid UTF-8.</summary>
    private static byte[] Text(int repeat) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("héllo wörld, ", repeat)));

    // ================================================================ WsCore server, ClientWebSocket client

    /// <summary>A WsCore server for one connection on 127.0.0.1, port 0.</summary>
    private sealed class WsCoreServer : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly bool _compression;
        private readonly WebSocketConnectionOptions _options;
        private readonly TaskCompletionSource<WebSocketConnection> _connection = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private SocketDuplexPipe? _pipe;

        public WsCoreServer(bool compression, WebSocketConnectionOptions? options = null)
        {
            _compression = compression;
            _options = options ?? Options();
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(4);
            _ = AcceptAsync();
        }

        public Uri Uri => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}/");
        public PerMessageDeflateParameters? Deflate { get; private set; }

        public Task<WebSocketConnection> Connection => _connection.Task.WaitAsync(Timeout);

        private async Task AcceptAsync()
        {
            try
            {
                Socket socket = await _listener.AcceptAsync();
                _pipe = new SocketDuplexPipe(socket);
                using var cts = new CancellationTokenSource(Timeout);
                ServerHandshakeResult handshake = await PipeHandshake.AcceptAsync(_pipe,
                    perMessageDeflate: _compression ? s_deflate : null, cancellationToken: cts.Token);
                if (!handshake.IsAccepted) throw new InvalidOperationException($"handshake refused: {handshake.Error}");
                Deflate = handshake.PerMessageDeflate;
                _connection.SetResult(new WebSocketConnection(_pipe, WebSocketRole.Server, _options, Deflate));
            }
            catch (Exception e)
            {
                _connection.TrySetException(e);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            if (_connection.Task.IsCompletedSuccessfully) await _connection.Task.Result.DisposeAsync();
            if (_pipe is not null) await _pipe.DisposeAsync();
        }
    }

    private static async Task<ClientWebSocket> ConnectClientWebSocketAsync(WsCoreServer server, bool compression, TimeSpan? keepAlive = null, TimeSpan? keepAliveTimeout = null)
    {
        var client = new ClientWebSocket();
        if (compression) client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        client.Options.KeepAliveInterval = keepAlive ?? TimeSpan.Zero;
        if (keepAliveTimeout is TimeSpan t) client.Options.KeepAliveTimeout = t;
        client.Options.CollectHttpResponseDetails = true;
        using var cts = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(server.Uri, cts.Token);
        return client;
    }

    private static async Task<(WebSocketMessageType type, byte[] data)> ReceiveMessageAsync(WebSocket ws)
    {
        byte[] buffer = new byte[64 * 1024];
        var all = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).AsTask().WaitAsync(Timeout);
            all.Write(buffer, 0, r.Count);
            if (r.MessageType == WebSocketMessageType.Close || r.EndOfMessage) return (r.MessageType, all.ToArray());
        }
    }

    private static async Task<(MessageKind type, byte[] data)> ReceiveMessageAsync(WebSocketConnection c)
    {
        byte[] buffer = new byte[64 * 1024];
        var all = new MemoryStream();
        while (true)
        {
            ConnectionReceiveResult r = await c.ReceiveAsync(buffer).AsTask().WaitAsync(Timeout);
            Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
            all.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageKind, all.ToArray());
        }
    }

    /// <summary>Echoes messages fragment by fragment until the connection closes; returns the last receive.</summary>
    private static async Task<ConnectionReceiveResult> EchoAsync(WebSocketConnection c)
    {
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            ConnectionReceiveResult r = await c.ReceiveAsync(buffer);
            if (r.Kind != ConnectionReceiveKind.MessageData) return r;
            if (r.Count == 0 && !r.EndOfMessage) continue;
            Assert.Equal(SendStatus.Done, await c.SendAsync(buffer.AsMemory(0, r.Count), r.MessageKind, r.EndOfMessage));
        }
    }

    private static void AssertNegotiated(ClientWebSocket client, WsCoreServer server, bool compression)
    {
        string? extensions = client.HttpResponseHeaders?.TryGetValue("Sec-WebSocket-Extensions", out IEnumerable<string>? v) == true ? string.Join(",", v) : null;
        if (compression)
        {
            Assert.NotNull(server.Deflate);
            Assert.Contains("permessage-deflate", extensions);
        }
        else
        {
            Assert.Null(server.Deflate);
            Assert.Null(extensions);
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task ClientWebSocket_to_WsCore_text_binary_fragmented_and_16_MiB_echo(bool compression)
    {
        await using var server = new WsCoreServer(compression);
        using ClientWebSocket client = await ConnectClientWebSocketAsync(server, compression);
        WebSocketConnection connection = await server.Connection;
        AssertNegotiated(client, server, compression);
        Task<ConnectionReceiveResult> echo = EchoAsync(connection);

        byte[] text = Text(100);
        await client.SendAsync(text, WebSocketMessageType.Text, true, default).WaitAsync(Timeout);
        var (t1, d1) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Text, t1);
        Assert.Equal(text, d1);

        byte[] binary = Random(1000, 1);
        await client.SendAsync(binary, WebSocketMessageType.Binary, true, default).WaitAsync(Timeout);
        var (t2, d2) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, t2);
        Assert.Equal(binary, d2);

        // Fragmented (§5.4): three frames, the text split inside a multi-byte character.
        byte[] fragmented = Text(10);
        await client.SendAsync(fragmented.AsMemory(0, 2), WebSocketMessageType.Text, false, default).AsTask().WaitAsync(Timeout);
        await client.SendAsync(fragmented.AsMemory(2, 50), WebSocketMessageType.Text, false, default).AsTask().WaitAsync(Timeout);
        await client.SendAsync(fragmented.AsMemory(52), WebSocketMessageType.Text, true, default).AsTask().WaitAsync(Timeout);
        var (t3, d3) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Text, t3);
        Assert.Equal(fragmented, d3);

        byte[] big = Random(Big, 2);
        Task send = client.SendAsync(big, WebSocketMessageType.Binary, true, default);
        var (t4, d4) = await ReceiveMessageAsync(client);
        await send.WaitAsync(Timeout);
        Assert.Equal(WebSocketMessageType.Binary, t4);
        Assert.True(big.AsSpan().SequenceEqual(d4));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default).WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.Close, (await echo.WaitAsync(Timeout)).Kind);
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task ClientWebSocket_keep_alive_pings_are_answered_by_WsCore(bool compression)
    {
        await using var server = new WsCoreServer(compression);
        // The client pings every 100 ms and gives up after 1 s without a pong (.NET 9+ ping/pong keep-alive).
        using ClientWebSocket client = await ConnectClientWebSocketAsync(server, compression, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        WebSocketConnection connection = await server.Connection;
        Task<ConnectionReceiveResult> echo = EchoAsync(connection);
        Task<(WebSocketMessageType, byte[])> pending = ReceiveMessageAsync(client);
        await Task.Delay(1500);
        Assert.Equal(WebSocketState.Open, client.State);
        await client.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, true, default).WaitAsync(Timeout);
        Assert.Equal("still here", Encoding.UTF8.GetString((await pending).Item2));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default).WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.Close, (await echo.WaitAsync(Timeout)).Kind);
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task WsCore_keep_alive_pings_are_answered_by_ClientWebSocket(bool compression)
    {
        await using var server = new WsCoreServer(compression, Options(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)));
        using ClientWebSocket client = await ConnectClientWebSocketAsync(server, compression);
        WebSocketConnection connection = await server.Connection;
        Task<ConnectionReceiveResult> echo = EchoAsync(connection);
        Task<(WebSocketMessageType, byte[])> pending = ReceiveMessageAsync(client); // the client answers pings while receiving
        await Task.Delay(1500);
        Assert.Equal(KeepAliveAction.None, connection.TimedOut);
        Assert.False(connection.IsAborted);
        await client.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, true, default).WaitAsync(Timeout);
        Assert.Equal("still here", Encoding.UTF8.GetString((await pending).Item2));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default).WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.Close, (await echo.WaitAsync(Timeout)).Kind);
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task ClientWebSocket_initiated_close_with_reason(bool compression)
    {
        await using var server = new WsCoreServer(compression);
        using ClientWebSocket client = await ConnectClientWebSocketAsync(server, compression);
        WebSocketConnection connection = await server.Connection;
        Task<ConnectionReceiveResult> receive = connection.ReceiveAsync(new byte[16]).AsTask();
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", default).WaitAsync(Timeout);
        ConnectionReceiveResult r = await receive.WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
        Assert.Equal(CloseCodes.NormalClosure, r.CloseCode);
        Assert.Equal(CloseHandshakeState.Closed, connection.State); // answered automatically
        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus); // the echoed code
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task WsCore_server_initiated_close_with_reason(bool compression)
    {
        await using var server = new WsCoreServer(compression);
        using ClientWebSocket client = await ConnectClientWebSocketAsync(server, compression);
        WebSocketConnection connection = await server.Connection;
        Task<SendStatus> close = connection.CloseAsync(4001, "going"u8.ToArray()).AsTask();
        var (type, _) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal((WebSocketCloseStatus)4001, client.CloseStatus);
        Assert.Equal("going", client.CloseStatusDescription);
        Assert.Equal(WebSocketState.CloseReceived, client.State);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default).WaitAsync(Timeout);
        Assert.Equal(SendStatus.Done, await close.WaitAsync(Timeout));
        Assert.Equal(CloseHandshakeState.Closed, connection.State);
        Assert.Equal(CloseCodes.NormalClosure, connection.PeerCloseCode);
        Assert.False(connection.IsAborted);
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task WsCore_server_empty_close_and_ClientWebSocket_empty_close(bool compression)
    {
        await using var server = new WsCoreServer(compression);
        using ClientWebSocket client = await ConnectClientWebSocketAsync(server, compression);
        WebSocketConnection connection = await server.Connection;
        Task<SendStatus> close = connection.CloseAsync().AsTask();
        var (type, _) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal("", client.CloseStatusDescription);
        await client.CloseOutputAsync(WebSocketCloseStatus.Empty, null, default).WaitAsync(Timeout);
        Assert.Equal(SendStatus.Done, await close.WaitAsync(Timeout));
        Assert.Equal(CloseHandshakeState.Closed, connection.State);
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task ClientWebSocket_abort_ends_the_WsCore_receive_as_aborted(bool compression)
    {
        await using var server = new WsCoreServer(compression);
        using ClientWebSocket client = await ConnectClientWebSocketAsync(server, compression);
        WebSocketConnection connection = await server.Connection;
        Task<ConnectionReceiveResult> receive = connection.ReceiveAsync(new byte[16]).AsTask();
        client.Abort();
        ConnectionReceiveResult r = await receive.WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.Aborted, r.Kind);
        Assert.Equal(CloseCodes.AbnormalClosure, r.CloseCode);
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task WsCore_abort_fails_the_ClientWebSocket_receive(bool compression)
    {
        await using var server = new WsCoreServer(compression);
        using ClientWebSocket client = await ConnectClientWebSocketAsync(server, compression);
        WebSocketConnection connection = await server.Connection;
        Task<(WebSocketMessageType, byte[])> receive = ReceiveMessageAsync(client);
        connection.Abort();
        WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(() => receive);
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, e.WebSocketErrorCode);
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task ClientWebSocket_invalid_utf8_text_is_a_protocol_error_1007(bool compression)
    {
        await using var server = new WsCoreServer(compression);
        using ClientWebSocket client = await ConnectClientWebSocketAsync(server, compression);
        WebSocketConnection connection = await server.Connection;
        Task<ConnectionReceiveResult> receive = connection.ReceiveAsync(new byte[64]).AsTask();
        // The runtime does not check outgoing text: an overlong encoding goes out as a text message.
        await client.SendAsync(new byte[] { 0x61, 0xC0, 0x80 }, WebSocketMessageType.Text, true, default).WaitAsync(Timeout);
        ConnectionReceiveResult r = await receive.WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.ProtocolError, r.Kind);
        Assert.Equal(CloseCodes.InvalidPayloadData, r.CloseCode);
        var (type, _) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, client.CloseStatus);
    }

    // ================================================================ ASP.NET Core server, WsCore client

    /// <summary>An ASP.NET Core WebSockets server (Kestrel on 127.0.0.1, port 0) running <paramref name="handler"/> per connection.</summary>
    private sealed class AspNetServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly TaskCompletionSource _handled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public AspNetServer(bool compression, Func<WebSocket, Task> handler, TimeSpan? keepAlive = null, TimeSpan? keepAliveTimeout = null)
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            _app = builder.Build();
            var options = new Microsoft.AspNetCore.Builder.WebSocketOptions { KeepAliveInterval = keepAlive ?? TimeSpan.Zero };
            if (keepAliveTimeout is TimeSpan t) options.KeepAliveTimeout = t;
            _app.UseWebSockets(options);
            _app.Run(async context =>
            {
                try
                {
                    if (!context.WebSockets.IsWebSocketRequest)
                    {
                        context.Response.StatusCode = 400;
                        return;
                    }
                    using WebSocket ws = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = compression });
                    await handler(ws);
                    _handled.TrySetResult();
                }
                catch (Exception e)
                {
                    _handled.TrySetException(e);
                }
            });
        }

        /// <summary>Completes when the handler returned (faults with its exception).</summary>
        public Task Handled => _handled.Task.WaitAsync(Timeout);

        public async Task<Uri> StartAsync()
        {
            await _app.StartAsync().WaitAsync(Timeout);
            string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var uri = new Uri(address);
            return new Uri($"ws://127.0.0.1:{uri.Port}/");
        }

        public async ValueTask DisposeAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _app.StopAsync(cts.Token); } catch (OperationCanceledException) { }
            await _app.DisposeAsync();
        }
    }

    /// <summary>A WsCore client connection (socket, handshake, optional permessage-deflate offer).</summary>
    private sealed class WsCoreClient : IAsyncDisposable
    {
        private SocketDuplexPipe? _pipe;
        public WebSocketConnection Connection { get; private set; } = null!;
        public string? Extensions { get; private set; }

        public static async Task<WsCoreClient> ConnectAsync(Uri uri, bool compression, WebSocketConnectionOptions? options = null)
        {
            var client = new WsCoreClient();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var cts = new CancellationTokenSource(Timeout);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, uri.Port), cts.Token);
            client._pipe = new SocketDuplexPipe(socket);
            var request = new ClientUpgradeRequest
            {
                Host = uri.Authority,
                Target = uri.PathAndQuery,
                PerMessageDeflate = compression ? s_deflate : null,
            };
            ClientHandshakeResult handshake = await PipeHandshake.ConnectAsync(client._pipe, request, cancellationToken: cts.Token);
            Assert.True(handshake.IsAccepted, $"handshake: {handshake.Error} (HTTP {handshake.StatusCode})");
            client.Extensions = handshake.Response!.Extensions;
            Assert.Equal(compression, handshake.PerMessageDeflate is not null);
            if (!compression) Assert.Null(client.Extensions);
            client.Connection = new WebSocketConnection(client._pipe, WebSocketRole.Client, options ?? Options(), handshake.PerMessageDeflate);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            if (_pipe is not null) await _pipe.DisposeAsync();
        }
    }

    /// <summary>The ASP.NET Core echo: every message back, fragment by fragment, until the peer closes; then the close is answered.</summary>
    private static async Task AspNetEchoAsync(WebSocket ws)
    {
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            ValueWebSocketReceiveResult r = await ws.ReceiveAsync(buffer.AsMemory(), default);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(ws.CloseStatus ?? WebSocketCloseStatus.Empty, ws.CloseStatusDescription, default);
                return;
            }
            await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, default);
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task WsCore_to_AspNetCore_text_binary_fragmented_and_16_MiB_echo(bool compression)
    {
        await using var server = new AspNetServer(compression, AspNetEchoAsync);
        await using WsCoreClient client = await WsCoreClient.ConnectAsync(await server.StartAsync(), compression);
        WebSocketConnection c = client.Connection;
        if (compression) Assert.Contains("permessage-deflate", client.Extensions);

        byte[] text = Text(100);
        Assert.Equal(SendStatus.Done, await c.SendAsync(text, MessageKind.Text).AsTask().WaitAsync(Timeout));
        var (t1, d1) = await ReceiveMessageAsync(c);
        Assert.Equal(MessageKind.Text, t1);
        Assert.Equal(text, d1);

        byte[] binary = Random(1000, 1);
        Assert.Equal(SendStatus.Done, await c.SendAsync(binary, MessageKind.Binary).AsTask().WaitAsync(Timeout));
        var (t2, d2) = await ReceiveMessageAsync(c);
        Assert.Equal(MessageKind.Binary, t2);
        Assert.Equal(binary, d2);

        byte[] fragmented = Text(10);
        Assert.Equal(SendStatus.Done, await c.SendAsync(fragmented.AsMemory(0, 2), MessageKind.Text, endOfMessage: false).AsTask().WaitAsync(Timeout));
        Assert.Equal(SendStatus.Done, await c.SendAsync(fragmented.AsMemory(2, 50), MessageKind.Text, endOfMessage: false).AsTask().WaitAsync(Timeout));
        Assert.Equal(SendStatus.Done, await c.SendAsync(fragmented.AsMemory(52), MessageKind.Text, endOfMessage: true).AsTask().WaitAsync(Timeout));
        var (t3, d3) = await ReceiveMessageAsync(c);
        Assert.Equal(MessageKind.Text, t3);
        Assert.Equal(fragmented, d3);

        byte[] big = Random(Big, 2);
        Task<SendStatus> send = c.SendAsync(big, MessageKind.Binary).AsTask();
        var (t4, d4) = await ReceiveMessageAsync(c);
        Assert.Equal(SendStatus.Done, await send.WaitAsync(Timeout));
        Assert.Equal(MessageKind.Binary, t4);
        Assert.True(big.AsSpan().SequenceEqual(d4));

        Assert.Equal(SendStatus.Done, await c.CloseAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Timeout));
        Assert.Equal(CloseHandshakeState.Closed, c.State);
        await server.Handled;
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task AspNetCore_keep_alive_pings_are_answered_by_WsCore(bool compression)
    {
        await using var server = new AspNetServer(compression, AspNetEchoAsync, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        await using WsCoreClient client = await WsCoreClient.ConnectAsync(await server.StartAsync(), compression);
        WebSocketConnection c = client.Connection;
        Task<(MessageKind, byte[])> pending = ReceiveMessageAsync(c); // WsCore answers pings while receiving
        await Task.Delay(1500);
        Assert.Equal(SendStatus.Done, await c.SendAsync("still here"u8.ToArray(), MessageKind.Text).AsTask().WaitAsync(Timeout));
        Assert.Equal("still here", Encoding.UTF8.GetString((await pending).Item2));
        Assert.Equal(SendStatus.Done, await c.CloseAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Timeout));
        await server.Handled; // the server did not time the client out (its receive would have failed)
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task WsCore_keep_alive_pings_are_answered_by_AspNetCore(bool compression)
    {
        await using var server = new AspNetServer(compression, AspNetEchoAsync);
        await using WsCoreClient client = await WsCoreClient.ConnectAsync(await server.StartAsync(), compression, Options(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)));
        WebSocketConnection c = client.Connection;
        Task<(MessageKind, byte[])> pending = ReceiveMessageAsync(c);
        await Task.Delay(1500);
        Assert.Equal(KeepAliveAction.None, c.TimedOut);
        Assert.False(c.IsAborted);
        Assert.Equal(SendStatus.Done, await c.SendAsync("still here"u8.ToArray(), MessageKind.Text).AsTask().WaitAsync(Timeout));
        Assert.Equal("still here", Encoding.UTF8.GetString((await pending).Item2));
        Assert.Equal(SendStatus.Done, await c.CloseAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Timeout));
        await server.Handled;
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task WsCore_client_initiated_close_with_reason(bool compression)
    {
        var seen = new TaskCompletionSource<(WebSocketCloseStatus?, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new AspNetServer(compression, async ws =>
        {
            var (type, _) = await ReceiveMessageAsync(ws);
            Assert.Equal(WebSocketMessageType.Close, type);
            seen.SetResult((ws.CloseStatus, ws.CloseStatusDescription));
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ok", default);
        });
        await using WsCoreClient client = await WsCoreClient.ConnectAsync(await server.StartAsync(), compression);
        WebSocketConnection c = client.Connection;
        Assert.Equal(SendStatus.Done, await c.CloseAsync(CloseCodes.GoingAway, "bye"u8.ToArray()).AsTask().WaitAsync(Timeout));
        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "bye"), await seen.Task.WaitAsync(Timeout));
        Assert.Equal(CloseHandshakeState.Closed, c.State);
        Assert.Equal(CloseCodes.NormalClosure, c.PeerCloseCode);
        Assert.Equal("ok", c.PeerCloseReason);
        Assert.False(c.IsAborted);
        await server.Handled;
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task WsCore_client_empty_close(bool compression)
    {
        var seen = new TaskCompletionSource<WebSocketCloseStatus?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new AspNetServer(compression, async ws =>
        {
            var (type, _) = await ReceiveMessageAsync(ws);
            Assert.Equal(WebSocketMessageType.Close, type);
            seen.SetResult(ws.CloseStatus);
            await ws.CloseOutputAsync(WebSocketCloseStatus.Empty, null, default);
        });
        await using WsCoreClient client = await WsCoreClient.ConnectAsync(await server.StartAsync(), compression);
        WebSocketConnection c = client.Connection;
        Assert.Equal(SendStatus.Done, await c.CloseAsync().AsTask().WaitAsync(Timeout));
        // The runtime reports a close frame without a body as NormalClosure (see WsCoreWebSocketTests).
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await seen.Task.WaitAsync(Timeout));
        Assert.Equal(CloseHandshakeState.Closed, c.State);
        await server.Handled;
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task AspNetCore_server_initiated_close_with_reason(bool compression)
    {
        await using var server = new AspNetServer(compression, async ws =>
        {
            await ws.CloseAsync((WebSocketCloseStatus)4002, "server says bye", default);
            Assert.Equal(WebSocketState.Closed, ws.State);
        });
        await using WsCoreClient client = await WsCoreClient.ConnectAsync(await server.StartAsync(), compression);
        WebSocketConnection c = client.Connection;
        ConnectionReceiveResult r = await c.ReceiveAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
        Assert.Equal(4002, r.CloseCode);
        Assert.Equal("server says bye", c.PeerCloseReason);
        Assert.Equal(CloseHandshakeState.Closed, c.State); // answered automatically
        await server.Handled;
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task WsCore_client_abort_fails_the_AspNetCore_receive(bool compression)
    {
        await using var server = new AspNetServer(compression, async ws =>
        {
            WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(() => ReceiveMessageAsync(ws));
            Assert.Equal(WebSocketError.ConnectionClosedPrematurely, e.WebSocketErrorCode);
        });
        await using WsCoreClient client = await WsCoreClient.ConnectAsync(await server.StartAsync(), compression);
        client.Connection.Abort();
        await server.Handled;
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task AspNetCore_abort_ends_the_WsCore_receive_as_aborted(bool compression)
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new AspNetServer(compression, async ws =>
        {
            await connected.Task.WaitAsync(Timeout); // an abort before the 101 is flushed would fail the handshake instead
            ws.Abort();
        });
        await using WsCoreClient client = await WsCoreClient.ConnectAsync(await server.StartAsync(), compression);
        connected.SetResult();
        ConnectionReceiveResult r = await client.Connection.ReceiveAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.Aborted, r.Kind);
        Assert.Equal(CloseCodes.AbnormalClosure, r.CloseCode);
        await server.Handled;
    }

    [Theory, InlineData(false), InlineData(true)]
    public async Task AspNetCore_invalid_utf8_text_is_a_protocol_error_1007(bool compression)
    {
        await using var server = new AspNetServer(compression, async ws =>
        {
            await ws.SendAsync(new byte[] { 0x61, 0xED, 0xA0, 0x80 }, WebSocketMessageType.Text, true, default); // a UTF-16 surrogate
            var (type, _) = await ReceiveMessageAsync(ws);
            Assert.Equal(WebSocketMessageType.Close, type);
            Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, ws.CloseStatus);
        });
        await using WsCoreClient client = await WsCoreClient.ConnectAsync(await server.StartAsync(), compression);
        ConnectionReceiveResult r = await client.Connection.ReceiveAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        Assert.Equal(ConnectionReceiveKind.ProtocolError, r.Kind);
        Assert.Equal(CloseCodes.InvalidPayloadData, r.CloseCode);
        await server.Handled;
    }
}
