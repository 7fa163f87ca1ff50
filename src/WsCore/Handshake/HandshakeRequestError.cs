namespace WsCore.Handshake;

/// <summary>
/// Why a server rejects an upgrade request. <see cref="HandshakeRequestErrors"/> maps each to the HTTP status
/// to answer with and a short reason text.
/// </summary>
public enum HandshakeRequestError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>A line ended in a bare LF or a bare CR (RFC 9112 §2.2: CRLF required). 400.</summary>
    InvalidLineEnding,

    /// <summary>The request line is not <c>method SP request-target SP HTTP-version</c> of valid characters. 400.</summary>
    InvalidRequestLine,

    /// <summary>A header line starts with whitespace: obsolete line folding (RFC 9112 §5.2). 400.</summary>
    ObsoleteLineFolding,

    /// <summary>A header line has no colon. 400.</summary>
    MissingColon,

    /// <summary>Whitespace between a header name and its colon (RFC 9112 §5.1). 400.</summary>
    WhitespaceBeforeColon,

    /// <summary>A header name is empty or not a token. 400.</summary>
    InvalidHeaderName,

    /// <summary>A header value holds NUL, CR, LF, DEL or another control character. 400.</summary>
    InvalidHeaderValue,

    /// <summary>The request line is longer than <see cref="HandshakeOptions.MaxStartLineLength"/>. 414.</summary>
    RequestLineTooLong,

    /// <summary>A header line is longer than <see cref="HandshakeOptions.MaxHeaderLineLength"/>. 431.</summary>
    HeaderLineTooLong,

    /// <summary>The head is larger than <see cref="HandshakeOptions.MaxHeaderBytes"/>. 431.</summary>
    HeadersTooLarge,

    /// <summary>More header lines than <see cref="HandshakeOptions.MaxHeaderCount"/>. 431.</summary>
    TooManyHeaders,

    /// <summary>The method is not GET (RFC 6455 §4.1 item 2). 405.</summary>
    MethodNotAllowed,

    /// <summary>The version is well formed but not HTTP/1.1 or a higher 1.x (RFC 6455 §4.1 item 2). 505.</summary>
    UnsupportedHttpVersion,

    /// <summary>The request-target is not an origin-form or ws/wss/http/https absolute-form target, or holds a fragment. 400.</summary>
    InvalidRequestTarget,

    /// <summary>Host is missing, empty, repeated or not a valid host[:port] (RFC 6455 §4.1 item 4). 400.</summary>
    InvalidHost,

    /// <summary>Upgrade does not hold the token <c>websocket</c> (RFC 6455 §4.1 item 5). 400.</summary>
    MissingUpgradeWebSocket,

    /// <summary>Connection does not hold the token <c>Upgrade</c> (RFC 6455 §4.1 item 6). 400.</summary>
    MissingConnectionUpgrade,

    /// <summary>Sec-WebSocket-Key is missing, repeated, or not base64 of exactly 16 bytes (RFC 6455 §4.1 item 7). 400.</summary>
    InvalidKey,

    /// <summary>Sec-WebSocket-Version is missing, repeated or not 13 (RFC 6455 §4.2.2). 426 with <c>Sec-WebSocket-Version: 13</c>.</summary>
    UnsupportedWebSocketVersion,

    /// <summary>Origin is repeated or not a serialized origin. 400.</summary>
    InvalidOrigin,

    /// <summary>Sec-WebSocket-Protocol holds an element that is not a token (RFC 6455 §4.1 item 10). 400.</summary>
    InvalidSubprotocolList,

    /// <summary>The request announces a body (Transfer-Encoding, or a Content-Length other than 0). 400.</summary>
    RequestBodyNotAllowed,

    /// <summary>The connection ended before the request head was complete. No answer is sent.</summary>
    IncompleteRequest,

    /// <summary>
    /// The request head was not complete within the handshake timeout (<see cref="HandshakeOptions.Timeout"/>; a
    /// slowloris client). Not reported by the reader (it has no clock) but by the adapters that run it. 408.
    /// </summary>
    TimedOut,
}

