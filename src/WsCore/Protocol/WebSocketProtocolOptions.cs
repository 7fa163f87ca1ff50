using WsCore.Compression;

namespace WsCore.Protocol;

/// <summary>Limits and behaviours of a <see cref="WebSocketProtocol"/>. The defaults are safe for a public server.</summary>
public sealed record WebSocketProtocolOptions
{
    /// <summary>The shared default options.</summary>
    public static WebSocketProtocolOptions Default { get; } = new();

    /// <summary>The largest payload one frame may announce; a larger one fails the connection with 1009. Default 16 MiB.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public long MaxFramePayloadLength { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } } = 16 * 1024 * 1024;

    /// <summary>The largest message (all fragments, after decompression); a larger one fails the connection with 1009. Default 64 MiB.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public long MaxMessageLength { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } } = 64 * 1024 * 1024;

    /// <summary>
    /// The most frames one message may be split into; more fail the connection with 1009 (a flood of tiny
    /// fragments costs per-frame work with no payload to bound it). Default 131072.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1 (a message has at least one frame).</exception>
    public int MaxFragmentsPerMessage { get; init { ArgumentOutOfRangeException.ThrowIfLessThan(value, 1); field = value; } } = 128 * 1024;

    /// <summary>Answer every ping with a pong carrying its payload (§5.5.2). Default true.</summary>
    public bool AutoPong { get; init; } = true;

    /// <summary>
    /// Answer the peer's close frame with a close frame echoing its code as soon as it arrives (§5.5.1). Default true.
    /// When false, the state stays <see cref="CloseHandshakeState.CloseReceived"/> until the application sends its own close.
    /// </summary>
    public bool AutoCloseReply { get; init; } = true;

    /// <summary>
    /// The local permessage-deflate policy (RFC 7692): whether to offer or accept it, the window and context-takeover
    /// limits, the zlib compression and memory levels. Disabled by default. The handshake negotiates with it; the
    /// engine uses its levels when a negotiation succeeded.
    /// </summary>
    public PerMessageDeflateOptions PerMessageDeflate { get; init; } = PerMessageDeflateOptions.Disabled;
}
