using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>
/// A WebSocket connection over an <see cref="IDuplexPipe"/> (after the opening handshake), for either role. It drives a
/// <see cref="WebSocketProtocol"/> and nothing more: receive message data in chunks, send messages, close, abort.
/// One receive and one send may run at the same time; sends are serialized among themselves and with the engine's
/// own frames (pongs, close replies). Backpressure follows <see cref="WebSocketConnectionOptions.BackpressurePolicy"/>:
/// by default a send completes when its flush does, so a peer that stops reading stops the sender at the pipe's pause
/// threshold instead of growing memory. Keep-alive pings and the close timeout run on
/// <see cref="WebSocketConnectionOptions.TimeProvider"/>, driving a <see cref="KeepAlive"/> clock.
/// </summary>
public sealed class WebSocketConnection : IAsyncDisposable
{
    private const int ControlFrameBytes = FrameHeader.MaxLength + FrameHeader.MaxControlPayloadLength;
    private static readonly TimerCallback s_timerCallback = static state => ((WebSocketConnection)state!).OnTimerFired();

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly bool _transportLingers;
    private readonly WebSocketProtocol _protocol;
    private readonly WebSocketConnectionOptions _options;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _protocolLock = new();
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly bool _keepAliveEnabled;
    private readonly BackpressurePolicy _policy;
    private readonly long _maxBuffered;
    private int _receiving;
    private bool _inputCompleted;
    private bool _inputClosed;
    private bool _outputCompleted;
    private bool _outputClosed;
    private volatile bool _aborted;

    // Keep-alive and close timeout (guarded by _protocolLock).
    private KeepAlive _keepAlive;
    private ITimer? _timer;
    private bool _timerStopped;
    private volatile KeepAliveAction _timedOut;

    // Non-waiting backpressure policies (guarded by _sendLock): a flush the transport has not completed yet, and the bytes
    // written since it started.
    private bool _flushInProgress;
    private long _bufferedBytes;

    /// <summary>Creates a connection over a transport whose opening handshake is done.</summary>
    /// <param name="transport">The transport; bytes after the handshake.</param>
    /// <param name="role">This endpoint's role.</param>
    /// <param name="options">Options; defaults when null.</param>
    public WebSocketConnection(IDuplexPipe transport, WebSocketRole role, WebSocketConnectionOptions? options = null)
        : this(transport, role, options, null)
    {
    }

    /// <summary>Creates a connection over a transport whose opening handshake is done and negotiated permessage-deflate.</summary>
    /// <param name="transport">The transport; bytes after the handshake.</param>
    /// <param name="role">This endpoint's role.</param>
    /// <param name="options">Options; defaults when null.</param>
    /// <param name="perMessageDeflate">The agreed permessage-deflate parameters, or null when it is not in use.</param>
    public WebSocketConnection(IDuplexPipe transport, WebSocketRole role, WebSocketConnectionOptions? options, WsCore.Compression.PerMessageDeflateParameters? perMessageDeflate)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _input = transport.Input;
        _output = transport.Output;
        _transportLingers = transport is SocketDuplexPipe;
        _options = options ?? WebSocketConnectionOptions.Default;
        _protocol = new WebSocketProtocol(role, _options.Protocol, perMessageDeflate);
        _time = _options.TimeProvider ?? TimeProvider.System;
        _policy = _options.BackpressurePolicy;
        _maxBuffered = Math.Max(0, _options.MaxBufferedOutboundBytes);
        _startTimestamp = _time.GetTimestamp();
        _keepAlive = new KeepAlive(_options.KeepAliveInterval, _options.KeepAliveTimeout, _options.CloseTimeout, TimeSpan.Zero);
        _keepAliveEnabled = _keepAlive.Interval != TimeSpan.MaxValue;
        if (_keepAliveEnabled)
        {
            lock (_protocolLock) ArmTimerLocked(TimeSpan.Zero);
        }
    }

    /// <summary>The underlying protocol engine (state, violation, peer close code and reason).</summary>
    public WebSocketProtocol Protocol => _protocol;

    /// <summary>The closing-handshake state.</summary>
    public WebSocketState State => _protocol.State;

    /// <summary>
    /// Why the connection was aborted by its own clock: <see cref="KeepAliveAction.PeerUnresponsive"/> (no answer to a
    /// keep-alive ping in time) or <see cref="KeepAliveAction.CloseTimedOut"/> (the peer did not finish the closing
    /// handshake in time); <see cref="KeepAliveAction.None"/> otherwise.
    /// </summary>
    public KeepAliveAction TimedOut => _timedOut;

    /// <summary>Test hook: a keep-alive ping is unanswered.</summary>
    internal bool IsAwaitingPong
    {
        get { lock (_protocolLock) return _keepAlive.IsAwaitingPong; }
    }

    /// <summary>Test hook: the transport holds back a flush (non-waiting backpressure policies).</summary>
    internal bool IsBackpressured => Volatile.Read(ref _flushInProgress);

    /// <summary>True once the transport was closed without a completed closing handshake (by <see cref="Abort"/>, a timeout, or a transport failure seen by a receive).</summary>
    public bool IsAborted => _aborted;

    /// <summary>
    /// Receives the next piece of message data into <paramref name="buffer"/>, answering pings and the peer's close
    /// on the way. Only one receive may be in progress at a time.
    /// </summary>
    /// <param name="buffer">
    /// Where message bytes are written. When empty, the call waits for a data frame's payload and returns a result with
    /// <see cref="ConnectionReceiveResult.Count"/> 0 without consuming it (a zero-byte read).
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for data.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ConnectionReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _receiving, 1) != 0) throw new InvalidOperationException("A receive is already in progress.");
        try
        {
            while (true)
            {
                if (_aborted || _inputCompleted) return Aborted();
                if (!buffer.IsEmpty && _protocol.HasPendingReceiveData)
                {
                    // The engine still holds received bytes (inflated output that did not fit the last buffer): drain
                    // them before waiting for the transport, which may have nothing more to say.
                    ReceiveStatus pendingStatus;
                    ReceiveResult pendingResult;
                    lock (_protocolLock)
                    {
                        if (_disposed) return Aborted();
                        pendingStatus = _protocol.Receive(default, buffer.Span, out pendingResult);
                    }
                    if (pendingStatus == ReceiveStatus.MessageData)
                        return new ConnectionReceiveResult(ConnectionReceiveKind.MessageData, pendingResult.BytesWritten, pendingResult.MessageType, pendingResult.EndOfMessage, 0);
                    if (pendingStatus == ReceiveStatus.ProtocolError)
                    {
                        StopTimer();
                        await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
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
                    return Aborted();
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
                lock (_protocolLock)
                {
                    if (_disposed)
                    {
                        _input.AdvanceTo(sequence.Start);
                        return Aborted();
                    }
                    if (_keepAliveEnabled && !sequence.IsEmpty) _keepAlive.OnFrameReceived(Now);
                    status = Process(sequence, buffer.Span, out consumed, out result);
                }
                if (status == ReceiveStatus.NeedMoreData)
                {
                    _input.AdvanceTo(sequence.End);
                    if (read.IsCompleted || read.IsCanceled)
                    {
                        return Aborted();
                    }
                    continue;
                }
                _input.AdvanceTo(sequence.GetPosition(consumed));

                switch (status)
                {
                    case ReceiveStatus.MessageData:
                        return new ConnectionReceiveResult(ConnectionReceiveKind.MessageData, result.BytesWritten, result.MessageType, result.EndOfMessage, 0);
                    case ReceiveStatus.Ping:
                        await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                    case ReceiveStatus.Pong:
                        continue;
                    case ReceiveStatus.Close:
                        await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
                        if (_protocol.State == WebSocketState.Closed)
                        {
                            StopTimer();
                            await FinishClosingAsync(fromReceive: true).ConfigureAwait(false);
                        }
                        return new ConnectionReceiveResult(ConnectionReceiveKind.Close, 0, default, true, _protocol.PeerCloseCode);
                    default: // ProtocolError
                        StopTimer();
                        await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
                        await FinishClosingAsync(fromReceive: true).ConfigureAwait(false);
                        return new ConnectionReceiveResult(ConnectionReceiveKind.ProtocolError, 0, default, true, ProtocolViolations.GetCloseCode(_protocol.Violation));
                }
            }
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
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

    private static ConnectionReceiveResult Aborted()
    {
        return new ConnectionReceiveResult(ConnectionReceiveKind.Aborted, 0, default, true, CloseCodes.AbnormalClosure);
    }

    /// <summary>
    /// Sends a message, or one fragment of it. With <see cref="BackpressurePolicy.Wait"/> it waits for the flush; with the
    /// other policies it returns at once, or <see cref="SendStatus.BufferFull"/> when the outbound buffer is over its limit.
    /// </summary>
    /// <param name="payload">The payload.</param>
    /// <param name="type">The message type.</param>
    /// <param name="endOfMessage">True for the last (or only) fragment.</param>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    /// <returns><see cref="SendStatus.Done"/>, or why nothing was sent.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<SendStatus> SendAsync(ReadOnlyMemory<byte> payload, MessageType type, bool endOfMessage = true, CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outputCompleted || _protocol.IsCloseSent) return SendStatus.Closed;
            long size = payload.Length + FrameHeader.MaxLength;
            if (IsOverLimit(size)) return OnBufferFull();
            SendStatus status;
            lock (_protocolLock)
            {
                status = _protocol.WriteMessage(_output, payload.Span, type, endOfMessage);
            }
            if (status == SendStatus.Done) await CommitAsync(size, cancellationToken).ConfigureAwait(false);
            return status;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a ping.</summary>
    /// <param name="payload">At most 125 bytes.</param>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<SendStatus> PingAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outputCompleted || _protocol.IsCloseSent) return SendStatus.Closed;
            if (IsOverLimit(ControlFrameBytes)) return OnBufferFull();
            SendStatus status;
            lock (_protocolLock)
            {
                status = _protocol.WritePing(_output, payload.Span);
            }
            if (status == SendStatus.Done) await CommitAsync(ControlFrameBytes, cancellationToken).ConfigureAwait(false);
            return status;
        }
        finally
        {
            _sendLock.Release();
        }
    }

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
            lock (_protocolLock)
            {
                status = empty ? _protocol.WriteClose(_output) : _protocol.WriteClose(_output, code, reason.Span);
            }
            if (status == SendStatus.Done)
            {
                // A close frame is small and sent once: it is written even over the backpressure limit.
                if (_protocol.State != WebSocketState.Closed) StartCloseTimer();
                await CommitAsync(ControlFrameBytes, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendLock.Release();
        }
        if (status == SendStatus.Done && _protocol.State == WebSocketState.Closed)
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
        SendStatus status = await CloseOutputCoreAsync(code, reason, empty, cancellationToken).ConfigureAwait(false);
        if (status != SendStatus.Done && status != SendStatus.Closed) return status;
        if (Volatile.Read(ref _receiving) != 0) return status;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (_protocol.State != WebSocketState.Closed && !_aborted)
            {
                ConnectionReceiveResult r = await ReceiveAsync(scratch, cancellationToken).ConfigureAwait(false);
                if (r.Kind != ConnectionReceiveKind.MessageData) break;
            }
        }
        catch (OperationCanceledException)
        {
            Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
        return status;
    }

    /// <summary>Closes the transport at once, without a closing handshake. Pending and later operations end as aborted.</summary>
    public void Abort()
    {
        _aborted = true;
        StopTimer();
        try { _input.CancelPendingRead(); } catch (InvalidOperationException) { }
        try { _output.CancelPendingFlush(); } catch (InvalidOperationException) { }
        CompleteOutput();
        CompleteInput();
    }

    /// <summary>Aborts the connection if it is still open and releases the transport.</summary>
    public ValueTask DisposeAsync()
    {
        Abort();
        lock (_protocolLock)
        {
            // Sends check the output first and receives check this flag under the same lock, so nothing uses the
            // engine's native compression state after this.
            _disposed = true;
            _protocol.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    private bool _disposed;

    // ---- Sending and backpressure ----

    private bool IsOverLimit(long size) => _policy != BackpressurePolicy.Wait && _flushInProgress && _bufferedBytes + size > _maxBuffered;

    /// <summary>The outbound buffer is over its limit (caller holds the send lock): apply the policy.</summary>
    private SendStatus OnBufferFull()
    {
        if (_policy == BackpressurePolicy.FailSend) return SendStatus.BufferFull;
        ushort code = _policy == BackpressurePolicy.CloseWith1013 ? CloseCodes.TryAgainLater : CloseCodes.MessageTooBig;
        SendStatus closed;
        lock (_protocolLock)
        {
            closed = _protocol.WriteClose(_output, code, default);
        }
        if (closed == SendStatus.Done)
        {
            _bufferedBytes += ControlFrameBytes;
            StartCloseTimer();
        }
        return SendStatus.BufferFull;
    }

    /// <summary>Makes written bytes go out (caller holds the send lock), waiting or not as the policy says.</summary>
    private ValueTask CommitAsync(long size, CancellationToken cancellationToken)
    {
        if (_policy == BackpressurePolicy.Wait) return FlushAsync(cancellationToken);
        if (_flushInProgress)
        {
            // The drain loop flushes these bytes once the transport has taken the earlier ones.
            _bufferedBytes += size;
            return default;
        }
        StartFlush();
        return default;
    }

    /// <summary>Starts a flush without waiting for it; a flush the transport holds back is finished by <see cref="DrainAsync"/>.</summary>
    private void StartFlush()
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = _output.FlushAsync();
        }
        catch (Exception)
        {
            _outputCompleted = true;
            return;
        }
        if (flush.IsCompleted)
        {
            ObserveFlush(flush);
            return;
        }
        _flushInProgress = true;
        _bufferedBytes = 0;
        _ = DrainAsync(flush);
    }

    private void ObserveFlush(ValueTask<FlushResult> flush)
    {
        try
        {
            FlushResult r = flush.GetAwaiter().GetResult();
            if (r.IsCompleted || r.IsCanceled) _outputCompleted = true;
        }
        catch (Exception)
        {
            _outputCompleted = true;
        }
    }

    private async Task DrainAsync(ValueTask<FlushResult> pending)
    {
        while (true)
        {
            try
            {
                FlushResult r = await pending.ConfigureAwait(false);
                if (r.IsCompleted || r.IsCanceled) _outputCompleted = true;
            }
            catch (Exception)
            {
                _outputCompleted = true;
            }
            await _sendLock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!_outputCompleted)
                {
                    lock (_protocolLock)
                    {
                        if (_protocol.HasPendingOutput) _bufferedBytes += _protocol.WritePendingOutput(_output);
                    }
                }
                if (_outputCompleted || _bufferedBytes == 0)
                {
                    _flushInProgress = false;
                    _bufferedBytes = 0;
                    return;
                }
                _bufferedBytes = 0;
                try
                {
                    pending = _output.FlushAsync();
                }
                catch (Exception)
                {
                    _outputCompleted = true;
                    _flushInProgress = false;
                    return;
                }
                if (pending.IsCompleted)
                {
                    ObserveFlush(pending);
                    _flushInProgress = false;
                    return;
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
    }

    private async ValueTask FlushPendingAsync(CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outputCompleted) return;
            int written;
            lock (_protocolLock)
            {
                // Over the limit, a pong waits in the engine (a newer ping replaces it, §5.5.3) until the buffer drains;
                // a close frame is always written.
                if (IsOverLimit(2 * ControlFrameBytes) && !_protocol.IsCloseSent) return;
                written = _protocol.WritePendingOutput(_output);
            }
            if (written != 0) await CommitAsync(written, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            FlushResult flush = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flush.IsCompleted || flush.IsCanceled) _outputCompleted = true;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The transport failed: the peer is gone. Later sends report Closed and receives Aborted.
            _outputCompleted = true;
        }
    }

    // ---- Keep-alive and close timeout ----

    private TimeSpan Now => _time.GetElapsedTime(_startTimestamp);

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
        timer?.Dispose();
    }

    private void OnTimerFired()
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
                Abort();
                break;
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

    // ---- Closing the transport ----

    /// <summary>The closing handshake is complete: the server closes TCP first (§7.1.1); the client waits for it a while.</summary>
    private async ValueTask FinishClosingAsync(bool fromReceive)
    {
        if (_protocol.Role == WebSocketRole.Server && fromReceive && !_inputCompleted && !_aborted && !_protocol.IsCloseReceived
            && !_transportLingers && _options.FailureDrainQuietPeriod > TimeSpan.Zero)
        {
            await DrainAfterFailureAsync().ConfigureAwait(false);
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
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            CompleteOutput();
        }
        finally
        {
            _sendLock.Release();
        }
        CompleteInput();
    }

    /// <summary>Reads and discards input until the peer closes, goes quiet, or the close timeout passes.</summary>
    private async ValueTask DrainAfterFailureAsync()
    {
        TimeSpan limit = _options.CloseTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.FromSeconds(30) : _options.CloseTimeout;
        TimeSpan deadline = Now + limit;
        try
        {
            while (true)
            {
                TimeSpan left = deadline - Now;
                if (left <= TimeSpan.Zero) return;
                using var quiet = new CancellationTokenSource(left < _options.FailureDrainQuietPeriod ? left : _options.FailureDrainQuietPeriod, _time);
                ReadResult r = await _input.ReadAsync(quiet.Token).ConfigureAwait(false);
                _input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted || r.IsCanceled) return;
            }
        }
        catch (Exception)
        {
            // Quiet, timed out, or the transport failed: close it now.
        }
    }

    private void CompleteOutput()
    {
        lock (_protocolLock)
        {
            if (_outputCompleted && _outputClosed) return;
            _outputCompleted = true;
            _outputClosed = true;
            try { _output.Complete(); } catch (InvalidOperationException) { }
        }
    }

    private void CompleteInput()
    {
        _inputCompleted = true;
        if (_inputClosed || Volatile.Read(ref _receiving) != 0) return; // an active receive completes it when it returns
        _inputClosed = true;
        try { _input.Complete(); } catch (InvalidOperationException) { }
    }
}
