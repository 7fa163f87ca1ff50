using System.Buffers;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using WsCore.Closing;
using WsCore.Diagnostics;
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
public sealed partial class WebSocketConnection : IAsyncDisposable
{
    private const int ControlFrameBytes = FrameHeader.MaxLength + FrameHeader.MaxControlPayloadLength;
    /// <summary>Not a status the engine returns: the transport's writer threw while a frame was written into it.</summary>
    private const SendStatus WriteFailed = (SendStatus)(-1);
    private static readonly TimerCallback s_timerCallback = static state => ((WebSocketConnection)state!).OnTimerFired();

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly bool _transportLingers;
    private readonly IWebSocketTransport? _transport;
    private readonly WebSocketProtocol _protocol;
    private readonly WebSocketConnectionOptions _options;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _protocolLock = new();
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly bool _keepAliveEnabled;
    private readonly bool _idleTimeoutEnabled;
    private readonly BackpressurePolicy _policy;
    private readonly long _maxBuffered;
    // Who may touch what (the rule the adapters follow; issue 11):
    // - _output, the transport's PipeWriter, has one owner at a time. The owner is the holder of _sendLock while
    //   _flushInProgress is false. While _flushInProgress is true (non-waiting policies: a flush the transport has not
    //   completed; Wait: the flush of a send whose token fired), the flush belongs to BackgroundFlushLoopAsync, which touches the
    //   writer again only once it has the flush's result and holds _sendLock; holders of _sendLock write into _overflow
    //   instead (Wait sends and pings first wait for BackgroundFlushLoopAsync to finish). Any thread may call
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
    private int _receiving; // 0, ApplicationReceive or LivenessReceive
    // The liveness read (WebSocketConnection.Receive.cs): its completion, the application's request that it stop (set
    // before CancelPendingRead, consumed by whichever receive sees the cancelled read), and a result it keeps for the
    // application's next receive (written before done completes, read by the receive that waited for done).
    private TaskCompletionSource? _livenessDone;
    private int _livenessStopRequested;
    private ConnectionReceiveResult _livenessResult;
    private volatile bool _hasLivenessResult;
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
    private Task? _backgroundFlush;

    // Metrics (WsCoreMetrics): this connection's role tag; set once when the connection has ended, and once when a close frame went out.
    private readonly KeyValuePair<string, object?> _roleTag;
    private int _metricsEnded;
    private int _closeSentRecorded;
    // permessage-deflate byte counts already recorded (guarded by _protocolLock): the engine's totals minus these are new.
    private long _deflateInRecorded;
    private long _deflateOutRecorded;
    private long _inflateInRecorded;
    private long _inflateOutRecorded;
    // Frame totals by opcode already recorded (guarded by _protocolLock), as for the deflate byte counts.
    private FrameCounts _framesReceivedRecorded;
    private FrameCounts _framesSentRecorded;

    // Round-trip measurement (guarded by _protocolLock, the payload also by _sendLock): the sequence number of the
    // measured ping in flight (0: none), when it went out, who waits for its pong; the last result (-1: none yet).
    private long _roundTripSequence;
    private long _roundTripLastSequence;
    private TimeSpan _roundTripSentAt;
    private TaskCompletionSource<TimeSpan?>? _roundTripWaiter;
    private byte[]? _roundTripPayload;
    private long _roundTripTicks = -1;

    // Set under _protocolLock by DisposeAsync: nothing touches the engine (its native compression state) after it.
    private bool _disposed;

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
        _transport = transport as IWebSocketTransport;
        _transportLingers = _transport?.DrainsInputOnClose == true;
        _options = options ?? WebSocketConnectionOptions.Default;
        _protocol = new WebSocketProtocol(role, _options.Protocol, perMessageDeflate);
        _time = _options.TimeProvider ?? TimeProvider.System;
        _policy = _options.BackpressurePolicy;
        _maxBuffered = Math.Max(0, _options.MaxBufferedOutboundBytes);
        _startTimestamp = _time.GetTimestamp();
        _roleTag = WsCoreMetrics.Role(role);
        WsCoreMetrics.OpenedConnections.Add(1, _roleTag);
        WsCoreMetrics.ActiveConnections.Add(1, _roleTag);
        _keepAlive = new KeepAlive(_options.KeepAliveInterval, _options.KeepAliveTimeout, _options.CloseTimeout,
            _options.IdleTimeout, _options.MaxLifetime, TimeSpan.Zero);
        _keepAliveEnabled = _keepAlive.Interval != TimeSpan.MaxValue;
        _idleTimeoutEnabled = _keepAlive.IdleTimeout != TimeSpan.MaxValue;
        if (_keepAlive.HasDeadlines)
        {
            lock (_protocolLock) ArmTimerLocked(TimeSpan.Zero);
        }
    }

    /// <summary>This endpoint's role.</summary>
    public WebSocketRole Role => _protocol.Role;

    /// <summary>True when permessage-deflate was negotiated for this connection.</summary>
    public bool IsCompressionEnabled => _protocol.IsCompressionEnabled;

    /// <summary>The protocol violation that failed the connection (what the peer sent wrong), or <see cref="ProtocolViolation.None"/>.</summary>
    public ProtocolViolation Violation => _protocol.Violation;

    /// <summary>
    /// The status code of the peer's close frame once it was received: 1005 (<see cref="CloseCodes.NoStatusReceived"/>)
    /// for a close frame without one; 0 before the peer's close.
    /// </summary>
    public ushort PeerCloseCode => _protocol.PeerCloseCode;

    /// <summary>The reason of the peer's close frame (valid UTF-8, checked on receipt), or null before the peer's close or when it gave none.</summary>
    public string? PeerCloseReason
    {
        get
        {
            lock (_protocolLock)
            {
                if (_disposed || !_protocol.IsCloseReceived) return null;
                ReadOnlySpan<byte> reason = _protocol.PeerCloseReason;
                return reason.IsEmpty ? null : System.Text.Encoding.UTF8.GetString(reason);
            }
        }
    }

    /// <summary>The closing-handshake state.</summary>
    public CloseHandshakeState State => _protocol.State;

    /// <summary>
    /// Why the connection was ended by its own clock, the latest reason: <see cref="KeepAliveAction.PeerUnresponsive"/>
    /// (no answer to a keep-alive ping in time, aborted), <see cref="KeepAliveAction.IdleTimeout"/> or
    /// <see cref="KeepAliveAction.MaxLifetimeReached"/> (closed with 1001; see
    /// <see cref="WebSocketConnectionOptions.IdleTimeout"/>, <see cref="WebSocketConnectionOptions.MaxLifetime"/>), or
    /// <see cref="KeepAliveAction.CloseTimedOut"/> (the peer did not finish the closing handshake in time, aborted; it
    /// replaces an earlier idle or lifetime reason); <see cref="KeepAliveAction.None"/> otherwise.
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

    // ---- Metrics ----

    private void RecordData(int count, MessageKind type, bool endOfMessage, bool received)
    {
        KeyValuePair<string, object?> typeTag = WsCoreMetrics.Type(type);
        if (count > 0) (received ? WsCoreMetrics.PayloadReceived : WsCoreMetrics.PayloadSent).Add(count, _roleTag, typeTag);
        if (endOfMessage) (received ? WsCoreMetrics.MessagesReceived : WsCoreMetrics.MessagesSent).Add(1, _roleTag, typeTag);
    }

    /// <summary>Caller holds the protocol lock: the deflate bytes (input, output) since the last call.</summary>
    private (long Uncompressed, long Compressed) TakeDeflatedLocked()
    {
        long input = _protocol.DeflateInputBytes - _deflateInRecorded;
        long output = _protocol.DeflateOutputBytes - _deflateOutRecorded;
        _deflateInRecorded += input;
        _deflateOutRecorded += output;
        return (input, output);
    }

    /// <summary>Caller holds the protocol lock: the inflate bytes (output, input) since the last call.</summary>
    private (long Uncompressed, long Compressed) TakeInflatedLocked()
    {
        long input = _protocol.InflateInputBytes - _inflateInRecorded;
        long output = _protocol.InflateOutputBytes - _inflateOutRecorded;
        _inflateInRecorded += input;
        _inflateOutRecorded += output;
        return (output, input);
    }

    private void RecordCompression((long Uncompressed, long Compressed) bytes, bool received)
    {
        KeyValuePair<string, object?> direction = received ? WsCoreMetrics.Received : WsCoreMetrics.Sent;
        if (bytes.Compressed > 0) WsCoreMetrics.CompressedBytes.Add(bytes.Compressed, _roleTag, direction);
        if (bytes.Uncompressed > 0) WsCoreMetrics.UncompressedBytes.Add(bytes.Uncompressed, _roleTag, direction);
    }

    /// <summary>Caller holds the protocol lock: the frames received (or sent) since the last call, by <see cref="FrameCounts.IndexOf"/>.</summary>
    private FrameCounts TakeFramesLocked(bool received)
    {
        ref readonly FrameCounts totals = ref received ? ref _protocol.FramesReceivedTotals : ref _protocol.FramesSentTotals;
        ref FrameCounts recorded = ref received ? ref _framesReceivedRecorded : ref _framesSentRecorded;
        FrameCounts delta = default;
        for (int i = 0; i < FrameCounts.Length; i++)
        {
            long total = totals[i];
            delta[i] = total - recorded[i];
            recorded[i] = total;
        }
        return delta;
    }

    /// <summary>Publishes frame counts taken by <see cref="TakeFramesLocked"/> (no lock held), when a listener wants them.</summary>
    private void RecordFrames(in FrameCounts delta, bool received)
    {
        Counter<long> counter = received ? WsCoreMetrics.FramesReceived : WsCoreMetrics.FramesSent;
        if (!counter.Enabled) return;
        for (int i = 0; i < FrameCounts.Length; i++)
        {
            long count = delta[i];
            if (count > 0) counter.Add(count, _roleTag, WsCoreMetrics.FrameOpcode(i));
        }
    }

    private void RecordCloseSent(ushort code)
    {
        if (Interlocked.Exchange(ref _closeSentRecorded, 1) == 0) WsCoreMetrics.ClosesSent.Add(1, _roleTag, WsCoreMetrics.CloseCode(code));
    }

    private void RecordEnded()
    {
        if (Interlocked.Exchange(ref _metricsEnded, 1) != 0) return;
        EndRoundTrip();
        WsCoreMetrics.ActiveConnections.Add(-1, _roleTag);
        if (WsCoreMetrics.ConnectionDuration.Enabled) WsCoreMetrics.ConnectionDuration.Record(Now.TotalSeconds, _roleTag);
    }
}
