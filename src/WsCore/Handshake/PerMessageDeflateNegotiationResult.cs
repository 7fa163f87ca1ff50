namespace WsCore.Handshake;

/// <summary>The outcome of a permessage-deflate negotiation step. Only <see cref="Accepted"/> yields parameters.</summary>
public enum PerMessageDeflateNegotiationResult
{
    /// <summary>permessage-deflate is agreed; the parameters are valid.</summary>
    Accepted = 0,

    /// <summary>
    /// Not in use, and not an error. Client: the response has no permessage-deflate (continue uncompressed).
    /// Server: no offer could be honoured, or compression is disabled (answer without the extension).
    /// </summary>
    NotNegotiated,

    /// <summary>The header value does not follow the RFC 6455 §9.1 grammar.</summary>
    MalformedHeader,

    /// <summary>Client: the response names an extension the client did not offer (RFC 6455 §4.1: fail).</summary>
    UnexpectedExtension,

    /// <summary>Client: the response accepts permessage-deflate more than once.</summary>
    DuplicateExtension,

    /// <summary>Client: the response has a parameter RFC 7692 does not define for a response.</summary>
    UnknownParameter,

    /// <summary>Client: the response has the same parameter twice.</summary>
    DuplicateParameter,

    /// <summary>
    /// Client: a parameter value is not allowed: a value on a parameter that takes none, no value where one is needed,
    /// or window bits that are not a decimal 8-15 without leading zeros.
    /// </summary>
    InvalidParameterValue,

    /// <summary>
    /// Client: the response is well-formed but does not fit the offer: <c>client_max_window_bits</c> although the client
    /// did not offer it, a window larger than offered, or no <c>server_max_window_bits</c> when the client required one.
    /// </summary>
    ResponseDoesNotMatchOffer,
}
