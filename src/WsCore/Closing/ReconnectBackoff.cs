namespace WsCore.Closing;

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
