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

    private async Task SendKeepAlivePingAsync()
    {
        try
        {
            await PingAsync(ReadOnlyMemory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is going away; the receive side reports it.
        }
    }
}
