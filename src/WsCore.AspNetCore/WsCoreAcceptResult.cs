using System.Diagnostics.CodeAnalysis;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;

namespace WsCore.AspNetCore;

/// <summary>
/// What <see cref="WsCoreHttpContextExtensions.AcceptWsCoreAsync"/> did with a request: accepted it (the connection,
/// with the validated request and what the handshake agreed), or answered it with an error status (already sent;
/// nothing more to do but return).
/// </summary>
public sealed class WsCoreAcceptResult
{
    private WsCoreAcceptResult(int statusCode, HandshakeRequestError error, string? reason, HandshakeRequest? request,
        ServerHandshakeResponse? response, WebSocketConnection? connection)
    {
        StatusCode = statusCode;
        Error = error;
        Reason = reason;
        Request = request;
        Connection = connection;
        Subprotocol = response?.Subprotocol;
        PerMessageDeflate = response?.PerMessageDeflate;
    }

    internal static WsCoreAcceptResult Accepted(HandshakeRequest request, ServerHandshakeResponse response, WebSocketConnection connection)
        => new(response.StatusCode, HandshakeRequestError.None, null, request, response, connection);

    internal static WsCoreAcceptResult Rejected(int statusCode, HandshakeRequestError error, string reason, HandshakeRequest? request)
        => new(statusCode, error, reason, request, null, null);

    /// <summary>True when the WebSocket was accepted: <see cref="Connection"/> and <see cref="Request"/> are set.</summary>
    [MemberNotNullWhen(true, nameof(Connection), nameof(Request))]
    public bool IsAccepted => Connection is not null;

    /// <summary>
    /// The status sent: 101 (an HTTP/1.1 upgrade), 200 (an HTTP/2 extended CONNECT, RFC 8441 §5), or the rejection's
    /// 4xx (e.g. 400, 403, 405, 426).
    /// </summary>
    public int StatusCode { get; }

    /// <summary>
    /// Why the request failed RFC 6455 (or RFC 8441) validation; <see cref="HandshakeRequestError.None"/> when it was
    /// accepted, and when a valid request was refused (by <see cref="WsCoreAcceptOptions.AllowedOrigins"/>, the
    /// policy, or because the server cannot upgrade it).
    /// </summary>
    public HandshakeRequestError Error { get; }

    /// <summary>For a rejection, the reason sent as the body; null when accepted.</summary>
    public string? Reason { get; }

    /// <summary>The validated request (path, Host, Origin, offered subprotocols and extensions); null when validation failed.</summary>
    public HandshakeRequest? Request { get; }

    /// <summary>
    /// The accepted connection, or null for a rejection. The caller owns it: dispose it when done (it is disposed
    /// when the request ends at the latest).
    /// </summary>
    public WebSocketConnection? Connection { get; }

    /// <summary>The agreed subprotocol, or null for none.</summary>
    public string? Subprotocol { get; }

    /// <summary>The agreed permessage-deflate parameters, or null when the connection runs without compression.</summary>
    public PerMessageDeflateParameters? PerMessageDeflate { get; }

    /// <summary>True when the WebSocket runs over HTTP/2 or HTTP/3 (an extended CONNECT, RFC 8441) rather than an HTTP/1.1 upgrade.</summary>
    public bool IsExtendedConnect => Request?.IsExtendedConnect == true;
}
