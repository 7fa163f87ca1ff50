using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>The sans-I/O keep-alive clock (RFC 6455 §5.5.2 ping/pong as a liveness check, §7.1.1 closing handshake timeout).</summary>
public class KeepAliveTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Silent_peer_gets_a_ping_after_the_interval_and_fails_after_the_timeout()
    {
        var k = new KeepAlive(S(10), S(5), S(3), S(100));
        Assert.Equal(S(110), k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(S(109.999)));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(110)));
        Assert.True(k.IsAwaitingPong);
        Assert.Equal(S(115), k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(S(114)));
        Assert.Equal(KeepAliveAction.PeerUnresponsive, k.OnTimer(S(115)));
        Assert.True(k.IsFinished);
        Assert.Equal(TimeSpan.MaxValue, k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(S(1000)));
    }

    [Fact]
    public void Any_frame_answers_the_ping_and_restarts_the_idle_interval()
    {
        var k = new KeepAlive(S(10), S(5), S(3), S(0));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(10)));
        k.OnFrameReceived(S(12));
        Assert.False(k.IsAwaitingPong);
        Assert.Equal(S(22), k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(S(15)));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(22)));
    }

    [Fact]
    public void Responsive_peer_is_never_failed()
    {
        var k = new KeepAlive(S(1), S(0.5), S(3), S(0));
        TimeSpan now = S(0);
        for (int i = 0; i < 10_000; i++)
        {
            now = k.NextDeadline;
            KeepAliveAction a = k.OnTimer(now);
            Assert.Equal(KeepAliveAction.SendPing, a);
            now += S(0.499); // the pong comes back just in time
            Assert.Equal(KeepAliveAction.None, k.OnTimer(now));
            k.OnFrameReceived(now);
        }
        Assert.False(k.IsFinished);
    }

    [Fact]
    public void Traffic_keeps_the_connection_from_pinging_at_all()
    {
        var k = new KeepAlive(S(10), S(5), S(3), S(0));
        for (int t = 1; t < 1000; t++)
        {
            k.OnFrameReceived(S(t));
            Assert.Equal(KeepAliveAction.None, k.OnTimer(S(t + 0.5)));
        }
    }

    [Fact]
    public void Close_handshake_gives_up_after_the_close_timeout_and_pings_stop()
    {
        var k = new KeepAlive(S(10), S(5), S(3), S(0));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(10)));
        k.OnCloseStarted(S(11));
        Assert.Equal(S(14), k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(S(13.9))); // the unanswered ping no longer counts: only the close does
        k.OnFrameReceived(S(13.95));                             // data still arriving does not extend the close timeout
        k.OnCloseStarted(S(13.96));                              // starting again does not restart it
        Assert.Equal(KeepAliveAction.CloseTimedOut, k.OnTimer(S(14)));
        Assert.True(k.IsFinished);
    }

    [Fact]
    public void Disabled_interval_never_pings_but_close_timeout_still_works()
    {
        var k = new KeepAlive(TimeSpan.Zero, S(5), S(3), S(0));
        Assert.Equal(TimeSpan.MaxValue, k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(TimeSpan.MaxValue));
        k.OnCloseStarted(S(50));
        Assert.Equal(S(53), k.NextDeadline);
        Assert.Equal(KeepAliveAction.CloseTimedOut, k.OnTimer(S(53)));

        var infinite = new KeepAlive(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, S(0));
        infinite.OnCloseStarted(S(1));
        Assert.Equal(TimeSpan.MaxValue, infinite.NextDeadline);
        Assert.Equal(KeepAliveAction.None, infinite.OnTimer(TimeSpan.MaxValue));
    }

    [Fact]
    public void Infinite_timeout_makes_pings_a_heartbeat_that_never_fails()
    {
        var k = new KeepAlive(S(10), Timeout.InfiniteTimeSpan, S(3), S(0));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(10)));
        Assert.False(k.IsAwaitingPong);
        Assert.Equal(S(20), k.NextDeadline);
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(20)));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(35)));
    }

    [Fact]
    public void Deadlines_near_the_end_of_time_do_not_overflow()
    {
        var k = new KeepAlive(S(10), S(5), S(3), TimeSpan.MaxValue - S(1));
        Assert.Equal(TimeSpan.MaxValue, k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(TimeSpan.MaxValue - S(0.5)));
    }

    private static readonly TimeSpan Off = Timeout.InfiniteTimeSpan;

    [Fact]
    public void Idle_timeout_counts_only_data_messages_and_then_runs_the_close_timeout()
    {
        var k = new KeepAlive(Off, Off, S(3), idleTimeout: S(60), maxLifetime: Off, now: S(0));
        Assert.True(k.HasDeadlines);
        Assert.Equal(S(60), k.NextDeadline);
        k.OnFrameReceived(S(30)); // a ping or pong: not message activity
        Assert.Equal(S(60), k.NextDeadline);
        k.OnMessageActivity(S(40));
        Assert.Equal(S(100), k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(S(60)));
        Assert.Equal(KeepAliveAction.None, k.OnTimer(S(99.999)));
        Assert.Equal(KeepAliveAction.IdleTimeout, k.OnTimer(S(100)));
        // The close timeout counts from the report, whether or not the close frame went out.
        Assert.Equal(S(103), k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(S(102)));
        k.OnMessageActivity(S(102)); // too late: closing
        Assert.Equal(KeepAliveAction.CloseTimedOut, k.OnTimer(S(103)));
        Assert.True(k.IsFinished);
    }

    [Fact]
    public void Keep_alive_pings_and_their_pongs_do_not_keep_an_idle_connection_open()
    {
        var k = new KeepAlive(S(10), S(5), S(3), idleTimeout: S(35), maxLifetime: Off, now: S(0));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(10)));
        k.OnFrameReceived(S(11));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(21)));
        k.OnFrameReceived(S(22));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(32)));
        Assert.Equal(S(35), k.NextDeadline); // the idle deadline comes before the pong's
        Assert.Equal(KeepAliveAction.IdleTimeout, k.OnTimer(S(35)));
        Assert.Equal(S(38), k.NextDeadline);
    }

    [Fact]
    public void Maximum_lifetime_ends_even_a_busy_connection()
    {
        var k = new KeepAlive(Off, Off, S(3), idleTimeout: S(10), maxLifetime: S(100), now: S(50));
        Assert.Equal(S(150), k.LifetimeDeadline);
        for (int t = 51; t < 150; t++)
        {
            k.OnMessageActivity(S(t));
            Assert.Equal(KeepAliveAction.None, k.OnTimer(S(t)));
        }
        Assert.Equal(S(150), k.NextDeadline);
        Assert.Equal(KeepAliveAction.MaxLifetimeReached, k.OnTimer(S(150)));
        Assert.Equal(S(153), k.NextDeadline);
        Assert.Equal(KeepAliveAction.None, k.OnTimer(S(152))); // reported once
        Assert.Equal(KeepAliveAction.CloseTimedOut, k.OnTimer(S(153)));
    }

    [Fact]
    public void An_unanswered_ping_past_its_timeout_wins_over_idle_and_lifetime()
    {
        var k = new KeepAlive(S(10), S(5), S(3), idleTimeout: S(15), maxLifetime: S(15), now: S(0));
        Assert.Equal(KeepAliveAction.SendPing, k.OnTimer(S(10)));
        Assert.Equal(S(15), k.NextDeadline);
        Assert.Equal(KeepAliveAction.PeerUnresponsive, k.OnTimer(S(15)));
        Assert.Equal(TimeSpan.MaxValue, k.NextDeadline);
    }

    [Fact]
    public void A_close_this_endpoint_started_stops_the_idle_and_lifetime_deadlines()
    {
        var k = new KeepAlive(Off, Off, S(3), idleTimeout: S(10), maxLifetime: S(20), now: S(0));
        k.OnCloseStarted(S(5));
        Assert.Equal(S(8), k.NextDeadline);
        Assert.Equal(KeepAliveAction.CloseTimedOut, k.OnTimer(S(8)));

        var disabled = new KeepAlive(Off, Off, S(3), idleTimeout: TimeSpan.Zero, maxLifetime: Off, now: S(0));
        Assert.False(disabled.HasDeadlines);
        Assert.Equal(TimeSpan.MaxValue, disabled.NextDeadline);
        Assert.Equal(TimeSpan.MaxValue, disabled.IdleTimeout);
        Assert.Equal(TimeSpan.MaxValue, disabled.LifetimeDeadline);
    }
}
