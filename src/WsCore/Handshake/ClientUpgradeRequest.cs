using WsCore.Compression;

namespace WsCore.Handshake;

/// <summary>What a client puts in its upgrade request (RFC 6455 §4.1). Written by <see cref="HandshakeRequestWriter"/>.</summary>
public sealed class ClientUpgradeRequest
{
    /// <summary>The Host header: host and optional port, e.g. <c>example.com:8080</c>.</summary>
    public required string Host { get; init; }

    /// <summary>The request-target: path and query, e.g. <c>/chat?room=1</c>. Default <c>/</c>.</summary>
    public string Target { get; init; } = "/";

    /// <summary>The Origin header, or null to send none (non-browser clients usually send none).</summary>
    public string? Origin { get; init; }

    /// <summary>The subprotocols to offer, most preferred first; null or empty for none.</summary>
    public IReadOnlyList<string>? Subprotocols { get; init; }

    /// <summary>
    /// The permessage-deflate policy (RFC 7692): when enabled, the request offers it (Sec-WebSocket-Extensions) and
    /// <see cref="HandshakeResponseReader"/> checks the server's answer against the offer and yields the agreed
    /// parameters. Null or disabled: no extension is offered, and an answer naming one fails the handshake. Pass the
    /// connection's own options (<c>WebSocketProtocolOptions.PerMessageDeflate</c>).
    /// </summary>
    public PerMessageDeflateOptions? PerMessageDeflate { get; init; }

    /// <summary>
    /// More headers to send (Authorization, Cookie, User-Agent...), in order (<see cref="UpgradeRequestHeaders"/> checks
    /// them as they are added). The writer throws <see cref="ArgumentException"/> for a name that is not a token, a value
    /// with CR, LF or another control character, and a header the handshake owns: Host, Upgrade, Connection,
    /// Sec-WebSocket-Key, Sec-WebSocket-Version, Sec-WebSocket-Protocol, Sec-WebSocket-Extensions, Sec-WebSocket-Accept,
    /// Origin, Content-Length and Transfer-Encoding.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? ExtraHeaders { get; init; }
}
