namespace WsCore.Handshake;

/// <summary>Why a client fails the opening handshake on the server's response (RFC 6455 §4.1, "_Fail the WebSocket Connection_").</summary>
public enum HandshakeResponseError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>A line ended in a bare LF or a bare CR.</summary>
    InvalidLineEnding,

    /// <summary>The status line is not <c>HTTP/1.x SP 3DIGIT [SP reason]</c>.</summary>
    InvalidStatusLine,

    /// <summary>A header line starts with whitespace (obsolete line folding).</summary>
    ObsoleteLineFolding,

    /// <summary>A header line has no colon.</summary>
    MissingColon,

    /// <summary>Whitespace between a header name and its colon.</summary>
    WhitespaceBeforeColon,

    /// <summary>A header name is empty or not a token.</summary>
    InvalidHeaderName,

    /// <summary>A header value holds a control character.</summary>
    InvalidHeaderValue,

    /// <summary>The status line is longer than <see cref="HandshakeOptions.MaxStartLineLength"/>.</summary>
    StatusLineTooLong,

    /// <summary>A header line is longer than <see cref="HandshakeOptions.MaxHeaderLineLength"/>.</summary>
    HeaderLineTooLong,

    /// <summary>The head is larger than <see cref="HandshakeOptions.MaxHeaderBytes"/>.</summary>
    HeadersTooLarge,

    /// <summary>More header lines than <see cref="HandshakeOptions.MaxHeaderCount"/>.</summary>
    TooManyHeaders,

    /// <summary>The version is not HTTP/1.1 or a higher 1.x.</summary>
    UnsupportedHttpVersion,

    /// <summary>The status is not 101 (RFC 6455 §4.1: the response's status code is in <see cref="HandshakeResponseReader.StatusCode"/>).</summary>
    UnexpectedStatusCode,

    /// <summary>Upgrade is missing or is not <c>websocket</c>.</summary>
    MissingUpgradeWebSocket,

    /// <summary>Connection does not hold the token <c>Upgrade</c>.</summary>
    MissingConnectionUpgrade,

    /// <summary>Sec-WebSocket-Accept is missing or repeated.</summary>
    MissingAccept,

    /// <summary>Sec-WebSocket-Accept is not the value expected for the key the client sent.</summary>
    AcceptMismatch,

    /// <summary>Sec-WebSocket-Protocol is repeated, a list, or a value the client did not offer (RFC 6455 §4.1).</summary>
    SubprotocolNotOffered,

    /// <summary>
    /// Sec-WebSocket-Extensions names an extension the client did not offer: any extension when it offered none, or one
    /// other than permessage-deflate (RFC 6455 §4.1).
    /// </summary>
    ExtensionNotOffered,

    /// <summary>The connection ended before the response head was complete.</summary>
    IncompleteResponse,

    /// <summary>Sec-WebSocket-Extensions does not follow the RFC 6455 §9.1 grammar (the client offered an extension).</summary>
    MalformedExtensions,

    /// <summary>
    /// The permessage-deflate answer is one the client cannot accept (RFC 7692 §5, §7.1): accepted twice, a parameter
    /// unknown, repeated or with a bad value, or not matching the offer (e.g. <c>client_max_window_bits</c> the client
    /// did not offer, a window larger than offered, a <c>server_max_window_bits</c> or <c>server_no_context_takeover</c>
    /// the client asked for and did not get).
    /// </summary>
    InvalidPerMessageDeflateAnswer,

    /// <summary>
    /// The response head was not complete within the handshake timeout (<see cref="HandshakeOptions.Timeout"/>). Not
    /// reported by the reader (it has no clock) but by the adapters that run it.
    /// </summary>
    TimedOut,
}
