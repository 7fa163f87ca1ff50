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
    // ---- Receiving ----

    /// <summary>
    /// Receives the next piece of message data into <paramref name="buffer"/>, answering pings and the peer's close
    /// on the way. Only one receive may be in progress at a time.
    /// </summary>
    /// <param name="buffer">
    /// Where message bytes are written. When empty, the call waits for a data frame's payload and returns a result with
    /// <see cref="ConnectionReceiveResult.Count"/> 0 without consuming it (a zero-byte read).
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for data; the connection stays usable (receive again).</param>
    /// <remarks>
    /// Pings, pongs and the peer's close are also processed while the application has no receive in progress, whenever
    /// keep-alive is on (the liveness read, started by the keep-alive clock): a busy application is not failed for pongs
    /// it did not read, and a silent peer is still failed in time. A close or failure seen that way is returned by the
    /// next receive.
    /// </remarks>
    public ValueTask<ConnectionReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => ReceiveCoreAsync(buffer, liveness: false, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ConnectionReceiveResult> ReceiveCoreAsync(Memory<byte> buffer, bool liveness, CancellationToken cancellationToken)
    {
        // The liveness read was given the receive by the keep-alive clock (_receiving is LivenessReceive already).
        if (!liveness && Interlocked.CompareExchange(ref _receiving, ApplicationReceive, 0) != 0) await TakeReceiveFromLivenessReadAsync().ConfigureAwait(false);
        try
        {
            if (!liveness && _hasLivenessResult)
            {
                _hasLivenessResult = false;
                return _livenessResult;
            }
            while (true)
            {
                if (_aborted || _inputCompleted) return Aborted();
                if (_protocol.HasPendingReceiveData)
                {
                    // The engine still holds received bytes (inflated output that did not fit the last buffer): drain
                    // them before waiting for the transport, which may have nothing more to say.
                    ReceiveStatus pendingStatus;
                    ReceiveResult pendingResult;
                    (long, long) pendingInflated;
                    FrameCounts pendingFrames;
                    lock (_protocolLock)
                    {
                        if (_disposed) return Aborted();
                        pendingStatus = _protocol.Receive(default, buffer.Span, out pendingResult);
                        pendingInflated = TakeInflatedLocked();
                        pendingFrames = TakeFramesLocked(received: true);
                    }
                    RecordCompression(pendingInflated, received: true);
                    RecordFrames(pendingFrames, received: true);
                    if (pendingStatus == ReceiveStatus.MessageData)
                    {
                        RecordData(pendingResult.BytesWritten, pendingResult.MessageKind, pendingResult.EndOfMessage, received: true);
                        return new ConnectionReceiveResult(ConnectionReceiveKind.MessageData, pendingResult.BytesWritten, pendingResult.MessageKind, pendingResult.EndOfMessage, 0);
                    }
                    if (pendingStatus == ReceiveStatus.ProtocolError)
                    {
                        RecordViolation();
                        StopTimer();
                        await WriteControlFramesAsync(cancellationToken).ConfigureAwait(false);
                        await FinishClosingAsync(fromReceive: true).ConfigureAwait(false);
                        return new ConnectionReceiveResult(ConnectionReceiveKind.ProtocolError, 0, default, true, ProtocolViolations.GetCloseCode(_protocol.Violation));
                    }
                }
                ReadResult read;
                try
                {
                    read = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    return InputFailed();
                }
                if (read.IsCanceled && !_aborted && Interlocked.Exchange(ref _livenessStopRequested, 0) != 0)
                {
                    // The application asked the liveness read to give the receive back (CancelPendingRead). For the
                    // liveness read that is the end; a receive that meets the request after it (the liveness read had
                    // ended on its own) reads again.
                    _input.AdvanceTo(read.Buffer.Start);
                    if (liveness) return Yielded();
                    continue;
                }
                if (_aborted)
                {
                    _input.AdvanceTo(read.Buffer.Start);
                    return Aborted();
                }
                ReadOnlySequence<byte> sequence = read.Buffer;
                ReceiveStatus status;
                ReceiveResult result;
                long consumed;
                TaskCompletionSource<TimeSpan?>? pongWaiter = null;
                TimeSpan? roundTrip = null;
                (long, long) inflated = default;
                FrameCounts frames;
                lock (_protocolLock)
                {
                    if (_disposed)
                    {
                        _input.AdvanceTo(sequence.Start);
                        return Aborted();
                    }
                    if (_keepAliveEnabled && !sequence.IsEmpty) _keepAlive.OnFrameReceived(Now);
                    status = Process(sequence, buffer.Span, out consumed, out result);
                    if (_idleTimeoutEnabled && status == ReceiveStatus.MessageData) _keepAlive.OnMessageActivity(Now);
                    if (_protocol.IsCompressionEnabled) inflated = TakeInflatedLocked();
                    frames = TakeFramesLocked(received: true);
                    if (status == ReceiveStatus.Pong) pongWaiter = OnPongLocked(out roundTrip);
                }
                if (_protocol.IsCompressionEnabled) RecordCompression(inflated, received: true);
                RecordFrames(frames, received: true);
                if (status == ReceiveStatus.NeedMoreData)
                {
                    _input.AdvanceTo(sequence.End);
                    if (read.IsCompleted || read.IsCanceled)
                    {
                        return InputFailed();
                    }
                    continue;
                }
                _input.AdvanceTo(sequence.GetPosition(consumed));

                switch (status)
                {
                    case ReceiveStatus.MessageData:
                        RecordData(result.BytesWritten, result.MessageKind, result.EndOfMessage, received: true);
                        return new ConnectionReceiveResult(ConnectionReceiveKind.MessageData, result.BytesWritten, result.MessageKind, result.EndOfMessage, 0);
                    case ReceiveStatus.Ping:
                        if (_options.PingReceived is not null) NotifyPing();
                        await WriteControlFramesAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                    case ReceiveStatus.Pong:
                        if (_options.PongReceived is not null) NotifyPong(roundTrip);
                        pongWaiter?.TrySetResult(roundTrip);
                        pongWaiter = null;
                        continue;
                    case ReceiveStatus.Close:
                        WsCoreMetrics.ClosesReceived.Add(1, _roleTag, WsCoreMetrics.CloseCode(_protocol.PeerCloseCode));
                        if (_protocol.IsCloseSent || _protocol.HasPendingOutput) RecordCloseSent(_protocol.PeerCloseCode); // the auto-reply echoes the code
                        await WriteControlFramesAsync(cancellationToken).ConfigureAwait(false);
                        if (_protocol.State == CloseHandshakeState.Closed)
                        {
                            StopTimer();
                            await FinishClosingAsync(fromReceive: true).ConfigureAwait(false);
                        }
                        return new ConnectionReceiveResult(ConnectionReceiveKind.Close, 0, default, true, _protocol.PeerCloseCode);
                    default: // ProtocolError
                        RecordViolation();
                        StopTimer();
                        await WriteControlFramesAsync(cancellationToken).ConfigureAwait(false);
                        await FinishClosingAsync(fromReceive: true).ConfigureAwait(false);
                        return new ConnectionReceiveResult(ConnectionReceiveKind.ProtocolError, 0, default, true, ProtocolViolations.GetCloseCode(_protocol.Violation));
                }
            }
        }
        finally
        {
            Interlocked.Exchange(ref _receiving, 0);
            if (_inputCompleted) CompleteInput();
        }
    }

    private ReceiveStatus Process(in ReadOnlySequence<byte> sequence, Span<byte> destination, out long consumed, out ReceiveResult result)
    {
        consumed = 0;
        result = default;
        foreach (ReadOnlyMemory<byte> segment in sequence)
        {
            ReceiveStatus status = _protocol.Receive(segment.Span, destination, out result);
            consumed += result.BytesConsumed;
            if (status != ReceiveStatus.NeedMoreData) return status;
            // NeedMoreData always consumes the whole span.
        }
        return ReceiveStatus.NeedMoreData;
    }

    /// <summary>
    /// The application's ping callback (no lock held; the payload is the engine's, which only this receive changes):
    /// whatever it throws is caught and counted.
    /// </summary>
    private void NotifyPing()
    {
        try
        {
            _options.PingReceived!(this, _protocol.ControlPayload);
        }
        catch (Exception)
        {
            WsCoreMetrics.CallbackFailures.Add(1, _roleTag, WsCoreMetrics.PingCallbackTag);
        }
    }

    /// <summary>The application's pong callback; see <see cref="NotifyPing"/>.</summary>
    private void NotifyPong(TimeSpan? roundTrip)
    {
        try
        {
            _options.PongReceived!(this, _protocol.ControlPayload, roundTrip);
        }
        catch (Exception)
        {
            WsCoreMetrics.CallbackFailures.Add(1, _roleTag, WsCoreMetrics.PongCallbackTag);
        }
    }

    /// <summary>
    /// The transport's input failed or ended without a closing handshake: the connection is dead both ways (1006), so it
    /// is aborted (the output completed, timers stopped, <see cref="IsAborted"/> set) instead of leaving the output open
    /// for sends that no peer will read.
    /// </summary>
    private ConnectionReceiveResult InputFailed()
    {
        Abort();
        return Aborted();
    }

    private static ConnectionReceiveResult Aborted()
    {
        return new ConnectionReceiveResult(ConnectionReceiveKind.Aborted, 0, default, true, CloseCodes.AbnormalClosure);
    }

    /// <summary>A protocol violation failed the connection: counted, and so is the close frame the engine sends for it.</summary>
    private void RecordViolation()
    {
        ProtocolViolation violation = _protocol.Violation;
        WsCoreMetrics.Violations.Add(1, _roleTag, WsCoreMetrics.Violation(violation));
        RecordCloseSent(ProtocolViolations.GetCloseCode(violation));
    }

    // ---- The liveness read: control frames while the application is not receiving ----

    private const int ApplicationReceive = 1;
    private const int LivenessReceive = 2;
    /// <summary>Not a kind a receive returns: the liveness read gave the receive back to the application.</summary>
    private const ConnectionReceiveKind YieldedKind = (ConnectionReceiveKind)(-1);

    private static ConnectionReceiveResult Yielded() => new(YieldedKind, 0, default, true, 0);

    /// <summary>
    /// Keep-alive clock (no lock held): when no receive is in progress, one is started with an empty buffer, so that
    /// pings are answered, pongs reach the keep-alive clock and the peer's close is processed although the application is
    /// busy. It ends at the first data payload (left unread for the application: data arriving shows the peer is
    /// alive), at a close or failure (kept for the application's next receive), or when the application receives.
    /// </summary>
    private void StartLivenessRead()
    {
        if (_aborted || _inputCompleted || Volatile.Read(ref _receiving) != 0) return;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _livenessDone, done);
        if (Interlocked.CompareExchange(ref _receiving, LivenessReceive, 0) != 0) return;
        _ = RunLivenessReadAsync(done);
    }

    private async Task RunLivenessReadAsync(TaskCompletionSource done)
    {
        try
        {
            ConnectionReceiveResult r = await ReceiveCoreAsync(Memory<byte>.Empty, liveness: true, CancellationToken.None).ConfigureAwait(false);
            // Data waiting (0 bytes, not the end of a message) is left for the application. Anything else was consumed
            // here and is the application's next result: a close, a failure, or an empty final frame (a whole message
            // end with no bytes, which a zero-byte receive reports as it is).
            if (r.Kind != YieldedKind && (r.Kind != ConnectionReceiveKind.MessageData || r.EndOfMessage))
            {
                _livenessResult = r;
                _hasLivenessResult = true;
            }
        }
        catch (Exception)
        {
            // Nobody awaits this task: the next receive sees the state the failure left.
        }
        finally
        {
            done.TrySetResult();
        }
    }

    /// <summary>The application wants to receive while the liveness read holds the receive: ask it to stop, and wait.</summary>
    private async ValueTask TakeReceiveFromLivenessReadAsync()
    {
        while (true)
        {
            int holder = Interlocked.CompareExchange(ref _receiving, ApplicationReceive, 0);
            if (holder == 0) return;
            if (holder == ApplicationReceive) throw new InvalidOperationException("A receive is already in progress.");
            TaskCompletionSource? done = Volatile.Read(ref _livenessDone);
            Interlocked.Exchange(ref _livenessStopRequested, 1);
            try { _input.CancelPendingRead(); } catch (Exception) { }
            if (done is not null) await done.Task.ConfigureAwait(false);
            else await Task.Yield();
        }
    }
}
