namespace WsCore.Pipelines;

/// <summary>Options of a <see cref="ReconnectingWebSocketClient"/>.</summary>
public sealed record ReconnectOptions
{
    /// <summary>The backoff window of the first retry (full jitter: the delay is uniform in [0, window)). Default 1 s.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The cap of the backoff window (a server's <c>Retry-After</c> is honoured beyond it). The backoff starts again from
    /// <see cref="BaseDelay"/> once a connection has stayed open this long. Default 30 s.
    /// </summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many failed attempts in a row (handshakes that failed, or connections shorter than <see cref="MaxDelay"/>) end the loop; 0 (the default) never gives up.</summary>
    public int MaxConsecutiveFailures { get; init; }

    /// <summary>The clock of the delays. Default <see cref="TimeProvider.System"/>; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The jitter's randomness; <see cref="Random.Shared"/> when null (pass a seeded one in tests).</summary>
    public Random? Random { get; init; }
}
