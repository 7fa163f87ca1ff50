namespace WsCore.Handshake;

/// <summary>
/// The parts of an upgrade request that RFC 6455 §4.2.1 validates, for hosts whose HTTP server already parsed
/// the request (Kestrel, HttpListener...). Pass each header's value as the host holds it; when a header came in
/// several lines, join the values with "," or ", " (as <c>StringValues.ToString()</c> does): a repeated Host,
/// Sec-WebSocket-Key, Sec-WebSocket-Version or Origin then fails validation, as it does in
/// <see cref="HandshakeRequestReader"/>. A null value means the header was absent.
/// </summary>
public readonly struct UpgradeRequestFields
{
    /// <summary>The request method, e.g. <c>GET</c> (case-sensitive).</summary>
    public string? Method { get; init; }

    /// <summary>The protocol version as on the request line, e.g. <c>HTTP/1.1</c>.</summary>
    public string? Protocol { get; init; }

    /// <summary>The request-target as on the request line: path and query (<c>/chat?x=1</c>), or an absolute URI; for an extended CONNECT, the <c>:path</c>.</summary>
    public string? Target { get; init; }

    /// <summary>The Host header.</summary>
    public string? Host { get; init; }

    /// <summary>The Upgrade header; for an extended CONNECT (<see cref="ServerHandshake.ValidateExtendedConnect"/>), the <c>:protocol</c> pseudo-header.</summary>
    public string? Upgrade { get; init; }

    /// <summary>The Connection header.</summary>
    public string? Connection { get; init; }

    /// <summary>The Sec-WebSocket-Key header.</summary>
    public string? SecWebSocketKey { get; init; }

    /// <summary>The Sec-WebSocket-Version header.</summary>
    public string? SecWebSocketVersion { get; init; }

    /// <summary>The Origin header.</summary>
    public string? Origin { get; init; }

    /// <summary>The Sec-WebSocket-Protocol header (all lines joined).</summary>
    public string? SecWebSocketProtocol { get; init; }

    /// <summary>The Sec-WebSocket-Extensions header (all lines joined), passed through unparsed.</summary>
    public string? SecWebSocketExtensions { get; init; }

    /// <summary>The Content-Length header.</summary>
    public string? ContentLength { get; init; }

    /// <summary>The Transfer-Encoding header.</summary>
    public string? TransferEncoding { get; init; }
}
