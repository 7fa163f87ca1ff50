namespace WsCore.Closing;

/// <summary>What a client should do after its opening handshake failed (<see cref="HandshakeFailureGuidance"/>).</summary>
public enum HandshakeFailureAdvice
{
    /// <summary>
    /// A transient failure (no answer: the connection failed, ended or timed out; 408; 425; 429 or a 5xx without
    /// <c>Retry-After</c>): try again, waiting longer after each failed attempt (<see cref="ReconnectBackoff"/>).
    /// </summary>
    RetryWithBackoff,
    /// <summary>The server said when to come back (429, 503 or another 5xx with <c>Retry-After</c>): wait at least that long, plus jitter.</summary>
    RetryAfter,
    /// <summary>401 or 407: the credentials are missing or no longer valid; get new ones before trying again.</summary>
    Reauthenticate,
    /// <summary>
    /// The request itself is wrong for this server (400, 403, 404, 405, 426 and the other 4xx; a redirect, which a
    /// WebSocket client does not follow; 501, 505; a 101 that breaks RFC 6455 §4.1): trying again would fail the same
    /// way; stop and report the misconfiguration.
    /// </summary>
    StopAndReport,
}
