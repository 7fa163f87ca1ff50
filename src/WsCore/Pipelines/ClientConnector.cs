using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using WsCore.Handshake;

namespace WsCore.Pipelines;

/// <summary>
/// The client's way to an open WebSocket, shared by <see cref="SocketWebSockets.ConnectAsync"/> and
/// <c>WsCoreWebSocket.ConnectAsync</c>: TCP (to the server, or to an HTTP proxy and a CONNECT tunnel through it), TLS
/// for wss:// (<see cref="SslStream"/>, the URI's host as target and SNI), then the opening handshake
/// (<see cref="PipeHandshake.ConnectAsync"/>) with the options' headers, subprotocols and permessage-deflate offer.
/// Every failure the network, the proxy or the server causes ends in a <see cref="WebSocketConnectException"/> (returned,
/// not thrown); only the caller's cancellation throws. Options the client cannot use throw before any I/O.
/// </summary>
internal static class ClientConnector
{
    /// <summary>What a connect produced: the open transport and the accepted handshake, or the failure.</summary>
    internal readonly record struct Outcome(IWebSocketTransport? Transport, ClientHandshakeResult? Handshake, WebSocketConnectException? Error);

    /// <summary>Connects to <paramref name="uri"/>.</summary>
    /// <exception cref="ArgumentException">The URI is not an absolute ws:// or wss:// URI, or the options hold what cannot be sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    internal static async Task<Outcome> ConnectAsync(Uri uri, WebSocketClientOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        if (!uri.IsAbsoluteUri) throw new ArgumentException("The URI must be absolute.", nameof(uri));
        if (uri.Scheme is not ("ws" or "wss")) throw new ArgumentException("Only ws:// and wss:// URIs are supported.", nameof(uri));
        bool secure = uri.Scheme == "wss";
        string host = uri.IdnHost; // punycode for international names, an IPv6 address without brackets
        string hostInHead = uri.HostNameType == UriHostNameType.IPv6 ? "[" + host + "]" : host;
        string authority = hostInHead + ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        KeyValuePair<string, string>[] headers = options.RequestHeaders.Snapshot();
        var request = new ClientUpgradeRequest
        {
            Host = uri.IsDefaultPort ? hostInHead : authority,
            Target = uri.PathAndQuery,
            Origin = options.Origin,
            Subprotocols = options.Subprotocols,
            PerMessageDeflate = options.Connection.Protocol.PerMessageDeflate,
            ExtraHeaders = headers.Length == 0 ? null : headers,
        };
        HandshakeRequestWriter.Validate(request);
        SslClientAuthenticationOptions? ssl = secure ? CreateSslOptions(options, host) : null;
        Uri? proxy = ProxyFor(options.Proxy, uri, secure);
        if (proxy is not null && proxy.Scheme != Uri.UriSchemeHttp)
        {
            return Failed(new WebSocketConnectException(WebSocketConnectFailure.Proxy, $"The proxy {proxy} is not an http:// proxy; only HTTP proxies (CONNECT) are supported."));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        CancellationToken token = timeout.Token;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        SslStream? sslStream = null;
        IWebSocketTransport? transport = null;
        WebSocketConnectFailure step = WebSocketConnectFailure.Connect;
        try
        {
            if (proxy is null) await socket.ConnectAsync(host, uri.Port, token).ConfigureAwait(false);
            else await socket.ConnectAsync(proxy.IdnHost, proxy.Port, token).ConfigureAwait(false);
            if (proxy is not null)
            {
                step = WebSocketConnectFailure.Proxy;
                WebSocketConnectException? refused = await HttpProxyTunnel.OpenAsync(socket, proxy, options.Proxy!.Credentials, authority, options.Handshake, token).ConfigureAwait(false);
                if (refused is not null)
                {
                    socket.Dispose();
                    return Failed(refused);
                }
            }
            if (ssl is not null)
            {
                step = WebSocketConnectFailure.Tls;
                sslStream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
                await sslStream.AuthenticateAsClientAsync(ssl, token).ConfigureAwait(false);
                transport = new StreamTransport(sslStream, socket);
            }
            else
            {
                transport = new SocketDuplexPipe(socket);
            }
            step = WebSocketConnectFailure.Handshake;
            ClientHandshakeResult handshake = await PipeHandshake.ConnectAsync(transport, request, options.Handshake, token).ConfigureAwait(false);
            if (!handshake.IsAccepted)
            {
                await CloseAsync(transport, sslStream, socket).ConfigureAwait(false);
                return new Outcome(null, handshake, HandshakeFailure(handshake, options.Handshake ?? HandshakeOptions.Default));
            }
            return new Outcome(transport, handshake, null);
        }
        catch (Exception e)
        {
            await CloseAsync(transport, sslStream, socket).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
            return Failed(StepFailure(step, e, uri, host, proxy, options.ConnectTimeout, token.IsCancellationRequested));
        }
    }

    private static Outcome Failed(WebSocketConnectException error) => new(null, null, error);

    private static async ValueTask CloseAsync(IWebSocketTransport? transport, SslStream? sslStream, Socket socket)
    {
        try
        {
            if (transport is IAsyncDisposable disposable) await disposable.DisposeAsync().ConfigureAwait(false);
            else if (sslStream is not null) await sslStream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
        }
        catch (Exception)
        {
            // Closing a connection that failed: nothing left to report.
        }
    }

    private static WebSocketConnectException StepFailure(WebSocketConnectFailure step, Exception e, Uri uri, string host, Uri? proxy, TimeSpan limit, bool timedOut)
    {
        if (timedOut)
        {
            string during = step switch
            {
                WebSocketConnectFailure.Connect => "connecting",
                WebSocketConnectFailure.Proxy => "opening the proxy tunnel",
                WebSocketConnectFailure.Tls => "the TLS handshake",
                _ => "the opening handshake",
            };
            return new WebSocketConnectException(WebSocketConnectFailure.Timeout, $"Connecting to {uri} took longer than {limit.TotalSeconds:0.###} s (during {during}).", innerException: e);
        }
        return step switch
        {
            WebSocketConnectFailure.Connect => new WebSocketConnectException(step, $"Could not connect to {(proxy is null ? host + ":" + uri.Port : "the proxy " + proxy.Authority)}: {e.Message}", innerException: e),
            WebSocketConnectFailure.Proxy => new WebSocketConnectException(step, $"The proxy {proxy!.Authority} failed while opening the tunnel: {e.Message}", innerException: e),
            WebSocketConnectFailure.Tls => new WebSocketConnectException(step, $"The TLS handshake with {host} failed: {e.Message}", innerException: e),
            _ => new WebSocketConnectException(step, $"The connection to {host} failed during the opening handshake: {e.Message}",
                handshakeError: HandshakeResponseError.IncompleteResponse, innerException: e),
        };
    }

    private static WebSocketConnectException HandshakeFailure(ClientHandshakeResult handshake, HandshakeOptions options)
    {
        if (handshake.Error == HandshakeResponseError.TimedOut)
        {
            return new WebSocketConnectException(WebSocketConnectFailure.Timeout,
                $"The server did not answer the opening handshake within {options.Timeout.TotalSeconds:0.###} s (HandshakeOptions.Timeout).", handshakeError: handshake.Error);
        }
        string message = handshake.Error switch
        {
            HandshakeResponseError.UnexpectedStatusCode => $"The server answered the opening handshake with HTTP {handshake.StatusCode}"
                + (handshake.Response is { ReasonPhrase.Length: > 0 } r ? " " + r.ReasonPhrase : "") + " instead of 101 Switching Protocols.",
            HandshakeResponseError.IncompleteResponse => "The server closed the connection before it answered the opening handshake.",
            _ => $"The server's answer to the opening handshake is not valid (RFC 6455 §4.1): {handshake.Error}"
                + (handshake.StatusCode != 0 ? $" (HTTP {handshake.StatusCode})." : "."),
        };
        return new WebSocketConnectException(WebSocketConnectFailure.Handshake, message, handshake.StatusCode, handshake.Error, handshake.Response);
    }

    /// <summary>The proxy for <paramref name="uri"/>, asked about its http:// or https:// equivalent; null to connect directly.</summary>
    private static Uri? ProxyFor(IWebProxy? proxy, Uri uri, bool secure)
    {
        if (proxy is null) return null;
        Uri destination = new UriBuilder(uri) { Scheme = secure ? Uri.UriSchemeHttps : Uri.UriSchemeHttp, Port = uri.Port }.Uri;
        if (proxy.IsBypassed(destination)) return null;
        Uri? address = proxy.GetProxy(destination);
        // IWebProxy's convention: the destination itself (or null) means "no proxy".
        return address is null || address == destination ? null : address;
    }

    /// <summary>A copy of the options' TLS settings for one connect: target host (and SNI) from the URI unless set, ALPN http/1.1 unless set.</summary>
    private static SslClientAuthenticationOptions CreateSslOptions(WebSocketClientOptions options, string host)
    {
        SslClientAuthenticationOptions? user = options.SslOptions;
        if (user?.RemoteCertificateValidationCallback is not null && options.RemoteCertificateValidationCallback is not null)
            throw new ArgumentException("Set RemoteCertificateValidationCallback either in the client options or in their SslOptions, not in both.", nameof(options));
        if (user?.ClientCertificates is not null && options.ClientCertificates is not null)
            throw new ArgumentException("Set ClientCertificates either in the client options or in their SslOptions, not in both.", nameof(options));
        var ssl = new SslClientAuthenticationOptions();
        if (user is not null)
        {
            ssl.AllowRenegotiation = user.AllowRenegotiation;
            ssl.AllowTlsResume = user.AllowTlsResume;
            if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
            {
                ssl.AllowRsaPssPadding = user.AllowRsaPssPadding;
                ssl.AllowRsaPkcs1Padding = user.AllowRsaPkcs1Padding;
            }
            ssl.LocalCertificateSelectionCallback = user.LocalCertificateSelectionCallback;
            ssl.RemoteCertificateValidationCallback = user.RemoteCertificateValidationCallback;
            ssl.ApplicationProtocols = user.ApplicationProtocols is null ? null : [.. user.ApplicationProtocols];
            ssl.TargetHost = user.TargetHost;
            ssl.ClientCertificates = user.ClientCertificates;
            ssl.ClientCertificateContext = user.ClientCertificateContext;
            ssl.CertificateRevocationCheckMode = user.CertificateRevocationCheckMode;
            ssl.EnabledSslProtocols = user.EnabledSslProtocols;
            ssl.CipherSuitesPolicy = user.CipherSuitesPolicy;
            ssl.CertificateChainPolicy = user.CertificateChainPolicy;
#pragma warning disable SYSLIB0040 // EncryptionPolicy is obsolete; copied so that the user's choice stands
            ssl.EncryptionPolicy = user.EncryptionPolicy;
#pragma warning restore SYSLIB0040
        }
        if (string.IsNullOrEmpty(ssl.TargetHost)) ssl.TargetHost = host;
        ssl.ApplicationProtocols ??= [SslApplicationProtocol.Http11];
        ssl.RemoteCertificateValidationCallback ??= options.RemoteCertificateValidationCallback;
        ssl.ClientCertificates ??= options.ClientCertificates;
        return ssl;
    }
}
