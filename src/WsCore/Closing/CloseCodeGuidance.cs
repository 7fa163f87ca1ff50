namespace WsCore.Closing;

/// <summary>Pure helpers that explain close codes (RFC 6455 §7.4, IANA WebSocket Close Code registry) to an embedder.</summary>
public static class CloseCodeGuidance
{
    /// <summary>What to do after a connection closed with <paramref name="code"/>.</summary>
    /// <param name="code">The close code received (or 1006 when the transport ended without a close frame).</param>
    public static CloseCodeAdvice GetAdvice(int code) => code switch
    {
        CloseCodes.NormalClosure => CloseCodeAdvice.Done,
        CloseCodes.GoingAway or CloseCodes.AbnormalClosure or CloseCodes.InternalError or CloseCodes.ServiceRestart
            or CloseCodes.TryAgainLater or CloseCodes.BadGateway => CloseCodeAdvice.ReconnectWithBackoff,
        CloseCodes.ProtocolError or CloseCodes.UnsupportedData or CloseCodes.InvalidPayloadData or CloseCodes.PolicyViolation
            or CloseCodes.MessageTooBig or CloseCodes.MandatoryExtension => CloseCodeAdvice.StopAndReport,
        CloseCodes.NoStatusReceived => CloseCodeAdvice.NoStatus,
        CloseCodes.TlsHandshakeFailed => CloseCodeAdvice.TlsFailure,
        >= 3000 and <= 3999 => CloseCodeAdvice.RegisteredByLibrary,
        >= 4000 and <= 4999 => CloseCodeAdvice.ApplicationDefined,
        _ => CloseCodeAdvice.Invalid,
    };

    /// <summary>True when the advice for <paramref name="code"/> is <see cref="CloseCodeAdvice.ReconnectWithBackoff"/>.</summary>
    /// <param name="code">The close code.</param>
    public static bool ShouldReconnect(int code) => GetAdvice(code) == CloseCodeAdvice.ReconnectWithBackoff;

    /// <summary>A short English description of what the code means (a constant string; no allocation).</summary>
    /// <param name="code">The close code.</param>
    public static string GetDescription(int code) => code switch
    {
        CloseCodes.NormalClosure => "normal closure: the purpose of the connection was fulfilled",
        CloseCodes.GoingAway => "going away: the endpoint is shutting down or navigating away",
        CloseCodes.ProtocolError => "protocol error: an endpoint broke RFC 6455",
        CloseCodes.UnsupportedData => "unsupported data: the endpoint cannot accept this type of message",
        CloseCodes.NoStatusReceived => "no status: the close frame carried no code",
        CloseCodes.AbnormalClosure => "abnormal closure: the connection was lost without a close frame",
        CloseCodes.InvalidPayloadData => "invalid payload data: a message was inconsistent with its type (e.g. bad UTF-8)",
        CloseCodes.PolicyViolation => "policy violation: a message broke the endpoint's policy",
        CloseCodes.MessageTooBig => "message too big: a message exceeded the endpoint's limit",
        CloseCodes.MandatoryExtension => "mandatory extension: the server did not negotiate an extension the client requires",
        CloseCodes.InternalError => "internal error: the server met an unexpected condition",
        CloseCodes.ServiceRestart => "service restart: the server is restarting",
        CloseCodes.TryAgainLater => "try again later: the server is overloaded",
        CloseCodes.BadGateway => "bad gateway: a gateway received an invalid response upstream",
        CloseCodes.TlsHandshakeFailed => "TLS handshake failed",
        >= 3000 and <= 3999 => "registered code: defined by a library or framework in the IANA registry",
        >= 4000 and <= 4999 => "application code: its meaning is private to the application",
        _ => "invalid code: reserved or undefined",
    };
}
