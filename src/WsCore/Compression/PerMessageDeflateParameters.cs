using WsCore.Framing;
namespace WsCore.Compression;

/// <summary>
/// The permessage-deflate parameters both endpoints agreed on in the handshake (RFC 7692 §7.1): for each direction,
/// the largest LZ77 window the sender may use and whether it resets its context after each message. The names follow
/// the RFC: "server" is the direction server → client, "client" is client → server.
/// </summary>
public readonly struct PerMessageDeflateParameters : IEquatable<PerMessageDeflateParameters>
{
    /// <summary>Creates a set of agreed parameters.</summary>
    /// <param name="serverMaxWindowBits">Window bits (8-15) the server compresses with.</param>
    /// <param name="serverNoContextTakeover">True if the server resets its compression context after each message.</param>
    /// <param name="clientMaxWindowBits">Window bits (8-15) the client compresses with.</param>
    /// <param name="clientNoContextTakeover">True if the client resets its compression context after each message.</param>
    /// <exception cref="ArgumentOutOfRangeException">A window is outside 8-15.</exception>
    public PerMessageDeflateParameters(int serverMaxWindowBits, bool serverNoContextTakeover,
        int clientMaxWindowBits, bool clientNoContextTakeover)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(serverMaxWindowBits, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(serverMaxWindowBits, 15);
        ArgumentOutOfRangeException.ThrowIfLessThan(clientMaxWindowBits, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(clientMaxWindowBits, 15);
        ServerMaxWindowBits = (byte)serverMaxWindowBits;
        ClientMaxWindowBits = (byte)clientMaxWindowBits;
        ServerNoContextTakeover = serverNoContextTakeover;
        ClientNoContextTakeover = clientNoContextTakeover;
    }

    /// <summary>The parameters of a plain <c>permessage-deflate</c> answer: 15-bit windows, context takeover both ways.</summary>
    public static PerMessageDeflateParameters Default => new(15, false, 15, false);

    /// <summary>Window bits (8-15) the server compresses with (<c>server_max_window_bits</c>, 15 when absent).</summary>
    public int ServerMaxWindowBits { get; }

    /// <summary>True if the server resets its compression context after each message (<c>server_no_context_takeover</c>).</summary>
    public bool ServerNoContextTakeover { get; }

    /// <summary>Window bits (8-15) the client compresses with (<c>client_max_window_bits</c>, 15 when absent).</summary>
    public int ClientMaxWindowBits { get; }

    /// <summary>True if the client resets its compression context after each message (<c>client_no_context_takeover</c>).</summary>
    public bool ClientNoContextTakeover { get; }

    /// <summary>
    /// Server side: the accepted offer named <c>server_max_window_bits</c>, so the response must name it too, even at 15
    /// (RFC 7692 §7.1.2.1: a server accepts that parameter by including it). Set by
    /// the server's negotiation (<c>WsCore.Handshake.PerMessageDeflateNegotiation.SelectOffer</c>);
    /// it shapes the response text only and takes no part in equality.
    /// </summary>
    public bool ServerMaxWindowBitsRequested { get; init; }

    /// <summary>Window bits of the messages this endpoint sends.</summary>
    /// <param name="role">This endpoint's role.</param>
    public int SendWindowBits(WebSocketRole role) => role == WebSocketRole.Server ? ServerMaxWindowBits : ClientMaxWindowBits;

    /// <summary>Whether this endpoint resets its compressor after each message it sends.</summary>
    /// <param name="role">This endpoint's role.</param>
    public bool SendNoContextTakeover(WebSocketRole role) => role == WebSocketRole.Server ? ServerNoContextTakeover : ClientNoContextTakeover;

    /// <summary>Window bits of the messages the peer sends (what this endpoint's inflater needs).</summary>
    /// <param name="role">This endpoint's role.</param>
    public int ReceiveWindowBits(WebSocketRole role) => role == WebSocketRole.Server ? ClientMaxWindowBits : ServerMaxWindowBits;

    /// <summary>Whether the peer resets its compressor after each message (so this endpoint may reset its inflater).</summary>
    /// <param name="role">This endpoint's role.</param>
    public bool ReceiveNoContextTakeover(WebSocketRole role) => role == WebSocketRole.Server ? ClientNoContextTakeover : ServerNoContextTakeover;

    /// <inheritdoc/>
    public bool Equals(PerMessageDeflateParameters other) =>
        ServerMaxWindowBits == other.ServerMaxWindowBits && ClientMaxWindowBits == other.ClientMaxWindowBits &&
        ServerNoContextTakeover == other.ServerNoContextTakeover && ClientNoContextTakeover == other.ClientNoContextTakeover;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PerMessageDeflateParameters p && Equals(p);

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(ServerMaxWindowBits, ClientMaxWindowBits, ServerNoContextTakeover, ClientNoContextTakeover);

    /// <summary>True if both sets of parameters are equal.</summary>
    public static bool operator ==(PerMessageDeflateParameters left, PerMessageDeflateParameters right) => left.Equals(right);

    /// <summary>True if the sets of parameters differ.</summary>
    public static bool operator !=(PerMessageDeflateParameters left, PerMessageDeflateParameters right) => !left.Equals(right);

    /// <summary>The parameters as a server's <c>Sec-WebSocket-Extensions</c> answer would state them.</summary>
    public override string ToString() => PerMessageDeflateText.CreateResponse(this);
}
