using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Pipelines;

public sealed partial class WebSocketConnection
{
    // ---- Closing: the closing handshake, abort, dispose, and closing the transport ----

    /// <summary>
    /// Sends this endpoint's close frame (starting the closing handshake, or answering the peer's close when auto-reply
    /// is off). Keep receiving to see the peer's close; the transport is closed when the handshake completes, or after
    /// <see cref="WebSocketConnectionOptions.CloseTimeout"/> when the peer does not answer.
    /// </summary>
    /// <param name="code">A code that may be sent (1000-1003, 1007-1014, 3000-4999).</param>
    /// <param name="reason">A UTF-8 reason of at most 123 bytes.</param>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    public ValueTask<SendStatus> CloseOutputAsync(ushort code, ReadOnlyMemory<byte> reason = default, CancellationToken cancellationToken = default)
        => CloseOutputCoreAsync(code, reason, empty: false, cancellationToken);

    /// <summary>
    /// Sends an empty close frame (no status code, no reason; the peer sees 1005), starting the closing handshake or
    /// answering the peer's close when auto-reply is off. Otherwise like <see cref="CloseOutputAsync(ushort, ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    public ValueTask<SendStatus> CloseOutputAsync(CancellationToken cancellationToken = default)
        => CloseOutputCoreAsync(0, default, empty: true, cancellationToken);

    private async ValueTask<SendStatus> CloseOutputCoreAsync(ushort code, ReadOnlyMemory<byte> reason, bool empty, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        SendStatus status;
        try
        {
            if (_outputCompleted) return SendStatus.Closed;
            IBufferWriter<byte> target = Target;
            FrameCounts frames;
            lock (_protocolLock)
            {
                if (_disposed) return SendStatus.Closed;
                try
                {
                    status = empty ? _protocol.WriteClose(target) : _protocol.WriteClose(target, code, reason.Span);
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
                // A close frame is small and sent once: it is written even over the backpressure limit.
                RecordCloseSent(empty ? Closing.CloseCodes.NoStatusReceived : code);
                if (_protocol.State != CloseHandshakeState.Closed) StartCloseTimer();
                await FlushWrittenAsync(ControlFrameBytes, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ReleaseWriter();
        }
        if (status == SendStatus.Done && _protocol.State == CloseHandshakeState.Closed)
        {
            StopTimer();
            await FinishClosingAsync(fromReceive: false).ConfigureAwait(false);
        }
        return status;
    }

    /// <summary>
    /// Closes the WebSocket: sends the close frame, then (when no receive is in progress) reads and discards data until
    /// the peer's close arrives, <see cref="WebSocketConnectionOptions.CloseTimeout"/> passes or
    /// <paramref name="cancellationToken"/> fires, and closes the transport.
    /// </summary>
    /// <param name="code">A code that may be sent.</param>
    /// <param name="reason">A UTF-8 reason of at most 123 bytes.</param>
    /// <param name="cancellationToken">Bounds the wait for the peer's close; when it fires the connection is aborted.</param>
    public ValueTask<SendStatus> CloseAsync(ushort code, ReadOnlyMemory<byte> reason = default, CancellationToken cancellationToken = default)
        => CloseCoreAsync(code, reason, empty: false, cancellationToken);

    /// <summary>
    /// Closes the WebSocket with an empty close frame (no status code, no reason; the peer sees 1005). Otherwise like
    /// <see cref="CloseAsync(ushort, ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// </summary>
    /// <param name="cancellationToken">Bounds the wait for the peer's close; when it fires the connection is aborted.</param>
    public ValueTask<SendStatus> CloseAsync(CancellationToken cancellationToken = default)
        => CloseCoreAsync(0, default, empty: true, cancellationToken);

    private async ValueTask<SendStatus> CloseCoreAsync(ushort code, ReadOnlyMemory<byte> reason, bool empty, CancellationToken cancellationToken)
    {
        SendStatus status;
        try
        {
            status = await CloseOutputCoreAsync(code, reason, empty, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Abort();
            return SendStatus.Closed;
        }
        if (status != SendStatus.Done && status != SendStatus.Closed) return status;
        if (Volatile.Read(ref _receiving) == ApplicationReceive) return status; // it sees the peer's close (a liveness read is stopped below)
        byte[] scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (_protocol.State != CloseHandshakeState.Closed && !_aborted)
            {
                ConnectionReceiveResult r = await ReceiveAsync(scratch, cancellationToken).ConfigureAwait(false);
                if (r.Kind != ConnectionReceiveKind.MessageData) break;
            }
        }
        catch (OperationCanceledException)
        {
            Abort();
        }
        catch (InvalidOperationException)
        {
            // A receive started meanwhile: it sees the peer's close.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
        return status;
    }

    /// <summary>
    /// Closes the transport at once, without a closing handshake. Pending and later operations end as aborted: a
    /// blocked flush is cancelled, sends return <see cref="SendStatus.Closed"/>, a receive returns
    /// <see cref="ConnectionReceiveKind.Aborted"/>. Frames still buffered by a non-waiting policy are dropped. Safe to
    /// call from any thread, any number of times; it never blocks and never throws.
    /// </summary>
    public void Abort()
    {
        _aborted = true;
        _outputCompleted = true;
        Interlocked.MemoryBarrier(); // pairs with the receive's Interlocked.Exchange(ref _receiving) (CompleteInput)
        StopTimer();
        try { _input.CancelPendingRead(); } catch (Exception) { }
        RequestCompleteOutput(cancelFlush: true);
        CompleteInput();
        RecordEnded();
        // A transport that can abort (a socket pipe's send loop would otherwise wait for a paused peer to take the last
        // bytes) is aborted; after a graceful completion (the closing handshake is done) it is left to send them and close.
        if (!_outputClosedGracefully)
        {
            try { _transport?.Abort(); } catch (Exception) { }
        }
    }

    /// <summary>
    /// Aborts the connection if it is still open and releases the transport. When the returned task completes the
    /// connection no longer uses the transport's writer (it is completed) nor its reader (completed, or completed by a
    /// receive still returning).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Abort();
        // The writer's owner (a sender whose flush was just cancelled, or the background flush) completes it when it lets go.
        using (var bound = new CancellationTokenSource(BoundedCloseTimeout, _time))
        {
            try
            {
                await _sendLock.WaitAsync(bound.Token).ConfigureAwait(false);
                Task? flushing = _backgroundFlush;
                ReleaseWriter();
                if (flushing is not null) await flushing.WaitAsync(bound.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A transport that ignores CancelPendingFlush: the owner completes the writer whenever it returns.
            }
        }
        lock (_protocolLock)
        {
            // Sends check this flag under the same lock before they write, and receives too, so nothing uses the
            // engine's native compression state after this.
            _disposed = true;
            _protocol.Dispose();
        }
    }

    /// <summary>The closing handshake is complete: the server closes TCP first (§7.1.1); the client waits for it a while.</summary>
    private async ValueTask FinishClosingAsync(bool fromReceive)
    {
        if (_protocol.Role == WebSocketRole.Server && fromReceive && !_inputCompleted && !_aborted && !_protocol.IsCloseReceived
            && !_transportLingers && _options.FailureDrainQuietPeriod > TimeSpan.Zero)
        {
            await DiscardInputAfterFailureAsync().ConfigureAwait(false);
        }
        if (_protocol.Role == WebSocketRole.Client && !_inputCompleted && (fromReceive || Volatile.Read(ref _receiving) == 0))
        {
            using var timeout = new CancellationTokenSource(_options.ClientCloseWait, _time);
            try
            {
                while (true)
                {
                    ReadResult r = await _input.ReadAsync(timeout.Token).ConfigureAwait(false);
                    _input.AdvanceTo(r.Buffer.End);
                    if (r.IsCompleted || r.IsCanceled) break;
                }
            }
            catch (Exception)
            {
                // Timed out or the transport failed: close it ourselves.
            }
        }
        await CompleteOutputGracefullyAsync().ConfigureAwait(false);
        CompleteInput();
        RecordEnded();
    }

    /// <summary>
    /// Completes the writer once everything written (the close frame last) has gone out: at once when no flush is in
    /// flight, else when the background flush has finished. A peer that takes longer than the close timeout to take the bytes
    /// is aborted.
    /// </summary>
    private async ValueTask CompleteOutputGracefullyAsync()
    {
        if (_outputClosed) return;
        _completeRequested = true;
        if (_sendLock.Wait(0))
        {
            Task? flushing = _flushInProgress ? _backgroundFlush : null;
            ReleaseWriter();
            if (flushing is null) return;
        }
        using var bound = new CancellationTokenSource(BoundedCloseTimeout, _time);
        try
        {
            // A waiting sender holds the lock through its flush; the background flush holds the flush. Either completes the
            // writer when it lets go (the request is set).
            await _sendLock.WaitAsync(bound.Token).ConfigureAwait(false);
            Task? flushing = _flushInProgress ? _backgroundFlush : null;
            ReleaseWriter();
            if (flushing is not null) await flushing.WaitAsync(bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Abort();
        }
    }

    /// <summary>
    /// Reads and discards input until the peer closes, goes quiet (<see cref="WebSocketConnectionOptions.FailureDrainQuietPeriod"/>),
    /// or has sent <see cref="WebSocketConnectionOptions.FailureDrainMaxBytes"/>, or <see cref="WebSocketConnectionOptions.FailureDrainTimeout"/>
    /// (at most the close timeout) has passed, whichever comes first.
    /// </summary>
    private async ValueTask DiscardInputAfterFailureAsync()
    {
        TimeSpan limit = _options.FailureDrainTimeout;
        if (limit > BoundedCloseTimeout) limit = BoundedCloseTimeout;
        long maxBytes = _options.FailureDrainMaxBytes;
        TimeSpan deadline = Now + limit;
        long drained = 0;
        try
        {
            while (true)
            {
                TimeSpan left = deadline - Now;
                if (left <= TimeSpan.Zero) return;
                using var quiet = new CancellationTokenSource(left < _options.FailureDrainQuietPeriod ? left : _options.FailureDrainQuietPeriod, _time);
                ReadResult r = await _input.ReadAsync(quiet.Token).ConfigureAwait(false);
                drained += r.Buffer.Length;
                _input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted || r.IsCanceled || drained >= maxBytes) return;
            }
        }
        catch (Exception)
        {
            // Quiet, timed out, or the transport failed: close it now.
        }
    }

    private void CompleteInput()
    {
        _inputCompleted = true;
        Interlocked.MemoryBarrier(); // pairs with the receive's Interlocked.Exchange(ref _receiving)
        if (Volatile.Read(ref _receiving) != 0) return; // an active receive completes it when it returns
        if (Interlocked.Exchange(ref _inputClosed, 1) != 0) return;
        try { _input.Complete(); } catch (Exception) { }
    }
}
