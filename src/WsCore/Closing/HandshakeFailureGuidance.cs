using System.Globalization;

namespace WsCore.Closing;

/// <summary>
/// Pure helpers that explain a failed opening handshake to a client by its HTTP status (RFC 6455 §4.1, RFC 9110 §15),
/// the counterpart of <see cref="CloseCodeGuidance"/> for connections that never opened: what to do next, and how long to
/// wait before the next attempt, honouring <c>Retry-After</c> (RFC 9110 §10.2.3) and spreading clients with the full
/// jitter of <see cref="ReconnectBackoff"/>.
/// </summary>
public static class HandshakeFailureGuidance
{
    /// <summary>What to do after the server answered the upgrade request with <paramref name="statusCode"/>.</summary>
    /// <param name="statusCode">The HTTP status of the answer; 0 when there was none (the connection failed, ended or
    /// timed out before an answer). 101 means the answer switched protocols but broke RFC 6455 (a wrong
    /// <c>Sec-WebSocket-Accept</c>, a subprotocol or extension not offered).</param>
    /// <param name="hasRetryAfter">True when the answer carried a valid <c>Retry-After</c> header.</param>
    public static HandshakeFailureAdvice GetAdvice(int statusCode, bool hasRetryAfter = false) => statusCode switch
    {
        0 => HandshakeFailureAdvice.RetryWithBackoff,
        401 or 407 => HandshakeFailureAdvice.Reauthenticate,
        408 or 425 => HandshakeFailureAdvice.RetryWithBackoff,
        429 => hasRetryAfter ? HandshakeFailureAdvice.RetryAfter : HandshakeFailureAdvice.RetryWithBackoff,
        501 or 505 => HandshakeFailureAdvice.StopAndReport, // the server does not do this at all
        >= 500 and <= 599 => hasRetryAfter ? HandshakeFailureAdvice.RetryAfter : HandshakeFailureAdvice.RetryWithBackoff,
        _ => HandshakeFailureAdvice.StopAndReport, // 1xx (a broken 101), 2xx, 3xx, the other 4xx, nonsense
    };

    /// <summary>True when the advice for the status is to try again (<see cref="HandshakeFailureAdvice.RetryWithBackoff"/> or <see cref="HandshakeFailureAdvice.RetryAfter"/>).</summary>
    /// <param name="statusCode">The HTTP status, or 0 when there was no answer.</param>
    /// <param name="hasRetryAfter">True when the answer carried a valid <c>Retry-After</c>.</param>
    public static bool ShouldRetry(int statusCode, bool hasRetryAfter = false)
        => GetAdvice(statusCode, hasRetryAfter) is HandshakeFailureAdvice.RetryWithBackoff or HandshakeFailureAdvice.RetryAfter;

    /// <summary>
    /// The delay before the next attempt, or null when the advice is not to retry
    /// (<see cref="HandshakeFailureAdvice.StopAndReport"/>, <see cref="HandshakeFailureAdvice.Reauthenticate"/>).
    /// With a <c>Retry-After</c> it is that delay plus a jitter drawn from <see cref="ReconnectBackoff.GetDelay(int, TimeSpan, TimeSpan, Random?)"/>
    /// (so a fleet told "30 s" does not come back in the same millisecond); otherwise the jittered backoff itself.
    /// </summary>
    /// <param name="statusCode">The HTTP status, or 0 when there was no answer.</param>
    /// <param name="retryAfter">The parsed <c>Retry-After</c> (<see cref="TryParseRetryAfter"/>), or null.</param>
    /// <param name="attempt">The 0-based number of consecutive failed attempts before this one.</param>
    /// <param name="baseDelay">The backoff window of the first attempt.</param>
    /// <param name="maxDelay">The backoff cap (a <c>Retry-After</c> longer than it is still honoured).</param>
    /// <param name="random">The randomness; <see cref="Random.Shared"/> when null.</param>
    public static TimeSpan? GetRetryDelay(int statusCode, TimeSpan? retryAfter, int attempt, TimeSpan baseDelay, TimeSpan maxDelay, Random? random = null)
    {
        HandshakeFailureAdvice advice = GetAdvice(statusCode, retryAfter.HasValue);
        TimeSpan jittered = ReconnectBackoff.GetDelay(attempt, baseDelay, maxDelay, random);
        return advice switch
        {
            HandshakeFailureAdvice.RetryAfter => retryAfter!.Value + jittered,
            HandshakeFailureAdvice.RetryWithBackoff => jittered,
            _ => null,
        };
    }

    /// <summary>
    /// Parses a <c>Retry-After</c> value (RFC 9110 §10.2.3): delay-seconds (<c>120</c>) or an HTTP-date
    /// (<c>Wed, 21 Oct 2015 07:28:00 GMT</c>; a date in the past is a delay of zero).
    /// </summary>
    /// <param name="value">The header value, or null.</param>
    /// <param name="now">The current time (for an HTTP-date).</param>
    /// <param name="delay">The delay, clamped to <see cref="MaxRetryAfter"/>.</param>
    /// <returns>False when the value is missing or malformed (then ignore it).</returns>
    public static bool TryParseRetryAfter(string? value, DateTimeOffset now, out TimeSpan delay)
    {
        delay = default;
        if (value is null) return false;
        ReadOnlySpan<char> v = value.AsSpan().Trim();
        if (v.IsEmpty) return false;
        if (char.IsAsciiDigit(v[0]))
        {
            foreach (char c in v) if (!char.IsAsciiDigit(c)) return false;
            if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)) seconds = long.MaxValue;
            delay = seconds >= (long)MaxRetryAfter.TotalSeconds ? MaxRetryAfter : TimeSpan.FromSeconds(seconds);
            return true;
        }
        if (!DateTimeOffset.TryParseExact(v, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out DateTimeOffset at)) return false;
        TimeSpan until = at - now;
        delay = until <= TimeSpan.Zero ? TimeSpan.Zero : until > MaxRetryAfter ? MaxRetryAfter : until;
        return true;
    }

    /// <summary>The longest <c>Retry-After</c> <see cref="TryParseRetryAfter"/> reports (one day): a longer one is clamped.</summary>
    public static TimeSpan MaxRetryAfter { get; } = TimeSpan.FromDays(1);

    /// <summary>A short English description of what a failed handshake with this status means (a constant string; no allocation).</summary>
    /// <param name="statusCode">The HTTP status, or 0 when there was no answer.</param>
    public static string GetDescription(int statusCode) => statusCode switch
    {
        0 => "no answer: the connection failed, ended or timed out before the server answered",
        101 => "the server switched protocols but its answer breaks RFC 6455 (accept key, subprotocol or extension)",
        400 => "bad request: the server refused the upgrade request as malformed",
        401 => "unauthorized: credentials are missing or invalid",
        403 => "forbidden: the server refuses this client (e.g. its Origin)",
        404 => "not found: no WebSocket endpoint at this path",
        405 => "method not allowed: the endpoint does not accept a WebSocket upgrade",
        407 => "proxy authentication required",
        408 => "request timeout: the request did not reach the server in time",
        426 => "upgrade required: the server speaks another WebSocket version (see Sec-WebSocket-Version)",
        429 => "too many requests: the client is rate limited",
        431 => "request header fields too large",
        500 => "internal server error",
        501 => "not implemented: the server does not support WebSockets here",
        502 => "bad gateway: a proxy got no valid answer upstream",
        503 => "service unavailable: the server is overloaded or down for maintenance",
        504 => "gateway timeout: a proxy got no answer upstream in time",
        505 => "HTTP version not supported",
        >= 300 and <= 399 => "redirect: WebSocket clients do not follow redirects; use the new location",
        >= 400 and <= 499 => "client error: the request is wrong for this server",
        >= 500 and <= 599 => "server error",
        _ => "unexpected status",
    };
}
