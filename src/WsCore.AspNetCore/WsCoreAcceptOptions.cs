using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;

namespace WsCore.AspNetCore;

/// <summary>
/// How <see cref="WsCoreHttpContextExtensions.AcceptWsCoreAsync"/> (and <c>MapWsCore</c>) accept a WebSocket request: the
/// connection's options, which Origins may connect, and a policy for everything else (subprotocol, path, query).
/// Subprotocol and permessage-deflate are negotiated by WsCore's handshake layer
/// (<see cref="ServerHandshake.CreateResponse"/>), against <see cref="Connection"/>'s
/// <see cref="WsCore.Protocol.WebSocketProtocolOptions.PerMessageDeflate"/> and the policy's decision.
/// </summary>
public sealed record WsCoreAcceptOptions
{
    /// <summary>The options used when none are given: defaults throughout, every Origin allowed, no policy.</summary>
    public static WsCoreAcceptOptions Default { get; } = new();

    /// <summary>
    /// The connection's options (limits, keep-alive, close timeout, backpressure), and through
    /// <see cref="WsCore.Protocol.WebSocketProtocolOptions.PerMessageDeflate"/> the server's permessage-deflate policy
    /// (off by default: set <see cref="PerMessageDeflateOptions.Enabled"/> to accept compression).
    /// </summary>
    public WebSocketConnectionOptions Connection { get; init; } = WebSocketConnectionOptions.Default;

    /// <summary>
    /// The Origins (RFC 6454 serializations such as <c>https://example.com</c>, compared ASCII-case-insensitively) a
    /// request may come from; a request from any other Origin is refused with 403 before the policy runs. Requests
    /// without an Origin header (non-browser clients) are not affected. Null (the default) allows every Origin.
    /// </summary>
    public IReadOnlyCollection<string>? AllowedOrigins { get; init; }

    /// <summary>
    /// Decides on each valid request (after <see cref="AllowedOrigins"/>): accept, with a subprotocol the client offered
    /// (<see cref="ServerHandshakeDecision.Accept"/>), or reject with a status (<see cref="ServerHandshakeDecision.Reject"/>,
    /// e.g. 403, 404). Null accepts every valid request without a subprotocol. A decision that breaks RFC 6455 (a
    /// subprotocol the client did not offer) is a bug: the accept throws the <see cref="ArgumentException"/> of
    /// <see cref="ServerHandshake.CreateResponse"/>.
    /// </summary>
    public Func<HandshakeRequest, ServerHandshakeDecision>? Policy { get; init; }
}
