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
    // ---- Sending, writer ownership and backpressure ----

    /// <summary>
    /// Sends a message, or one fragment of it. With <see cref="BackpressurePolicy.Wait"/> it waits for the flush; with the
    /// other policies it returns at once, or <see cref="SendStatus.BufferFull"/> when the outbound buffer is over its limit.
    /// A transport that fails or is aborted makes it return <see cref="SendStatus.Closed"/>; it never throws for it. A send
    /// whose own flush failed or was cancelled by <see cref="Abort"/> returns <see cref="SendStatus.Closed"/> too: its frame
    /// was handed to the transport and may or may not reach the peer.
    /// </summary>
    /// <param name="payload">The payload.</param>
    /// <param name="type">The message type.</param>
    /// <param name="endOfMessage">True for the last (or only) fragment.</param>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    /// <returns><see cref="SendStatus.Done"/>, or why nothing was sent.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not <see cref="MessageKind.Text"/> or <see cref="MessageKind.Binary"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public ValueTask<SendStatus> SendAsync(ReadOnlyMemory<byte> payload, MessageKind type, bool endOfMessage = true, CancellationToken cancellationToken = default)
    {
        if (type is not (MessageKind.Text or MessageKind.Binary)) throw new ArgumentOutOfRangeException(nameof(type));
        return SendCoreAsync(payload, type, endOfMessage, null, cancellationToken);
    }

    /// <summary>
    /// Sends a prepared message: a whole message framed (and compressed) once for any number of connections, copied into
    /// the transport's buffer with no framing, compression or allocation of its own (see <see cref="PreparedMessage"/>).
    /// Everything else is as for <see cref="SendAsync(ReadOnlyMemory{byte}, MessageKind, bool, CancellationToken)"/>: it
    /// is ordered with the other sends, follows <see cref="WebSocketConnectionOptions.BackpressurePolicy"/> (the frame's
    /// length counts against <see cref="WebSocketConnectionOptions.MaxBufferedOutboundBytes"/>), counts as a sent message
    /// in the metrics, and returns <see cref="SendStatus.Closed"/> once the connection is closing or gone.
    /// </summary>
    /// <param name="message">The message; the same instance may be sent by many connections at the same time.</param>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    /// <returns><see cref="SendStatus.Done"/>, or why nothing was sent (<see cref="SendStatus.MessageInProgress"/> while a
    /// fragmented message sent with <c>endOfMessage: false</c> is unfinished).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public ValueTask<SendStatus> SendAsync(PreparedMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SendCoreAsync(default, message.Kind, true, message, cancellationToken);
    }

    /// <summary>A message or fragment (<paramref name="prepared"/> null), or a prepared message.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SendStatus> SendCoreAsync(ReadOnlyMemory<byte> payload, MessageKind type, bool endOfMessage, PreparedMessage? prepared, CancellationToken cancellationToken)
    {
        await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outputCompleted || _protocol.IsCloseSent) return SendStatus.Closed;
            long size = prepared is null ? payload.Length + FrameHeader.MaxLength : _protocol.GetPreparedFrameLength(prepared);
            if (IsOverLimit(size)) return OnBufferFull();
            SendStatus status;
            IBufferWriter<byte> target = Target;
            (long, long) deflated = default;
            FrameCounts frames;
            lock (_protocolLock)
            {
                if (_disposed) return SendStatus.Closed;
                try
                {
                    status = prepared is null
                        ? _protocol.WriteMessage(target, payload.Span, type, endOfMessage)
                        : _protocol.WritePreparedMessage(target, prepared);
                    if (_idleTimeoutEnabled && status == SendStatus.Done) _keepAlive.OnMessageActivity(Now);
                    if (_protocol.IsCompressionEnabled) deflated = TakeDeflatedLocked();
                }
                catch (Exception e) when (e is not ArgumentException)
                {
                    // GetSpan/Advance of a writer completed or failed underneath us (e.g. by the host).
                    status = WriteFailed;
                }
                finally
                {
                    frames = TakeFramesLocked(received: false);
                }
            }
            RecordFrames(frames, received: false);
            if (status == WriteFailed)
            {
                OutputFailed();
                return SendStatus.Closed;
            }
            if (status == SendStatus.Done)
            {
                RecordData(prepared?.Length ?? payload.Length, type, endOfMessage, received: false);
                if (_protocol.IsCompressionEnabled) RecordCompression(deflated, received: false);
                await FlushWrittenAsync(size, cancellationToken).ConfigureAwait(false);
                // The flush failed, or an abort cancelled it: the message may not reach the peer.
                if (_outputCompleted) return SendStatus.Closed;
            }
            return status;
        }
        finally
        {
            ReleaseWriter();
        }
    }

    /// <summary>Sends a ping.</summary>
    /// <param name="payload">At most 125 bytes.</param>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public ValueTask<SendStatus> PingAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        => PingCoreAsync(payload, measured: false, cancellationToken);

    /// <summary>Sends a ping; a measured one carries the next round-trip sequence number instead of <paramref name="payload"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SendStatus> PingCoreAsync(ReadOnlyMemory<byte> payload, bool measured, CancellationToken cancellationToken)
    {
        await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outputCompleted || _protocol.IsCloseSent) return SendStatus.Closed;
            if (IsOverLimit(ControlFrameBytes)) return OnBufferFull();
            SendStatus status;
            IBufferWriter<byte> target = Target;
            FrameCounts frames;
            lock (_protocolLock)
            {
                if (_disposed) return SendStatus.Closed;
                try
                {
                    if (measured) payload = NextMeasuredPingLocked();
                    status = _protocol.WritePing(target, payload.Span);
                }
                catch (Exception e) when (e is not ArgumentException)
                {
                    // GetSpan/Advance of a writer completed or failed underneath us (e.g. by the host).
                    status = WriteFailed;
                }
                finally
                {
                    frames = TakeFramesLocked(received: false);
                }
            }
            RecordFrames(frames, received: false);
            if (status == WriteFailed)
            {
                OutputFailed();
                return SendStatus.Closed;
            }
            if (status == SendStatus.Done)
            {
                await FlushWrittenAsync(ControlFrameBytes, cancellationToken).ConfigureAwait(false);
                if (_outputCompleted) return SendStatus.Closed;
            }
            return status;
        }
        finally
        {
            ReleaseWriter();
        }
    }

    /// <summary>Where the owner of the send lock writes frames: the transport, or the overflow while a flush is in flight.</summary>
    private IBufferWriter<byte> Target => _flushInProgress ? (_overflow ??= new OutboundBuffer()) : _output;

    /// <summary>Bytes written while the transport pushes back: those of the flush in flight plus the overflow's.</summary>
    private long BufferedBytes => _inFlightBytes + (_overflow?.Length ?? 0);

    private bool IsOverLimit(long size) => _policy != BackpressurePolicy.Wait && _flushInProgress && BufferedBytes + size > _maxBuffered;

    /// <summary>The outbound buffer is over its limit (caller holds the send lock): apply the policy.</summary>
    private SendStatus OnBufferFull()
    {
        WsCoreMetrics.Backpressure.Add(1, _roleTag, WsCoreMetrics.BackpressureAction(_policy));
        if (_policy == BackpressurePolicy.FailSend) return SendStatus.BufferFull;
        ushort code = _policy == BackpressurePolicy.CloseWith1013 ? CloseCodes.TryAgainLater : CloseCodes.MessageTooBig;
        SendStatus closed;
        IBufferWriter<byte> target = Target; // the overflow: a flush is in flight
        FrameCounts frames;
        lock (_protocolLock)
        {
            if (_disposed) return SendStatus.BufferFull;
            try
            {
                closed = _protocol.WriteClose(target, code, default);
            }
            catch (Exception)
            {
                closed = WriteFailed;
            }
            finally
            {
                frames = TakeFramesLocked(received: false);
            }
        }
        RecordFrames(frames, received: false);
        if (closed == WriteFailed)
        {
            OutputFailed();
            return SendStatus.BufferFull;
        }
        if (closed == SendStatus.Done)
        {
            RecordCloseSent(code);
            StartCloseTimer();
        }
        return SendStatus.BufferFull;
    }

    /// <summary>Makes written bytes go out (caller owns the writer), waiting or not as the policy says.</summary>
    private ValueTask FlushWrittenAsync(long size, CancellationToken cancellationToken)
    {
        if (_flushInProgress) return default; // in the overflow: the background flush moves it once the transport took the rest
        if (_policy == BackpressurePolicy.Wait) return FlushAndWaitAsync(size, cancellationToken);
        FlushInBackground(size);
        return default;
    }

    /// <summary>
    /// Takes the send lock for a send or ping. With <see cref="BackpressurePolicy.Wait"/> it also waits until no flush
    /// is held by the background flush (one a cancelled send left behind), so that a Wait send always owns the writer.
    /// </summary>
    private ValueTask AcquireWriterAsync(CancellationToken cancellationToken)
    {
        Task wait = _sendLock.WaitAsync(cancellationToken);
        if (wait.IsCompletedSuccessfully && !(_policy == BackpressurePolicy.Wait && _flushInProgress)) return default;
        return AcquireWriterSlowAsync(wait, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AcquireWriterSlowAsync(Task wait, CancellationToken cancellationToken)
    {
        await wait.ConfigureAwait(false);
        while (_policy == BackpressurePolicy.Wait && _flushInProgress)
        {
            Task? flushing = _backgroundFlush;
            ReleaseWriter();
            if (flushing is not null) await flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts a flush without waiting for it; a flush the transport holds back is finished by <see cref="BackgroundFlushLoopAsync"/>.</summary>
    private void FlushInBackground(long size)
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = _output.FlushAsync();
        }
        catch (Exception)
        {
            OutputFailed();
            return;
        }
        if (flush.IsCompleted)
        {
            CheckFlushResult(flush);
            return;
        }
        _inFlightBytes = size;
        _flushInProgress = true;
        _backgroundFlush = BackgroundFlushLoopAsync(flush);
    }

    private void CheckFlushResult(ValueTask<FlushResult> flush)
    {
        try
        {
            FlushResult r = flush.GetAwaiter().GetResult();
            if (r.IsCompleted || r.IsCanceled) OutputFailed();
        }
        catch (Exception)
        {
            OutputFailed();
        }
    }

    /// <summary>
    /// Owns the writer while a flush is in flight: when the transport completes it, moves the overflow into the writer and
    /// flushes again, until nothing is left. Never throws (its task is not awaited by senders).
    /// </summary>
    private async Task BackgroundFlushLoopAsync(ValueTask<FlushResult> pending)
    {
        try
        {
            while (true)
            {
                try
                {
                    FlushResult r = await pending.ConfigureAwait(false);
                    if (r.IsCompleted || r.IsCanceled) OutputFailed();
                }
                catch (Exception)
                {
                    OutputFailed();
                }
                await _sendLock.WaitAsync().ConfigureAwait(false);
                try
                {
                    _inFlightBytes = 0;
                    long moved = 0;
                    if (!_outputCompleted && !_cancelRequested)
                    {
                        FrameCounts frames = default;
                        try
                        {
                            if (_overflow is { Length: > 0 }) moved = _overflow.MoveTo(_output);
                            lock (_protocolLock)
                            {
                                try
                                {
                                    if (!_disposed && _protocol.HasPendingOutput) moved += _protocol.WritePendingOutput(_output);
                                }
                                finally
                                {
                                    if (!_disposed) frames = TakeFramesLocked(received: false);
                                }
                            }
                        }
                        catch (Exception)
                        {
                            OutputFailed();
                        }
                        RecordFrames(frames, received: false);
                    }
                    if (_outputCompleted || _cancelRequested || moved == 0)
                    {
                        _overflow?.Reset();
                        _flushInProgress = false;
                        return;
                    }
                    try
                    {
                        pending = _output.FlushAsync();
                    }
                    catch (Exception)
                    {
                        OutputFailed();
                        _flushInProgress = false;
                        return;
                    }
                    if (pending.IsCompleted)
                    {
                        CheckFlushResult(pending);
                        _flushInProgress = false;
                        return;
                    }
                    _inFlightBytes = moved;
                }
                finally
                {
                    ReleaseWriter();
                }
            }
        }
        catch (Exception)
        {
            // Not reached (every call above that can fail is guarded); never let the task fault unobserved.
            OutputFailed();
        }
    }

    private async ValueTask WriteControlFramesAsync(CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outputCompleted) return;
            int written;
            IBufferWriter<byte> target = Target;
            FrameCounts frames;
            lock (_protocolLock)
            {
                // Over the limit, a pong waits in the engine (a newer ping replaces it, §5.5.3) until the buffer drains;
                // a close frame is always written.
                if (_disposed || (IsOverLimit(2 * ControlFrameBytes) && !_protocol.IsCloseSent)) return;
                try
                {
                    written = _protocol.WritePendingOutput(target);
                }
                catch (Exception)
                {
                    written = -1;
                }
                finally
                {
                    frames = TakeFramesLocked(received: false);
                }
            }
            RecordFrames(frames, received: false);
            if (written < 0)
            {
                OutputFailed();
                return;
            }
            if (written != 0) await FlushWrittenAsync(written, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReleaseWriter();
        }
    }

    /// <summary>
    /// The Wait policy's flush (caller owns the writer). The caller's token ends the caller's wait, never the transport's
    /// flush: a transport whose flush is cancelled may be left unusable (Kestrel aborts the connection when a response
    /// write is cancelled). A flush still held back when the token fires is handed to the background flush, as for the
    /// non-waiting policies, and the next Wait send waits for it (<see cref="AcquireWriterAsync"/>).
    /// </summary>
    private async ValueTask FlushAndWaitAsync(long size, CancellationToken cancellationToken)
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = _output.FlushAsync();
        }
        catch (Exception)
        {
            OutputFailed();
            return;
        }
        if (flush.IsCompleted || !cancellationToken.CanBeCanceled)
        {
            try
            {
                FlushResult r = await flush.ConfigureAwait(false);
                if (r.IsCompleted || r.IsCanceled) OutputFailed();
            }
            catch (Exception)
            {
                // The transport failed: the peer is gone. Later sends report Closed and receives Aborted.
                OutputFailed();
            }
            return;
        }
        Task<FlushResult> pending = flush.AsTask();
        try
        {
            await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !pending.IsCompleted)
        {
            _inFlightBytes = size;
            _flushInProgress = true;
            _backgroundFlush = BackgroundFlushLoopAsync(new ValueTask<FlushResult>(pending));
            throw;
        }
        catch (Exception)
        {
            // The flush itself failed or was cancelled (an abort): seen below.
        }
        CheckFlushResult(new ValueTask<FlushResult>(pending));
    }

    /// <summary>
    /// Lets go of the send lock (caller holds it). A completion requested meanwhile is carried out by whoever owns the
    /// writer: this caller when no flush is in flight, else the background flush when its flush returns (cancelled, for an abort).
    /// </summary>
    private void ReleaseWriter()
    {
        while (true)
        {
            if (_completeRequested && !_outputClosed)
            {
                if (!_flushInProgress) CompleteOutputOwned();
                else if (_cancelRequested) CancelPendingFlushQuietly();
            }
            _sendLock.Release();
            // A request that arrived after the check above, while its requester could not take the lock: take it back.
            if (!_completeRequested || _outputClosed || _flushInProgress) return;
            if (!_sendLock.Wait(0)) return; // its holder will see the request when it lets go
        }
    }

    /// <summary>Asks for the writer to be completed (at once if nobody owns it); <paramref name="cancelFlush"/> cancels a flush in flight.</summary>
    private void RequestCompleteOutput(bool cancelFlush)
    {
        if (cancelFlush)
        {
            _cancelRequested = true;
            CancelPendingFlushQuietly();
        }
        _completeRequested = true;
        if (_sendLock.Wait(0)) ReleaseWriter();
    }

    /// <summary>
    /// The transport's writer failed (it threw, or a flush says its reader is gone or was cancelled): nothing more goes
    /// out, and the connection is aborted, so that a receive waiting on a peer that says nothing ends too and the sends
    /// report <see cref="SendStatus.Closed"/>. Callers hold the send lock or no lock, never the protocol lock.
    /// </summary>
    private void OutputFailed()
    {
        _outputCompleted = true;
        if (!_aborted) Abort();
    }

    private void CancelPendingFlushQuietly()
    {
        try { _output.CancelPendingFlush(); } catch (Exception) { }
    }

    /// <summary>Completes the writer (caller owns it: holds the send lock, no flush in flight).</summary>
    private void CompleteOutputOwned()
    {
        if (_outputClosed) return;
        _outputClosed = true;
        _outputCompleted = true;
        _overflow?.Reset();
        try
        {
            // After an abort a stream writer may still hold bytes its cancelled flush did not write; completing it with
            // an error drops them instead of writing them synchronously (StreamPipeWriter.Complete would block on a
            // paused peer). A pipe writer has none (a flush commits its bytes before it waits) and completes normally.
            if (_cancelRequested && _output.CanGetUnflushedBytes && _output.UnflushedBytes > 0) _output.Complete(new IOException("The WebSocket connection was aborted."));
            else
            {
                _outputClosedGracefully = !_cancelRequested;
                _output.Complete();
            }
        }
        catch (Exception)
        {
            // The transport is gone either way.
        }
    }
}
