using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using WsCore.Closing;
using WsCore.Diagnostics;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Pipelines;

public sealed partial class WebSocketConnection
{
    // ---- Keep-alive and close timeout ----

    private TimeSpan Now => _time.GetElapsedTime(_startTimestamp);

    /// <summary>The close timeout, or 30 s when it is infinite (the bound of waits that must end).</summary>
    private TimeSpan BoundedCloseTimeout => _options.CloseTimeout == Timeout.InfiniteTimeSpan || _options.CloseTimeout <= TimeSpan.Zero
        ? TimeSpan.FromSeconds(30) : _options.CloseTimeout;

    private void StartCloseTimer()
    {
        lock (_protocolLock)
        {
            TimeSpan now = Now;
            _keepAlive.OnCloseStarted(now);
            ArmTimerLocked(now);
        }
    }

    private void ArmTimerLocked(TimeSpan now)
    {
        if (_timerStopped) return;
        TimeSpan deadline = _keepAlive.NextDeadline;
        if (deadline == TimeSpan.MaxValue) return;
        TimeSpan due = deadline - now;
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        if (_timer is null) _timer = _time.CreateTimer(s_timerCallback, this, due, Timeout.InfiniteTimeSpan);
        else _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void StopTimer()
    {
        ITimer? timer;
        lock (_protocolLock)
        {
            _timerStopped = true;
            timer = _timer;
            _timer = null;
        }
        try { timer?.Dispose(); } catch (Exception) { }
    }

    /// <summary>On a timer thread: nothing may escape.</summary>
    private void OnTimerFired()
    {
        try
        {
            KeepAliveAction action;
            lock (_protocolLock)
            {
                if (_timerStopped) return;
                TimeSpan now = Now;
                action = _keepAlive.OnTimer(now);
                ArmTimerLocked(now);
            }
            switch (action)
            {
                case KeepAliveAction.SendPing:
                    _ = SendKeepAlivePingAsync();
                    StartLivenessRead();
                    break;
                case KeepAliveAction.IdleTimeout:
                case KeepAliveAction.MaxLifetimeReached:
                    _timedOut = action;
                    WsCoreMetrics.Timeouts.Add(1, _roleTag, WsCoreMetrics.TimeoutKind(action));
                    _ = CloseForDeadlineAsync(action == KeepAliveAction.IdleTimeout ? s_idleReason : s_lifetimeReason);
                    break;
                case KeepAliveAction.PeerUnresponsive:
                case KeepAliveAction.CloseTimedOut:
                    _timedOut = action;
                    WsCoreMetrics.Timeouts.Add(1, _roleTag, WsCoreMetrics.TimeoutKind(action));
                    Abort();
                    break;
            }
        }
        catch (Exception)
        {
            // Abort and the ping never throw; this is the last line of defence for a timer thread.
        }
    }

    private static readonly byte[] s_idleReason = "idle timeout"u8.ToArray();
    private static readonly byte[] s_lifetimeReason = "maximum lifetime reached"u8.ToArray();

    /// <summary>
    /// The idle timeout or the maximum lifetime is reached: close with 1001 (going away). The clock already counts the
    /// close timeout (it started closing when it reported the deadline), so a close frame stuck behind a blocked send
    /// still ends in an abort. The peer's answer is read by the application's receive, or by a liveness read when
    /// nobody receives. Nobody awaits this task: nothing escapes it.
    /// </summary>
    private async Task CloseForDeadlineAsync(byte[] reason)
    {
        try
        {
            SendStatus status = await CloseOutputCoreAsync(CloseCodes.GoingAway, reason, empty: false, CancellationToken.None).ConfigureAwait(false);
            if (status == SendStatus.Done && _protocol.State != CloseHandshakeState.Closed) StartLivenessRead();
        }
        catch (Exception)
        {
            // The connection is going away anyway; the close timeout aborts it if need be.
        }
    }

    private async Task SendKeepAlivePingAsync()
    {
        try
        {
            // Measured, so that a connection with keep-alive knows its round-trip time without asking.
            await PingCoreAsync(default, measured: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is going away; the receive side reports it.
        }
    }

    // ---- Round-trip time ----

    /// <summary>
    /// The round-trip time last measured: from sending a measured ping (<see cref="MeasureRoundTripAsync"/>, or a
    /// keep-alive ping) to receiving its pong. Null until one was measured.
    /// </summary>
    public TimeSpan? RoundTripTime
    {
        get
        {
            long ticks = Interlocked.Read(ref _roundTripTicks);
            return ticks < 0 ? null : TimeSpan.FromTicks(ticks);
        }
    }

    /// <summary>
    /// Sends a ping and completes with the round-trip time when its pong arrives (also recorded in
    /// <see cref="RoundTripTime"/> and the <c>wscore.ping.rtt</c> histogram). Pongs are seen by a receive in progress,
    /// so keep a receive loop running. Concurrent calls share one ping.
    /// </summary>
    /// <param name="cancellationToken">Bounds the wait for the pong (use it as the timeout).</param>
    /// <returns>The round-trip time, or null when the ping could not be sent (closed, or the outbound buffer is full)
    /// or the connection ended before the pong.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async ValueTask<TimeSpan?> MeasureRoundTripAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource<TimeSpan?> waiter;
        bool send;
        lock (_protocolLock)
        {
            if (_disposed || _aborted || _metricsEnded != 0) return null;
            waiter = _roundTripWaiter ??= new TaskCompletionSource<TimeSpan?>(TaskCreationOptions.RunContinuationsAsynchronously);
            send = _roundTripSequence == 0;
        }
        if (send)
        {
            SendStatus status = await PingCoreAsync(default, measured: true, cancellationToken).ConfigureAwait(false);
            if (status != SendStatus.Done) return null;
        }
        return await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The payload of a measured ping (caller holds the send lock and the protocol lock): the next sequence number.</summary>
    private ReadOnlyMemory<byte> NextMeasuredPingLocked()
    {
        _roundTripSequence = ++_roundTripLastSequence;
        _roundTripSentAt = Now;
        byte[] payload = _roundTripPayload ??= new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(payload, _roundTripSequence);
        return payload;
    }

    /// <summary>A pong arrived (caller holds the protocol lock): when it answers the measured ping, the round trip is done.</summary>
    private TaskCompletionSource<TimeSpan?>? OnPongLocked(out TimeSpan? roundTrip)
    {
        roundTrip = null;
        ReadOnlySpan<byte> payload = _protocol.ControlPayload;
        if (_roundTripSequence == 0 || payload.Length != 8
            || System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(payload) != _roundTripSequence)
        {
            return null; // an unsolicited pong, or one for an older ping
        }
        _roundTripSequence = 0;
        TimeSpan measured = Now - _roundTripSentAt;
        roundTrip = measured;
        Interlocked.Exchange(ref _roundTripTicks, measured.Ticks);
        if (WsCoreMetrics.PingRoundTrip.Enabled) WsCoreMetrics.PingRoundTrip.Record(measured.TotalSeconds, _roleTag);
        TaskCompletionSource<TimeSpan?>? waiter = _roundTripWaiter;
        _roundTripWaiter = null;
        return waiter;
    }

    /// <summary>The connection ended: a measurement waiting for its pong completes with null.</summary>
    private void EndRoundTrip()
    {
        TaskCompletionSource<TimeSpan?>? waiter;
        lock (_protocolLock)
        {
            waiter = _roundTripWaiter;
            _roundTripWaiter = null;
            _roundTripSequence = 0;
        }
        waiter?.TrySetResult(null);
    }
}
