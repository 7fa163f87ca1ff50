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
    /// <summary>Not a status the engine returns: the transport's writer threw while a frame was written into it.</summary>
    private const SendStatus WriteFailed = (SendStatus)(-1);
    private static readonly TimerCallback s_timerCallback = static state => ((WebSocketConnection)state!).OnTimerFired();

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly bool _transportLingers;
    private readonly SocketDuplexPipe? _socketPipe;
    private readonly WebSocketProtocol _protocol;
    private readonly WebSocketConnectionOptions _options;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _protocolLock = new();
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly bool _keepAliveEnabled;
    private readonly BackpressurePolicy _policy;
    private readonly long _maxBuffered;
    // Who may touch what (the rule the adapters follow; issue 11):
    // - _output, the transport's PipeWriter, has one owner at a time. The owner is the holder of _sendLock while
    //   _flushInProgress is false. While _flushInProgress is true (non-waiting policies: a flush the transport has not
    //   completed; Wait: the flush of a send whose token fired), the flush belongs to DrainAsync, which touches the
    //   writer again only once it has the flush's result and holds _sendLock; holders of _sendLock write into _overflow
    //   instead (Wait sends and pings first wait for DrainAsync to finish). Any thread may call
    //   _output.CancelPendingFlush() (PipeWriter allows it). _output.Complete is called once (_outputClosed), by an owner,
    //   never while a flush is in flight: Abort and the closing code only request it (_completeRequested) and whoever
    //   owns the writer next completes it (ReleaseWriter).
    // - _input, the PipeReader, is used by the one receive in progress (_receiving), or by the closing code when no
    //   receive is in progress; CompleteInput defers to an active receive, which completes it when it returns.
    // - The engine (_protocol) is used under _protocolLock; _disposed is set under it.
    // - _overflow, _inFlightBytes: guarded by _sendLock (the owner of the writer, or of the overflow while a flush is in flight).
    // - _keepAlive, _timer, _timerStopped: guarded by _protocolLock.
    // - _aborted, _outputCompleted, _completeRequested, _cancelRequested, _flushInProgress: written by owners, read anywhere
    //   (volatile); the flags only ever go from false to true, except _flushInProgress, which only the writer's owner changes.
    private int _receiving;
    private volatile bool _inputCompleted;
    private int _inputClosed;
    private volatile bool _outputCompleted;
    private volatile bool _outputClosed;
    private volatile bool _outputClosedGracefully;
    private volatile bool _completeRequested;
    private volatile bool _cancelRequested;
    private volatile bool _aborted;

    // Keep-alive and close timeout (guarded by _protocolLock).
    private KeepAlive _keepAlive;
    private ITimer? _timer;
    private bool _timerStopped;
    private volatile KeepAliveAction _timedOut;

    // Non-waiting backpressure policies (guarded by _sendLock): a flush the transport has not completed yet, the bytes
    // given to it, the frames written since it started, and the task finishing it.
    private volatile bool _flushInProgress;
    private long _inFlightBytes;
    private OutboundBuffer? _overflow;
    private Task? _drain;

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
        _socketPipe = transport as SocketDuplexPipe;
        _transportLingers = _socketPipe is not null;
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
    internal bool IsBackpressured => _flushInProgress;

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
                if (_protocol.HasPendingReceiveData)
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
                    return InputFailed();
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
                        return InputFailed();
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
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not <see cref="MessageType.Text"/> or <see cref="MessageType.Binary"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<SendStatus> SendAsync(ReadOnlyMemory<byte> payload, MessageType type, bool endOfMessage = true, CancellationToken cancellationToken = default)
    {
        if (type is not (MessageType.Text or MessageType.Binary)) throw new ArgumentOutOfRangeException(nameof(type));
        await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outputCompleted || _protocol.IsCloseSent) return SendStatus.Closed;
            long size = payload.Length + FrameHeader.MaxLength;
            if (IsOverLimit(size)) return OnBufferFull();
            SendStatus status;
            IBufferWriter<byte> target = Target;
            lock (_protocolLock)
            {
                if (_disposed) return SendStatus.Closed;
                try
                {
                    status = _protocol.WriteMessage(target, payload.Span, type, endOfMessage);
                }
                catch (Exception e) when (e is not ArgumentException)
                {
                    // GetSpan/Advance of a writer completed or failed underneath us (e.g. by the host).
                    status = WriteFailed;
                }
            }
            if (status == WriteFailed)
            {
                OutputFailed();
                return SendStatus.Closed;
            }
            if (status == SendStatus.Done)
            {
                await CommitAsync(size, cancellationToken).ConfigureAwait(false);
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
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<SendStatus> PingAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outputCompleted || _protocol.IsCloseSent) return SendStatus.Closed;
            if (IsOverLimit(ControlFrameBytes)) return OnBufferFull();
            SendStatus status;
            IBufferWriter<byte> target = Target;
            lock (_protocolLock)
            {
                if (_disposed) return SendStatus.Closed;
                try
                {
                    status = _protocol.WritePing(target, payload.Span);
                }
                catch (Exception e) when (e is not ArgumentException)
                {
                    // GetSpan/Advance of a writer completed or failed underneath us (e.g. by the host).
                    status = WriteFailed;
                }
            }
            if (status == WriteFailed)
            {
                OutputFailed();
                return SendStatus.Closed;
            }
            if (status == SendStatus.Done)
            {
                await CommitAsync(ControlFrameBytes, cancellationToken).ConfigureAwait(false);
                if (_outputCompleted) return SendStatus.Closed;
            }
            return status;
        }
        finally
        {
            ReleaseWriter();
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
            IBufferWriter<byte> target = Target;
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
            }
            if (status == WriteFailed)
            {
                OutputFailed();
                return SendStatus.Closed;
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
            ReleaseWriter();
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
        // A socket pipe's send loop would otherwise wait for a paused peer to take the last bytes; after a graceful
        // completion (the closing handshake is done) it is left to send them and close with a FIN.
        if (!_outputClosedGracefully) _socketPipe?.Abort();
    }

    /// <summary>
    /// Aborts the connection if it is still open and releases the transport. When the returned task completes the
    /// connection no longer uses the transport's writer (it is completed) nor its reader (completed, or completed by a
    /// receive still returning).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Abort();
        // The writer's owner (a sender whose flush was just cancelled, or the drain loop) completes it when it lets go.
        using (var bound = new CancellationTokenSource(BoundedCloseTimeout, _time))
        {
            try
            {
                await _sendLock.WaitAsync(bound.Token).ConfigureAwait(false);
                Task? drain = _drain;
                ReleaseWriter();
                if (drain is not null) await drain.WaitAsync(bound.Token).ConfigureAwait(false);
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

    private bool _disposed;

    // ---- Sending, writer ownership and backpressure ----

    /// <summary>Where the owner of the send lock writes frames: the transport, or the overflow while a flush is in flight.</summary>
    private IBufferWriter<byte> Target => _flushInProgress ? (_overflow ??= new OutboundBuffer()) : _output;

    /// <summary>Bytes written while the transport pushes back: those of the flush in flight plus the overflow's.</summary>
    private long BufferedBytes => _inFlightBytes + (_overflow?.Length ?? 0);

    private bool IsOverLimit(long size) => _policy != BackpressurePolicy.Wait && _flushInProgress && BufferedBytes + size > _maxBuffered;

    /// <summary>The outbound buffer is over its limit (caller holds the send lock): apply the policy.</summary>
    private SendStatus OnBufferFull()
    {
        if (_policy == BackpressurePolicy.FailSend) return SendStatus.BufferFull;
        ushort code = _policy == BackpressurePolicy.CloseWith1013 ? CloseCodes.TryAgainLater : CloseCodes.MessageTooBig;
        SendStatus closed;
        IBufferWriter<byte> target = Target; // the overflow: a flush is in flight
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
        }
        if (closed == WriteFailed)
        {
            OutputFailed();
            return SendStatus.BufferFull;
        }
        if (closed == SendStatus.Done) StartCloseTimer();
        return SendStatus.BufferFull;
    }

    /// <summary>Makes written bytes go out (caller owns the writer), waiting or not as the policy says.</summary>
    private ValueTask CommitAsync(long size, CancellationToken cancellationToken)
    {
        if (_flushInProgress) return default; // in the overflow: the drain loop moves it once the transport took the rest
        if (_policy == BackpressurePolicy.Wait) return FlushAsync(size, cancellationToken);
        StartFlush(size);
        return default;
    }

    /// <summary>
    /// Takes the send lock for a send or ping. With <see cref="BackpressurePolicy.Wait"/> it also waits until no flush
    /// is held by the drain loop (one a cancelled send left behind), so that a Wait send always owns the writer.
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
            Task? drain = _drain;
            ReleaseWriter();
            if (drain is not null) await drain.WaitAsync(cancellationToken).ConfigureAwait(false);
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts a flush without waiting for it; a flush the transport holds back is finished by <see cref="DrainAsync"/>.</summary>
    private void StartFlush(long size)
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
            ObserveFlush(flush);
            return;
        }
        _inFlightBytes = size;
        _flushInProgress = true;
        _drain = DrainAsync(flush);
    }

    private void ObserveFlush(ValueTask<FlushResult> flush)
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
    private async Task DrainAsync(ValueTask<FlushResult> pending)
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
                        try
                        {
                            if (_overflow is { Length: > 0 }) moved = _overflow.MoveTo(_output);
                            lock (_protocolLock)
                            {
                                if (!_disposed && _protocol.HasPendingOutput) moved += _protocol.WritePendingOutput(_output);
                            }
                        }
                        catch (Exception)
                        {
                            OutputFailed();
                        }
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
                        ObserveFlush(pending);
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

    private async ValueTask FlushPendingAsync(CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outputCompleted) return;
            int written;
            IBufferWriter<byte> target = Target;
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
            }
            if (written < 0)
            {
                OutputFailed();
                return;
            }
            if (written != 0) await CommitAsync(written, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReleaseWriter();
        }
    }

    /// <summary>
    /// The Wait policy's flush (caller owns the writer). The caller's token ends the caller's wait, never the transport's
    /// flush: a transport whose flush is cancelled may be left unusable (Kestrel aborts the connection when a response
    /// write is cancelled). A flush still held back when the token fires is handed to the drain loop, as for the
    /// non-waiting policies, and the next Wait send waits for it (<see cref="AcquireWriterAsync"/>).
    /// </summary>
    private async ValueTask FlushAsync(long size, CancellationToken cancellationToken)
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
            _drain = DrainAsync(new ValueTask<FlushResult>(pending));
            throw;
        }
        catch (Exception)
        {
            // The flush itself failed or was cancelled (an abort): seen below.
        }
        ObserveFlush(new ValueTask<FlushResult>(pending));
    }

    /// <summary>
    /// Lets go of the send lock (caller holds it). A completion requested meanwhile is carried out by whoever owns the
    /// writer: this caller when no flush is in flight, else the drain loop when its flush returns (cancelled, for an abort).
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
        await CompleteOutputGracefullyAsync().ConfigureAwait(false);
        CompleteInput();
    }

    /// <summary>
    /// Completes the writer once everything written (the close frame last) has gone out: at once when no flush is in
    /// flight, else when the drain loop has finished. A peer that takes longer than the close timeout to take the bytes
    /// is aborted.
    /// </summary>
    private async ValueTask CompleteOutputGracefullyAsync()
    {
        if (_outputClosed) return;
        _completeRequested = true;
        if (_sendLock.Wait(0))
        {
            Task? idle = _flushInProgress ? _drain : null;
            ReleaseWriter();
            if (idle is null) return;
        }
        using var bound = new CancellationTokenSource(BoundedCloseTimeout, _time);
        try
        {
            // A waiting sender holds the lock through its flush; the drain loop holds the flush. Either completes the
            // writer when it lets go (the request is set).
            await _sendLock.WaitAsync(bound.Token).ConfigureAwait(false);
            Task? drain = _flushInProgress ? _drain : null;
            ReleaseWriter();
            if (drain is not null) await drain.WaitAsync(bound.Token).ConfigureAwait(false);
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
    private async ValueTask DrainAfterFailureAsync()
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
