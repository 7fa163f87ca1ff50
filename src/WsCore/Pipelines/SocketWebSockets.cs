using WsCore.Framing;
using System.Net;
using System.Net.Sockets;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>
/// WsCore over <see cref="Socket"/>s: a server accept loop and a client connect, each running the opening handshake
/// (<see cref="PipeHandshake"/>, which negotiates permessage-deflate when the options enable it) and handing over a
/// <see cref="WebSocketConnection"/> with what it agreed.
/// </summary>
public static class SocketWebSockets
{
    /// <summary>
    /// Accepts connections on <paramref name="endpoint"/> until <paramref name="cancellationToken"/> fires; each accepted
    /// WebSocket runs <paramref name="handler"/> on its own task, after which the connection is closed gracefully.
    /// </summary>
    /// <param name="endpoint">Where to listen, e.g. 127.0.0.1:9001.</param>
    /// <param name="handler">The application: receives and sends on the connection; the request says what was asked for.</param>
    /// <param name="options">Server options; defaults when null.</param>
    /// <param name="onListening">Called with the bound endpoint once listening (useful with port 0).</param>
    /// <param name="cancellationToken">Stops accepting.</param>
    public static async Task RunServerAsync(IPEndPoint endpoint, Func<WebSocketConnection, HandshakeRequest, Task> handler,
        WebSocketServerOptions? options = null, Action<IPEndPoint>? onListening = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new WebSocketServerOptions();
        using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(endpoint);
        listener.Listen(options.Backlog);
        onListening?.Invoke((IPEndPoint)listener.LocalEndPoint!);
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                continue; // a connection that failed while being accepted
            }
            _ = ServeAsync(socket, handler, options); // goes on on the thread pool at once (Task.Yield); observes its own failures
        }
    }

    private static async Task ServeAsync(Socket socket, Func<WebSocketConnection, HandshakeRequest, Task> handler, WebSocketServerOptions options)
    {
        // Off the accept loop (without Task.Run's closure and unwrapping task, which an idle connection would keep).
        await Task.Yield();
        var transport = new SocketDuplexPipe(socket);
        try
        {
            ServerHandshakeResult handshake = await HandshakeAsync(transport, options).ConfigureAwait(false);
            if (!handshake.IsAccepted) return;
            await using var connection = new WebSocketConnection(transport, WebSocketRole.Server, options.Connection, handshake.PerMessageDeflate);
            await handler(connection, handshake.Request!).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The handshake timed out: close the socket.
        }
        catch (IOException)
        {
        }
        catch (Exception)
        {
            // The handler failed: nobody awaits this task, so the failure ends here; the connection is closed below.
        }
        finally
        {
            await transport.Output.CompleteAsync().ConfigureAwait(false);
            await transport.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The opening handshake, in its own method so that its timer is not kept for the connection's life; bounded by
    /// <see cref="WebSocketServerOptions.HandshakeTimeout"/> on the connections' clock (a slowloris gets 408).
    /// </summary>
    private static async Task<ServerHandshakeResult> HandshakeAsync(SocketDuplexPipe transport, WebSocketServerOptions options)
    {
        return await PipeHandshake.AcceptCoreAsync(transport, options.Policy, options.Handshake ?? HandshakeOptions.Default,
            options.Connection.Protocol.PerMessageDeflate, options.HandshakeTimeout, options.Connection.TimeProvider ?? TimeProvider.System,
            CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects to a <c>ws://</c> URI, runs the opening handshake (offering permessage-deflate when the options enable
    /// it) and returns the open connection, or why there is none. Never throws for what the server does.
    /// </summary>
    /// <param name="uri">A <c>ws://host:port/path?query</c> URI (TLS is the caller's: wrap a stream and use <see cref="PipeHandshake"/>).</param>
    /// <param name="options">Client options; defaults when null.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    public static async Task<WebSocketClientConnection> ConnectAsync(Uri uri, WebSocketClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.Scheme != "ws") throw new ArgumentException("Only ws:// URIs are supported here.", nameof(uri));
        options ??= new WebSocketClientOptions();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(uri.Host, uri.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            if (cancellationToken.IsCancellationRequested) throw;
            return new WebSocketClientConnection(null, null, null, $"could not connect: {e.Message}");
        }

        var transport = new SocketDuplexPipe(socket);
        var request = new ClientUpgradeRequest
        {
            Host = uri.IsDefaultPort ? uri.Host : uri.Authority,
            Target = uri.PathAndQuery,
            Origin = options.Origin,
            Subprotocols = options.Subprotocols,
            PerMessageDeflate = options.Connection.Protocol.PerMessageDeflate,
        };
        ClientHandshakeResult handshake;
        try
        {
            handshake = await PipeHandshake.ConnectAsync(transport, request, options.Handshake, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            return new WebSocketClientConnection(null, null, null, "the opening handshake timed out");
        }
        if (!handshake.IsAccepted)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            return new WebSocketClientConnection(null, null, handshake, $"the handshake failed: {handshake.Error} (HTTP {handshake.StatusCode})");
        }
        var connection = new WebSocketConnection(transport, WebSocketRole.Client, options.Connection, handshake.PerMessageDeflate);
        return new WebSocketClientConnection(connection, transport, handshake, null);
    }
}
