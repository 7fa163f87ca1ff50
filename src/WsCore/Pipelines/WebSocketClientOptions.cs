using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>
/// Options of a client connect (<see cref="SocketWebSockets.ConnectAsync"/>, <c>WsCoreWebSocket.ConnectAsync</c>). The
/// names follow <c>ClientWebSocketOptions</c> where there is a counterpart: <see cref="RequestHeaders"/>
/// (<c>SetRequestHeader</c>), <see cref="Subprotocols"/> (<c>AddSubProtocol</c>), <see cref="Proxy"/>,
/// <see cref="ClientCertificates"/>, <see cref="RemoteCertificateValidationCallback"/>; keep-alive and permessage-deflate
/// are in <see cref="Connection"/> (<see cref="WebSocketConnectionOptions.KeepAliveInterval"/>,
/// <see cref="WebSocketProtocolOptions.PerMessageDeflate"/>).
/// </summary>
public sealed record WebSocketClientOptions
{
    /// <summary>
    /// The connection's options: keep-alive (<see cref="WebSocketConnectionOptions.KeepAliveInterval"/>, off by default),
    /// limits, backpressure; <see cref="WebSocketProtocolOptions.PerMessageDeflate"/> decides whether compression is offered.
    /// </summary>
    public WebSocketConnectionOptions Connection { get; init; } = WebSocketConnectionOptions.Default;

    /// <summary>Limits of the server's answer (and of a proxy's answer to CONNECT).</summary>
    public HandshakeOptions Handshake { get; init; } = HandshakeOptions.Default;

    /// <summary>How long connecting, the proxy tunnel, TLS and the opening handshake may take together. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The Origin header to send, or null.</summary>
    public string? Origin { get; init; }

    /// <summary>The subprotocols to offer, in order of preference, or null.</summary>
    public IReadOnlyList<string>? Subprotocols { get; init; }

    /// <summary>
    /// Headers to add to the upgrade request (Authorization, Cookie, User-Agent, ...), checked as they are added
    /// (<see cref="UpgradeRequestHeaders"/>: no CR or LF, none of the headers the handshake writes itself). Empty by
    /// default; fill it in the initializer (<c>RequestHeaders = { { "Authorization", "Bearer abc" } }</c>) or with
    /// <see cref="UpgradeRequestHeaders.Set"/>. A copy made with <c>with</c> shares the collection.
    /// </summary>
    public UpgradeRequestHeaders RequestHeaders { get; init; } = new();

    /// <summary>
    /// The HTTP proxy to connect through, or null (the default) to connect directly; pass
    /// <c>System.Net.Http.HttpClient.DefaultProxy</c> for the system's settings (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), or
    /// a <see cref="WebProxy"/>. The proxy is asked about the destination as an http:// (ws) or https:// (wss) URI; when it
    /// does not bypass it, the client opens a tunnel with <c>CONNECT host:port</c> (for ws:// too, as ClientWebSocket
    /// does) and runs TLS and the handshake through it. <see cref="IWebProxy.Credentials"/> (or user info in the proxy's
    /// URI) are sent as Basic credentials with the CONNECT. Only http:// proxies are supported. A refusal (non-2xx, e.g.
    /// 407) fails the connect with <see cref="WebSocketConnectFailure.Proxy"/> and the proxy's status.
    /// </summary>
    public IWebProxy? Proxy { get; init; }

    /// <summary>
    /// For wss://: decides on the server's certificate (e.g. accept a test certificate), or null for the system's
    /// validation. The same as <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>: set one or the other.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidationCallback { get; init; }

    /// <summary>
    /// For wss://: certificates the client may present when the server asks for one, or null. The same as
    /// <see cref="SslClientAuthenticationOptions.ClientCertificates"/>: set one or the other.
    /// </summary>
    public X509CertificateCollection? ClientCertificates { get; init; }

    /// <summary>
    /// For wss://: the TLS options in full (protocols, revocation, chain policy, ...), or null for the defaults. The
    /// object is never changed; each connect uses a copy in which <see cref="SslClientAuthenticationOptions.TargetHost"/>
    /// (also sent as SNI) is the URI's host when not set, and <see cref="SslClientAuthenticationOptions.ApplicationProtocols"/>
    /// is <c>http/1.1</c> when not set.
    /// </summary>
    public SslClientAuthenticationOptions? SslOptions { get; init; }
}
