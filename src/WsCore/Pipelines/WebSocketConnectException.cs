using WsCore.Handshake;

namespace WsCore.Pipelines;

/// <summary>
/// Why a client could not connect: the step that failed, the HTTP status of the server or proxy that refused, and the
/// server's answer when there was one. <see cref="SocketWebSockets.ConnectAsync"/> returns it in
/// <see cref="WebSocketClientConnection.Error"/> (it never throws for what the network or the server does);
/// <c>WsCoreWebSocket.ConnectAsync</c> throws a <see cref="System.Net.WebSockets.WebSocketException"/>, as
/// <c>ClientWebSocket</c> does, with this exception as its <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class WebSocketConnectException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="failure">The step that failed.</param>
    /// <param name="message">What happened, for people.</param>
    /// <param name="statusCode">The HTTP status the server or proxy answered with, or 0.</param>
    /// <param name="handshakeError">Why the server's answer was refused, or <see cref="HandshakeResponseError.None"/>.</param>
    /// <param name="response">The server's answer, or null.</param>
    /// <param name="innerException">The exception of the step that failed (socket, TLS), or null.</param>
    public WebSocketConnectException(WebSocketConnectFailure failure, string message, int statusCode = 0,
        HandshakeResponseError handshakeError = HandshakeResponseError.None, HandshakeResponse? response = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        StatusCode = statusCode;
        HandshakeError = handshakeError;
        Response = response;
    }

    /// <summary>The step that failed.</summary>
    public WebSocketConnectFailure Failure { get; }

    /// <summary>
    /// The HTTP status that refused the connection: the server's (for <see cref="WebSocketConnectFailure.Handshake"/>,
    /// e.g. 403) or the proxy's (for <see cref="WebSocketConnectFailure.Proxy"/>, e.g. 407); 0 when no status was read.
    /// </summary>
    public int StatusCode { get; }

    /// <summary>
    /// Why the server's answer failed the handshake (RFC 6455 §4.1): <see cref="HandshakeResponseError.UnexpectedStatusCode"/>
    /// for a status other than 101, another value for an invalid 101; <see cref="HandshakeResponseError.None"/> for the
    /// other steps.
    /// </summary>
    public HandshakeResponseError HandshakeError { get; }

    /// <summary>The server's answer when a whole head was read (its headers, e.g. WWW-Authenticate or Retry-After), or null.</summary>
    public HandshakeResponse? Response { get; }
}
