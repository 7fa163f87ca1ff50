namespace WsCore.Protocol;

/// <summary>
/// The keep-alive, idle, lifetime and closing-handshake clock of one connection, sans-I/O: the caller passes the time (a
/// monotonic <see cref="TimeSpan"/> from any origin) into every call, and arms one timer for <see cref="NextDeadline"/>.
/// </summary>
/// <remarks>
/// A ping is due after <see cref="Interval"/> with nothing received; after a ping, the peer has <see cref="Timeout"/> to
/// send anything (a pong, or any other frame, shows it is alive). After <see cref="IdleTimeout"/> without a data frame in
/// either direction (<see cref="OnMessageActivity"/>; pings, pongs and keep-alive traffic do not count), or
/// the maximum lifetime after the start (<see cref="LifetimeDeadline"/>), the caller is asked to close (<see cref="KeepAliveAction.IdleTimeout"/>,
/// <see cref="KeepAliveAction.MaxLifetimeReached"/>), and the clock counts the close timeout from that moment, whether
/// or not the close frame could be sent at once. Once this endpoint has started the closing handshake pings stop, and
/// the peer has <see cref="CloseTimeout"/> to finish it. A disabled interval or timeout is
/// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> (or zero, except for the close timeout). Reporting a terminal
/// action (<see cref="KeepAliveAction.PeerUnresponsive"/>, <see cref="KeepAliveAction.CloseTimedOut"/>) ends the clock.
/// It is a mutable struct: keep it in a field and call it through that field. It is not thread-safe.
/// </remarks>
public struct KeepAlive
{
    private static readonly TimeSpan Never = TimeSpan.MaxValue;

    private readonly TimeSpan _interval;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _closeTimeout;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeSpan _lifetimeDeadline;
    private TimeSpan _lastReceived;
    private TimeSpan _lastMessage;
    private TimeSpan _pingSentAt;
    private TimeSpan _closeStartedAt;
    private bool _awaitingPong;
    private bool _closing;
    private bool _finished;

    /// <summary>Starts the clock at <paramref name="now"/> (the connection is considered to have just received something).</summary>
    /// <param name="interval">Idle time after which a ping is sent; zero or infinite disables pings.</param>
    /// <param name="timeout">How long after a ping the peer may stay silent; infinite never fails the peer.</param>
    /// <param name="closeTimeout">How long the peer has to finish a closing handshake this endpoint started; infinite waits forever.</param>
    /// <param name="now">The current time.</param>
    public KeepAlive(TimeSpan interval, TimeSpan timeout, TimeSpan closeTimeout, TimeSpan now)
        : this(interval, timeout, closeTimeout, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan, now)
    {
    }

    /// <summary>Starts the clock at <paramref name="now"/>, with an idle timeout and a maximum lifetime.</summary>
    /// <param name="interval">Idle time after which a ping is sent; zero or infinite disables pings.</param>
    /// <param name="timeout">How long after a ping the peer may stay silent; infinite never fails the peer.</param>
    /// <param name="closeTimeout">How long the peer has to finish a closing handshake this endpoint started; infinite waits forever.</param>
    /// <param name="idleTimeout">How long the connection may go without a data frame in either direction before it is
    /// closed (<see cref="KeepAliveAction.IdleTimeout"/>); zero or infinite disables it.</param>
    /// <param name="maxLifetime">How long after <paramref name="now"/> the connection is closed whatever it does
    /// (<see cref="KeepAliveAction.MaxLifetimeReached"/>); zero or infinite disables it.</param>
    /// <param name="now">The current time.</param>
    public KeepAlive(TimeSpan interval, TimeSpan timeout, TimeSpan closeTimeout, TimeSpan idleTimeout, TimeSpan maxLifetime, TimeSpan now)
    {
        _interval = IsEnabled(interval) ? interval : Never;
        _timeout = IsEnabled(timeout) ? timeout : Never;
        _closeTimeout = closeTimeout == System.Threading.Timeout.InfiniteTimeSpan || closeTimeout < TimeSpan.Zero ? Never : closeTimeout;
        _idleTimeout = IsEnabled(idleTimeout) ? idleTimeout : Never;
        _lifetimeDeadline = IsEnabled(maxLifetime) ? Add(now, maxLifetime) : Never;
        _lastReceived = now;
        _lastMessage = now;
        _pingSentAt = default;
        _closeStartedAt = default;
        _awaitingPong = false;
        _closing = false;
        _finished = false;
    }

    private static bool IsEnabled(TimeSpan t) => t > TimeSpan.Zero && t != System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary>The idle interval after which a ping is sent (<see cref="TimeSpan.MaxValue"/> when disabled).</summary>
    public readonly TimeSpan Interval => _interval;

    /// <summary>How long the peer may stay silent after a ping (<see cref="TimeSpan.MaxValue"/> when disabled).</summary>
    public readonly TimeSpan Timeout => _timeout;

    /// <summary>How long the peer has to finish the closing handshake (<see cref="TimeSpan.MaxValue"/> when disabled).</summary>
    public readonly TimeSpan CloseTimeout => _closeTimeout;

    /// <summary>How long the connection may go without a data frame (<see cref="TimeSpan.MaxValue"/> when disabled).</summary>
    public readonly TimeSpan IdleTimeout => _idleTimeout;

    /// <summary>When the connection's maximum lifetime ends, on the clock's time line (<see cref="TimeSpan.MaxValue"/> when disabled).</summary>
    public readonly TimeSpan LifetimeDeadline => _lifetimeDeadline;

    /// <summary>True when a deadline other than the close timeout is set (pings, idle timeout or lifetime): the caller must keep a timer armed.</summary>
    public readonly bool HasDeadlines => _interval != Never || _idleTimeout != Never || _lifetimeDeadline != Never;

    /// <summary>True while a ping is unanswered.</summary>
    public readonly bool IsAwaitingPong => _awaitingPong;

    /// <summary>True once a terminal action was reported; the clock has no more deadlines.</summary>
    public readonly bool IsFinished => _finished;

    /// <summary>
    /// The time at which <see cref="OnTimer"/> should next be called, or <see cref="TimeSpan.MaxValue"/> when nothing is
    /// scheduled. Calling it earlier is harmless (it returns <see cref="KeepAliveAction.None"/>).
    /// </summary>
    public readonly TimeSpan NextDeadline
    {
        get
        {
            if (_finished) return Never;
            if (_closing) return Add(_closeStartedAt, _closeTimeout);
            TimeSpan next = _awaitingPong ? Add(_pingSentAt, _timeout) : Add(_lastReceived, _interval);
            TimeSpan idle = Add(_lastMessage, _idleTimeout);
            if (idle < next) next = idle;
            return _lifetimeDeadline < next ? _lifetimeDeadline : next;
        }
    }

    private static bool IsDue(TimeSpan now, TimeSpan deadline) => deadline != Never && now >= deadline;

    private static TimeSpan Add(TimeSpan a, TimeSpan b) => b == Never || a.Ticks > Never.Ticks - b.Ticks ? Never : a + b;

    /// <summary>Records that bytes of any frame (data, ping, pong, close) arrived from the peer: it is alive.</summary>
    /// <param name="now">The current time.</param>
    public void OnFrameReceived(TimeSpan now)
    {
        if (now > _lastReceived) _lastReceived = now;
        _awaitingPong = false;
    }

    /// <summary>
    /// Records that a data frame (text, binary or continuation; any fragment of a message) was sent or received: the
    /// connection is not idle. Pings and pongs are not message activity.
    /// </summary>
    /// <param name="now">The current time.</param>
    public void OnMessageActivity(TimeSpan now)
    {
        if (now > _lastMessage) _lastMessage = now;
    }

    /// <summary>Records that this endpoint sent (or queued) its close frame: the close timeout starts, pings stop.</summary>
    /// <param name="now">The current time.</param>
    public void OnCloseStarted(TimeSpan now)
    {
        if (_closing) return;
        _closing = true;
        _closeStartedAt = now;
    }

    /// <summary>
    /// Says what is due at <paramref name="now"/>. <see cref="KeepAliveAction.SendPing"/> assumes the caller sends the
    /// ping now (the timeout counts from this call). <see cref="KeepAliveAction.IdleTimeout"/> and
    /// <see cref="KeepAliveAction.MaxLifetimeReached"/> assume the caller starts the closing handshake now: the close
    /// timeout counts from this call (as if <see cref="OnCloseStarted"/> had been called), and pings stop. An
    /// unanswered ping past its timeout wins over them (a peer that does not answer would not answer a close either).
    /// </summary>
    /// <param name="now">The current time.</param>
    public KeepAliveAction OnTimer(TimeSpan now)
    {
        if (_finished) return KeepAliveAction.None;
        if (_closing)
        {
            if (IsDue(now, Add(_closeStartedAt, _closeTimeout)))
            {
                _finished = true;
                return KeepAliveAction.CloseTimedOut;
            }
            return KeepAliveAction.None;
        }
        if (_awaitingPong && IsDue(now, Add(_pingSentAt, _timeout)))
        {
            _finished = true;
            return KeepAliveAction.PeerUnresponsive;
        }
        if (IsDue(now, _lifetimeDeadline))
        {
            OnCloseStarted(now);
            return KeepAliveAction.MaxLifetimeReached;
        }
        if (IsDue(now, Add(_lastMessage, _idleTimeout)))
        {
            OnCloseStarted(now);
            return KeepAliveAction.IdleTimeout;
        }
        if (!_awaitingPong && IsDue(now, Add(_lastReceived, _interval)))
        {
            _pingSentAt = now;
            if (_timeout == Never)
            {
                // A heartbeat only: the next ping is due one interval later whatever the peer does.
                _lastReceived = now;
            }
            else
            {
                _awaitingPong = true;
            }
            return KeepAliveAction.SendPing;
        }
        return KeepAliveAction.None;
    }
}
