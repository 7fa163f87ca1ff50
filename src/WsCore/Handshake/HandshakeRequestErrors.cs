namespace WsCore.Handshake;

/// <summary>The one table from <see cref="HandshakeRequestError"/> to HTTP status code and reason text.</summary>
public static class HandshakeRequestErrors
{
    /// <summary>The HTTP status a server answers with for <paramref name="error"/>; 0 for <see cref="HandshakeRequestError.None"/>.</summary>
    public static int StatusCode(HandshakeRequestError error) => error switch
    {
        HandshakeRequestError.None => 0,
        HandshakeRequestError.RequestLineTooLong => 414,
        HandshakeRequestError.HeaderLineTooLong or HandshakeRequestError.HeadersTooLarge or HandshakeRequestError.TooManyHeaders => 431,
        HandshakeRequestError.MethodNotAllowed => 405,
        HandshakeRequestError.UnsupportedHttpVersion => 505,
        HandshakeRequestError.UnsupportedWebSocketVersion => 426,
        HandshakeRequestError.TimedOut => 408,
        _ => 400,
    };

    /// <summary>A short human-readable reason for <paramref name="error"/>, suitable as a response body.</summary>
    public static string Reason(HandshakeRequestError error) => error switch
    {
        HandshakeRequestError.None => "",
        HandshakeRequestError.InvalidLineEnding => "Lines must end in CRLF.",
        HandshakeRequestError.InvalidRequestLine => "Malformed request line.",
        HandshakeRequestError.ObsoleteLineFolding => "Obsolete line folding is not accepted.",
        HandshakeRequestError.MissingColon => "Header line without a colon.",
        HandshakeRequestError.WhitespaceBeforeColon => "Whitespace between header name and colon.",
        HandshakeRequestError.InvalidHeaderName => "Invalid header name.",
        HandshakeRequestError.InvalidHeaderValue => "Invalid character in header value.",
        HandshakeRequestError.RequestLineTooLong => "Request line too long.",
        HandshakeRequestError.HeaderLineTooLong => "Header line too long.",
        HandshakeRequestError.HeadersTooLarge => "Request headers too large.",
        HandshakeRequestError.TooManyHeaders => "Too many request headers.",
        HandshakeRequestError.MethodNotAllowed => "A WebSocket upgrade must use GET.",
        HandshakeRequestError.UnsupportedHttpVersion => "A WebSocket upgrade needs HTTP/1.1.",
        HandshakeRequestError.InvalidRequestTarget => "Invalid request target.",
        HandshakeRequestError.InvalidHost => "Exactly one valid Host header is required.",
        HandshakeRequestError.MissingUpgradeWebSocket => "Upgrade header must contain 'websocket'.",
        HandshakeRequestError.MissingConnectionUpgrade => "Connection header must contain 'Upgrade'.",
        HandshakeRequestError.InvalidKey => "Sec-WebSocket-Key must be base64 of 16 bytes.",
        HandshakeRequestError.UnsupportedWebSocketVersion => "Sec-WebSocket-Version must be 13.",
        HandshakeRequestError.InvalidOrigin => "Invalid Origin header.",
        HandshakeRequestError.InvalidSubprotocolList => "Invalid Sec-WebSocket-Protocol header.",
        HandshakeRequestError.RequestBodyNotAllowed => "A WebSocket upgrade request has no body.",
        HandshakeRequestError.IncompleteRequest => "The request head was not complete.",
        HandshakeRequestError.TimedOut => "The request head did not arrive in time.",
        _ => "Bad request.",
    };
}
