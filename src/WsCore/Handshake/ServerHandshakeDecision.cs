using WsCore.Compression;

namespace WsCore.Handshake;

/// <summary>
/// What a server's policy decides about an upgrade request that passed RFC 6455 validation: accept (with a subprotocol
/// the client offered) or reject with an HTTP status. permessage-deflate is negotiated by the handshake layer
/// (<see cref="ServerHandshake.CreateResponse"/>) against the server's <see cref="PerMessageDeflateOptions"/>; a decision
/// may override those options for its request (<see cref="PerMessageDeflate"/>) or answer extensions of its own
/// (<see cref="Extensions"/>).
/// </summary>
public readonly struct ServerHandshakeDecision
{
    private ServerHandshakeDecision(bool accept, string? subprotocol, string? extensions, int statusCode, string? reason)
    {
        IsAccepted = accept;
        Subprotocol = subprotocol;
        Extensions = extensions;
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>True to answer 101 Switching Protocols.</summary>
    public bool IsAccepted { get; }

    /// <summary>
    /// The chosen subprotocol, or null. It must be one the client offered (RFC 6455 §4.2.2, see
    /// <see cref="HandshakeRequest.OffersSubprotocol"/>): any other is a bug in the policy, which
    /// <see cref="ServerHandshake.CreateResponse"/> refuses with an <see cref="ArgumentException"/>.
    /// </summary>
    public string? Subprotocol { get; }

    /// <summary>
    /// A Sec-WebSocket-Extensions answer of the policy's own, sent as it is, or null (the usual case) to let the
    /// handshake layer negotiate permessage-deflate. When set, permessage-deflate is not negotiated for this
    /// connection; the empty string answers no extension at all. It may not name permessage-deflate (WsCore's engine
    /// runs it only when the handshake layer negotiated it: use <see cref="PerMessageDeflate"/>).
    /// </summary>
    public string? Extensions { get; }

    /// <summary>
    /// The permessage-deflate policy for this request, overriding the server's (e.g.
    /// <see cref="PerMessageDeflateOptions.Disabled"/> to decline compression on one path); null to use the server's.
    /// Not allowed together with <see cref="Extensions"/>.
    /// </summary>
    public PerMessageDeflateOptions? PerMessageDeflate { get; init; }

    /// <summary>For a rejection, the HTTP status (e.g. 403, 404).</summary>
    public int StatusCode { get; }

    /// <summary>For a rejection, the reason sent as the body.</summary>
    public string? Reason { get; }

    /// <summary>Accept the request.</summary>
    /// <param name="subprotocol">A subprotocol the client offered, or null for none.</param>
    /// <param name="extensions">Null to let the handshake layer negotiate permessage-deflate (the usual case), or an
    /// answer of the policy's own (see <see cref="Extensions"/>).</param>
    public static ServerHandshakeDecision Accept(string? subprotocol = null, string? extensions = null) => new(true, subprotocol, extensions, 101, null);

    /// <summary>Refuse the request with an HTTP status and a reason.</summary>
    /// <param name="statusCode">A 4xx or 5xx status, e.g. 403 for a disallowed Origin or 404 for an unknown path.</param>
    /// <param name="reason">The body text.</param>
    public static ServerHandshakeDecision Reject(int statusCode, string reason) => new(false, null, null, statusCode, reason);
}
