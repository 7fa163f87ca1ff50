using System.Net;
using System.Net.Sockets;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>Options of <see cref="SocketWebSockets.RunServerAsync"/>.</summary>
public sealed record WebSocketServerOptions
{
    /// <summary>The connections' options; <see cref="WebSocketProtocolOptions.PerMessageDeflate"/> decides whether compression is accepted.</summary>
    public WebSocketConnectionOptions Connection { get; init; } = WebSocketConnectionOptions.Default;

    /// <summary>Limits of the upgrade request.</summary>
    public HandshakeOptions Handshake { get; init; } = HandshakeOptions.Default;

    /// <summary>How long a client has to send its upgrade request. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Decides on each valid request (Origin, path, subprotocol); null accepts everything. The permessage-deflate answer
    /// is added by the server when the policy accepts without an extensions answer of its own.
    /// </summary>
    public Func<HandshakeRequest, ServerHandshakeDecision>? Policy { get; init; }

    /// <summary>How many connections the listener queues. Default 512.</summary>
    public int Backlog { get; init; } = 512;
}

/// <summary>Options of <see cref="SocketWebSockets.ConnectAsync"/>.</summary>
public sealed record WebSocketClientOptions
{
    /// <summary>The connection's options; <see cref="WebSocketProtocolOptions.PerMessageDeflate"/> decides whether compression is offered.</summary>
    public WebSocketConnectionOptions Connection { get; init; } = WebSocketConnectionOptions.Default;

    /// <summary>Limits of the server's answer.</summary>
    public HandshakeOptions Handshake { get; init; } = HandshakeOptions.Default;

    /// <summary>How long connecting and the opening handshake may take together. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The Origin header to send, or null.</summary>
    public string? Origin { get; init; }

    /// <summary>The subprotocols to offer, in order of preference, or null.</summary>
    public IReadOnlyList<string>? Subprotocols { get; init; }
}

/// <summary>The outcome of <see cref="SocketWebSockets.ConnectAsync"/>.</summary>
public sealed class WebSocketClientConnection : IAsyncDisposable
{
    internal WebSocketClientConnection(WebSocketConnection? connection, SocketDuplexPipe? transport, ClientHandshakeResult? handshake, string? failure)
    {
        Connection = connection;
        Transport = transport;
        Handshake = handshake;
        Failure = failure;
    }

    /// <summary>The open connection, or null when connecting or the handshake failed.</summary>
    public WebSocketConnection? Connection { get; }

    /// <summary>The socket transport (null when the TCP connection could not be made).</summary>
    public SocketDuplexPipe? Transport { get; }

    /// <summary>The handshake's result (status, subprotocol, extensions), or null when no answer was read.</summary>
    public ClientHandshakeResult? Handshake { get; }

    /// <summary>Why there is no connection, or null.</summary>
    public string? Failure { get; }

    /// <summary>Closes the transport (after the closing handshake, if the application did one) and releases the engine.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Connection is not null) await Connection.DisposeAsync().ConfigureAwait(false);
        if (Transport is not null)
        {
            await Transport.Output.CompleteAsync().ConfigureAwait(false);
            await Transport.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>
/// WsCore over <see cref="Socket"/>s: a server accept loop and a client connect, each running the opening handshake
/// (with permessage-deflate negotiation when the options enable it) and handing over a <see cref="WebSocketConnection"/>.
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
            (ServerHandshakeResult handshake, PerMessageDeflateParameters? deflate) = await HandshakeAsync(transport, options).ConfigureAwait(false);
            if (!handshake.IsAccepted) return;
            await using var connection = new WebSocketConnection(transport, WebSocketRole.Server, options.Connection, deflate);
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

    /// <summary>The opening handshake, in its own method so that its closure and timer are not kept for the connection's life.</summary>
    private static async Task<(ServerHandshakeResult, PerMessageDeflateParameters?)> HandshakeAsync(SocketDuplexPipe transport, WebSocketServerOptions options)
    {
        PerMessageDeflateParameters? deflate = null;
        PerMessageDeflateOptions deflatePolicy = options.Connection.Protocol.PerMessageDeflate;
        using var timeout = new CancellationTokenSource(options.HandshakeTimeout);
        ServerHandshakeResult handshake = await PipeHandshake.AcceptAsync(transport, request =>
        {
            ServerHandshakeDecision decision = options.Policy?.Invoke(request) ?? ServerHandshakeDecision.Accept();
            if (decision.IsAccepted && decision.Extensions is null
                && PerMessageDeflateNegotiation.TryAccept(deflatePolicy, request.Extensions, out PerMessageDeflateParameters agreed, out string? answer))
            {
                deflate = agreed;
                return ServerHandshakeDecision.Accept(decision.Subprotocol, answer);
            }
            return decision;
        }, options.Handshake, timeout.Token).ConfigureAwait(false);
        return (handshake, deflate);
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
        PerMessageDeflateOptions deflatePolicy = options.Connection.Protocol.PerMessageDeflate;
        var request = new ClientUpgradeRequest
        {
            Host = uri.IsDefaultPort ? uri.Host : uri.Authority,
            Target = uri.PathAndQuery,
            Origin = options.Origin,
            Subprotocols = options.Subprotocols,
            ExtensionOffer = PerMessageDeflateNegotiation.CreateOffer(deflatePolicy),
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
        PerMessageDeflateParameters? deflate = null;
        if (request.ExtensionOffer is not null)
        {
            PerMessageDeflateNegotiationResult result = PerMessageDeflateNegotiation.ProcessResponse(deflatePolicy, handshake.Response!.Extensions ?? "", out PerMessageDeflateParameters agreed);
            if (result == PerMessageDeflateNegotiationResult.Accepted)
            {
                deflate = agreed;
            }
            else if (result != PerMessageDeflateNegotiationResult.NotNegotiated)
            {
                // RFC 6455 §4.1: an extension answer the client cannot accept fails the connection.
                await transport.DisposeAsync().ConfigureAwait(false);
                return new WebSocketClientConnection(null, null, handshake, $"the server's extension answer is invalid: {result}");
            }
        }
        var connection = new WebSocketConnection(transport, WebSocketRole.Client, options.Connection, deflate);
        return new WebSocketClientConnection(connection, transport, handshake, null);
    }
}
