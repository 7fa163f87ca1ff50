using WsCore.Framing;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using WsCore.Compression;
using WsCore.Diagnostics;
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
    /// WebSocket runs <paramref name="handler"/> on its own task, after which the connection is closed gracefully. With
    /// a certificate (<see cref="WebSocketServerOptions.ServerCertificate"/> or <see cref="WebSocketServerOptions.SslOptions"/>)
    /// every connection is TLS (wss://): the TLS handshake and the upgrade request together must complete within
    /// <see cref="WebSocketServerOptions.HandshakeTimeout"/>, and a client that fails either is closed without a word.
    /// </summary>
    /// <param name="endpoint">Where to listen, e.g. 127.0.0.1:9001.</param>
    /// <param name="handler">The application: receives and sends on the connection; the request says what was asked for.</param>
    /// <param name="options">Server options; defaults when null.</param>
    /// <param name="onListening">Called with the bound endpoint once listening (useful with port 0).</param>
    /// <param name="cancellationToken">Stops accepting.</param>
    /// <exception cref="ArgumentException">Both <see cref="WebSocketServerOptions.ServerCertificate"/> and
    /// <see cref="WebSocketServerOptions.SslOptions"/> are set, or the certificate has no private key.</exception>
    public static async Task RunServerAsync(IPEndPoint endpoint, Func<WebSocketConnection, HandshakeRequest, Task> handler,
        WebSocketServerOptions? options = null, Action<IPEndPoint>? onListening = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new WebSocketServerOptions();
        SslServerAuthenticationOptions? tls = ServerTlsOptions(options);
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
            // Each goes on on the thread pool at once (Task.Yield) and observes its own failures.
            _ = tls is null ? ServeAsync(socket, handler, options) : ServeTlsAsync(socket, handler, options, tls);
        }
    }

    private static SslServerAuthenticationOptions? ServerTlsOptions(WebSocketServerOptions options)
    {
        if (options.ServerCertificate is null) return options.SslOptions;
        if (options.SslOptions is not null) throw new ArgumentException("Set either ServerCertificate or SslOptions, not both.", nameof(options));
        if (!options.ServerCertificate.HasPrivateKey) throw new ArgumentException("The server certificate has no private key.", nameof(options));
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(options.ServerCertificate, additionalCertificates: null),
        };
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
            // Inline, not in a method of its own: an idle connection keeps every state machine on its await chain (a
            // separate handler frame cost about 850 managed bytes per idle connection).
            await using var connection = new WebSocketConnection(transport, WebSocketRole.Server, options.Connection, handshake.PerMessageDeflate);
            await handler(connection, handshake.Request!).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The handshake timed out, the transport failed or the handler threw: nobody awaits this task, so every
            // failure ends here; the socket is closed below.
        }
        finally
        {
            await transport.Output.CompleteAsync().ConfigureAwait(false);
            await transport.Completion.ConfigureAwait(false);
        }
    }

    private static async Task ServeTlsAsync(Socket socket, Func<WebSocketConnection, HandshakeRequest, Task> handler, WebSocketServerOptions options,
        SslServerAuthenticationOptions tls)
    {
        await Task.Yield();
        StreamTransport? transport = null;
        try
        {
            (transport, ServerHandshakeResult? handshake) = await TlsHandshakeAsync(socket, options, tls).ConfigureAwait(false);
            if (transport is null || handshake is not { IsAccepted: true }) return;
            // Inline, as in ServeAsync: a separate frame would be kept for the connection's life.
            await using var connection = new WebSocketConnection(transport, WebSocketRole.Server, options.Connection, handshake.PerMessageDeflate);
            await handler(connection, handshake.Request!).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // As in ServeAsync: nobody awaits this task, so every failure ends here.
        }
        finally
        {
            if (transport is null)
            {
                socket.Dispose();
            }
            else
            {
                // Graceful: close_notify and FIN once the output is complete; the stream is disposed when both sides are.
                try { await transport.Output.CompleteAsync().ConfigureAwait(false); } catch (Exception) { }
                transport.Input.Complete();
                await transport.Completion.ConfigureAwait(false);
            }
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
    /// TLS and then the opening handshake, both under one deadline (<see cref="WebSocketServerOptions.HandshakeTimeout"/>
    /// on the connections' clock): a client that never sends its ClientHello, sends garbage or stops halfway costs no
    /// more than a slow plain one, and the upgrade request gets what is left (a slowloris there gets 408, as on the plain
    /// path). A TLS failure counts as a failed (or timed-out) server handshake in the metrics, with no status. The
    /// transport is null when TLS failed (the caller closes the socket).
    /// </summary>
    private static async Task<(StreamTransport? Transport, ServerHandshakeResult? Handshake)> TlsHandshakeAsync(Socket socket, WebSocketServerOptions options,
        SslServerAuthenticationOptions tls)
    {
        TimeProvider time = options.Connection.TimeProvider ?? TimeProvider.System;
        long started = time.GetTimestamp();
        TimeSpan limit = options.HandshakeTimeout;
        bool bounded = limit > TimeSpan.Zero && limit != Timeout.InfiniteTimeSpan;
        SslStream? stream = null;
        using (CancellationTokenSource? deadline = bounded ? new CancellationTokenSource(limit, time) : null)
        {
            CancellationToken token = deadline?.Token ?? CancellationToken.None;
            try
            {
                // Wait for the ClientHello with a zero-byte receive, as the plain path waits for its request: until the
                // client speaks it holds its socket and this await, no SslStream and no buffer.
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
                stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
                await stream.AuthenticateAsServerAsync(tls, token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Timed out, not TLS, no protocol in common, reset: nothing to answer.
                WsCoreMetrics.RecordHandshake(WebSocketRole.Server, deadline is { IsCancellationRequested: true } ? HandshakeOutcome.TimedOut : HandshakeOutcome.Failed,
                    0, time.GetElapsedTime(started));
                if (stream is not null)
                {
                    try { await stream.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
                }
                return (null, null);
            }
        }
        var transport = new StreamTransport(stream, socket);
        // What is left of the deadline; at least a tick (zero would mean "no timeout"), so a client that used it all up
        // gets its 408 at once.
        TimeSpan remaining = bounded ? TimeSpan.FromTicks(Math.Max(1, (limit - time.GetElapsedTime(started)).Ticks)) : limit;
        try
        {
            ServerHandshakeResult handshake = await PipeHandshake.AcceptCoreAsync(transport, options.Policy, options.Handshake ?? HandshakeOptions.Default,
                options.Connection.Protocol.PerMessageDeflate, remaining, time, CancellationToken.None).ConfigureAwait(false);
            return (transport, handshake);
        }
        catch (Exception)
        {
            return (transport, null);
        }
    }

    /// <summary>
    /// Connects to a <c>ws://</c> or <c>wss://</c> URI (TLS with <see cref="System.Net.Security.SslStream"/>, the URI's
    /// host as target name and SNI), through the options' HTTP proxy when there is one (a CONNECT tunnel), runs the opening
    /// handshake (the options' headers, subprotocols, permessage-deflate offer) and returns the open connection, or why
    /// there is none (<see cref="WebSocketClientConnection.Error"/>: the step that failed and the HTTP status, e.g. 403 or
    /// a proxy's 407). Never throws for what the network, a proxy or the server does.
    /// </summary>
    /// <param name="uri">A <c>ws://</c> or <c>wss://host:port/path?query</c> URI.</param>
    /// <param name="options">Client options; defaults when null.</param>
    /// <param name="cancellationToken">Cancels connecting (then <see cref="OperationCanceledException"/> is thrown).</param>
    /// <exception cref="ArgumentException">The URI is not an absolute ws:// or wss:// URI, or the options cannot be used
    /// (e.g. a certificate callback set both in the options and in their <see cref="WebSocketClientOptions.SslOptions"/>).</exception>
    public static async Task<WebSocketClientConnection> ConnectAsync(Uri uri, WebSocketClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        options ??= new WebSocketClientOptions();
        ClientConnector.Outcome outcome = await ClientConnector.ConnectAsync(uri, options, cancellationToken).ConfigureAwait(false);
        if (outcome.Error is not null) return new WebSocketClientConnection(null, null, outcome.Handshake, outcome.Error);
        var connection = new WebSocketConnection(outcome.Transport!, WebSocketRole.Client, options.Connection, outcome.Handshake!.PerMessageDeflate);
        return new WebSocketClientConnection(connection, outcome.Transport, outcome.Handshake, null);
    }
}
