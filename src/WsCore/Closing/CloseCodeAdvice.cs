namespace WsCore.Closing;

/// <summary>What an embedder should do after a connection closed with a given code.</summary>
public enum CloseCodeAdvice
{
    /// <summary>The connection ended normally (1000): its purpose is fulfilled; do not reconnect.</summary>
    Done,
    /// <summary>
    /// A transient condition (1001 going away, 1006 abnormal closure, 1011 internal error, 1012 restart, 1013 try again
    /// later, 1014 bad gateway): reconnect, waiting longer after each failed attempt (see <see cref="ReconnectBackoff"/>).
    /// </summary>
    ReconnectWithBackoff,
    /// <summary>
    /// One side sent what the other cannot accept (1002, 1003, 1007, 1008, 1009, 1010): reconnecting would fail the
    /// same way; stop and report the bug or misconfiguration.
    /// </summary>
    StopAndReport,
    /// <summary>4000-4999: private codes whose meaning the application defines.</summary>
    ApplicationDefined,
    /// <summary>3000-3999: codes registered with IANA by libraries and frameworks; look up the registry entry.</summary>
    RegisteredByLibrary,
    /// <summary>1015: the TLS handshake failed (certificate, protocol version); reconnecting will not help until the configuration changes.</summary>
    TlsFailure,
    /// <summary>1005 (the peer's close frame carried no code): the peer closed deliberately; treat as done unless the application knows better.</summary>
    NoStatus,
    /// <summary>A code that is reserved or undefined (0-999, 1004, 1016-2999, 5000+); a peer may not send it.</summary>
    Invalid,
}

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

/// <summary>
/// Reconnect delays with exponential backoff and full jitter: the delay before attempt <c>n</c> (0-based) is uniform in
/// [0, min(cap, base · 2^n)). Spreading reconnects over the whole window keeps a fleet of clients from reconnecting in
/// lock-step after a server restart.
/// </summary>
public static class ReconnectBackoff
{
    /// <summary>The upper bound of the delay window for an attempt: min(cap, base · 2^attempt), without overflow.</summary>
    /// <param name="attempt">The 0-based number of the attempt (negative counts as 0).</param>
    /// <param name="baseDelay">The window of the first attempt; must not be negative.</param>
    /// <param name="maxDelay">The cap; must not be negative.</param>
    public static TimeSpan GetWindow(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, TimeSpan.Zero);
        if (attempt < 0) attempt = 0;
        long baseTicks = baseDelay.Ticks;
        long cap = maxDelay.Ticks;
        if (baseTicks == 0) return TimeSpan.Zero;
        if (baseTicks >= cap) return maxDelay;
        // base·2^attempt >= cap as soon as attempt >= log2(cap / base); checked without shifting into overflow.
        if (attempt >= 63 || baseTicks > (cap >> attempt)) return maxDelay;
        long window = baseTicks << attempt;
        return TimeSpan.FromTicks(Math.Min(window, cap));
    }

    /// <summary>A delay uniform in [0, <see cref="GetWindow"/>) drawn from <paramref name="random"/>.</summary>
    /// <param name="attempt">The 0-based number of the attempt.</param>
    /// <param name="baseDelay">The window of the first attempt.</param>
    /// <param name="maxDelay">The cap.</param>
    /// <param name="random">The randomness; <see cref="Random.Shared"/> when null (pass a seeded one in tests).</param>
    public static TimeSpan GetDelay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, Random? random = null)
    {
        long window = GetWindow(attempt, baseDelay, maxDelay).Ticks;
        if (window == 0) return TimeSpan.Zero;
        return TimeSpan.FromTicks((random ?? Random.Shared).NextInt64(window));
    }

    /// <summary>A delay for a fraction <paramref name="unitSample"/> ∈ [0, 1) of the window (for callers that bring their own randomness).</summary>
    /// <param name="attempt">The 0-based number of the attempt.</param>
    /// <param name="baseDelay">The window of the first attempt.</param>
    /// <param name="maxDelay">The cap.</param>
    /// <param name="unitSample">A uniform sample in [0, 1); values outside are clamped.</param>
    public static TimeSpan GetDelay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double unitSample)
    {
        long window = GetWindow(attempt, baseDelay, maxDelay).Ticks;
        if (window == 0 || !(unitSample > 0)) return TimeSpan.Zero;
        long ticks = (long)(window * Math.Min(unitSample, 1.0));
        return TimeSpan.FromTicks(Math.Min(ticks, window - 1));
    }
}
