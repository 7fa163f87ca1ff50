using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
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

    /// <summary>
    /// How long a client has to send its upgrade request (and read the answer), however slowly it trickles bytes: a
    /// request still incomplete then is answered with 408 and the connection closed. With TLS (a
    /// <see cref="ServerCertificate"/> or <see cref="SslOptions"/>) the TLS handshake counts too: TLS and the upgrade
    /// request together get this long, and a client that has not finished TLS by then (silent, slow, garbage) is closed
    /// without an answer. It replaces <see cref="HandshakeOptions.Timeout"/> and runs on
    /// <see cref="WebSocketConnectionOptions.TimeProvider"/> of <see cref="Connection"/>. Default 10 s;
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Decides on each valid request (Origin, path, subprotocol); null accepts everything. permessage-deflate is
    /// negotiated by the handshake against <see cref="WebSocketConnectionOptions.Protocol"/>'s options (see
    /// <see cref="ServerHandshake.CreateResponse"/>) unless the decision overrides it.
    /// </summary>
    public Func<HandshakeRequest, ServerHandshakeDecision>? Policy { get; init; }

    /// <summary>How many connections the listener queues. Default 512.</summary>
    public int Backlog { get; init; } = 512;

    /// <summary>
    /// The server's certificate (with its private key) to serve wss:// with TLS, or null. Shorthand for
    /// <see cref="SslOptions"/> with only a certificate (its chain is built once, when the server starts); set one or the other.
    /// </summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>
    /// The TLS options in full (certificate or its selection callback, protocols, client certificates, ALPN), or null.
    /// Used as given for every connection; with it (or <see cref="ServerCertificate"/>) every accepted connection runs
    /// the TLS handshake first, within <see cref="HandshakeTimeout"/>.
    /// </summary>
    public SslServerAuthenticationOptions? SslOptions { get; init; }
}
