namespace WsCore.Closing;

/// <summary>
/// Close status codes (RFC 6455 §7.4) and the rules for which may appear on the wire.
/// </summary>
public static class CloseCodes
{
    /// <summary>1000: the purpose of the connection has been fulfilled.</summary>
    public const ushort NormalClosure = 1000;
    /// <summary>1001: the endpoint is going away (server shutdown, page navigation).</summary>
    public const ushort GoingAway = 1001;
    /// <summary>1002: the peer broke the protocol.</summary>
    public const ushort ProtocolError = 1002;
    /// <summary>1003: the endpoint cannot accept this type of data.</summary>
    public const ushort UnsupportedData = 1003;
    /// <summary>1005: reserved; stands for "no status code was present". Never sent on the wire.</summary>
    public const ushort NoStatusReceived = 1005;
    /// <summary>1006: reserved; stands for "the connection closed without a close frame". Never sent on the wire.</summary>
    public const ushort AbnormalClosure = 1006;
    /// <summary>1007: a message's data was not consistent with its type (e.g. invalid UTF-8 in a text message).</summary>
    public const ushort InvalidPayloadData = 1007;
    /// <summary>1008: a message violated the endpoint's policy.</summary>
    public const ushort PolicyViolation = 1008;
    /// <summary>1009: a message was too big to process.</summary>
    public const ushort MessageTooBig = 1009;
    /// <summary>1010: (client) the server did not negotiate an extension the client requires.</summary>
    public const ushort MandatoryExtension = 1010;
    /// <summary>1011: (server) an unexpected condition prevented the server from fulfilling the request.</summary>
    public const ushort InternalError = 1011;
    /// <summary>1012: the service is restarting.</summary>
    public const ushort ServiceRestart = 1012;
    /// <summary>1013: try again later (temporary overload).</summary>
    public const ushort TryAgainLater = 1013;
    /// <summary>1014: a gateway or proxy received an invalid response from the upstream server.</summary>
    public const ushort BadGateway = 1014;
    /// <summary>1015: reserved; stands for "the TLS handshake failed". Never sent on the wire.</summary>
    public const ushort TlsHandshakeFailed = 1015;

    /// <summary>
    /// True when a close frame received from a peer may carry this code: 1000-1003, 1007-1014 and 3000-4999
    /// (registered, library and private codes). 0-999, 1004-1006, 1015, 1016-2999 and 5000+ are protocol errors.
    /// </summary>
    public static bool IsValidOnWire(int code) => code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    /// <summary>True when this endpoint may put the code in a close frame; the same set as <see cref="IsValidOnWire"/>.</summary>
    public static bool IsValidToSend(int code) => IsValidOnWire(code);
}
