namespace WsCore.Pipelines;

/// <summary>Which step of a client connect failed (<see cref="WebSocketConnectException.Failure"/>).</summary>
public enum WebSocketConnectFailure
{
    /// <summary>The TCP connection to the server (or to the proxy) could not be made: refused, unreachable, name not found.</summary>
    Connect,

    /// <summary>
    /// The HTTP proxy refused the tunnel (its status, e.g. 407 Proxy Authentication Required or 502, is in
    /// <see cref="WebSocketConnectException.StatusCode"/>), sent an answer that is not HTTP, or closed the connection.
    /// </summary>
    Proxy,

    /// <summary>The TLS handshake failed: the server's certificate was refused, no protocol or cipher in common, or the connection ended.</summary>
    Tls,

    /// <summary>
    /// The server did not accept the opening handshake: a status other than 101 (in
    /// <see cref="WebSocketConnectException.StatusCode"/>, e.g. 401, 403, 404) or an answer that breaks RFC 6455 §4.1
    /// (<see cref="WebSocketConnectException.HandshakeError"/>).
    /// </summary>
    Handshake,

    /// <summary>
    /// Connecting, the tunnel, TLS and the opening handshake together took longer than
    /// <see cref="WebSocketClientOptions.ConnectTimeout"/>, or the server's answer longer than the handshake's own
    /// <see cref="Handshake.HandshakeOptions.Timeout"/>.
    /// </summary>
    Timeout,
}
