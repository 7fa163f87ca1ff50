using System.Buffers;
using System.Runtime.CompilerServices;
using WsCore.Compression;
using WsCore.Framing;
using WsCore.Text;

namespace WsCore.Protocol;

/// <summary>
/// The sans-I/O RFC 6455 connection state machine for one connection, server or client role. Feed it the bytes that
/// arrive, in any split, with <see cref="Receive"/>: it emits one event per call (message data written into your buffer,
/// ping, pong, close, protocol error). Write messages and control frames with the <c>Write…</c> methods into an
/// <see cref="IBufferWriter{T}"/>; frames the engine must send on its own (auto-pong, the close reply, the close that
/// fails the connection) are queued and written by <see cref="WritePendingOutput"/> or before the next frame you write.
/// </summary>
/// <remarks>
/// It never does I/O, never reads the clock and never throws for bytes a peer sends. It is not thread-safe: one reader
/// and one writer may not call it at the same time (an adapter serializes them). After warm-up it allocates nothing.
/// </remarks>
// One class in partial files by concern: this one holds the state, the constructor and the read-only surface;
// .Receive.cs the receive phases (ReceivePhase, one method each) and the fast path; .Send.cs messages, pings, pongs and
// queued output; .Closing.cs the closing handshake and failing the connection; .Deflate.cs permessage-deflate.
public sealed partial class WebSocketProtocol : IDisposable
{
    private readonly WebSocketRole _role;
    private readonly bool _sendMasked;
    private readonly bool _autoPong;
    private readonly bool _autoCloseReply;
    private readonly FrameRules.FastPath _fastPath; // the receive fast path's test, from _context

    // Receive side: where it is, the header being read, the frame being read.
    private ReceivePhase _phase;
    private FrameReader _frameReader;
    private WebSocketOpcode _frameOpcode;
    private bool _frameFin;
    private long _frameRemaining;
    private uint _frameMaskKey;
    private int _frameMaskOffset;

    // Receive side: the role, extension bits and limits, and the message being read (what FrameRules.Check reads).
    private ReceiveContext _context;
    private Utf8Validator _utf8;

    // Control frame payload being read (and, once complete, the last control payload).
    private ControlBuffer _control;
    private int _controlCount;

    // Closing (the one record of it: IsCloseSent and IsCloseReceived are read from it).
    private CloseHandshakeState _state;
    private ProtocolViolation _violation;
    private ushort _peerCloseCode;
    private int _peerReasonLength;

    // Send side.
    private bool _sendInMessage;
    private MessageKind _sendMessageType;

    // Frames queued by the engine itself.
    private bool _pendingPong;
    private ControlBuffer _pendingPongPayload;
    private int _pendingPongLength;
    private bool _pendingClose;
    private ControlBuffer _pendingClosePayload;
    private int _pendingCloseLength;

    // Frames by opcode (FrameCounts.IndexOf): headers accepted on receive, frames written on send.
    private FrameCounts _framesReceived;
    private FrameCounts _framesSent;

    /// <summary>Creates the state machine for one connection whose opening handshake has completed.</summary>
    /// <param name="role">Whether this endpoint is the server or the client.</param>
    /// <param name="options">Limits and behaviours; <see cref="WebSocketProtocolOptions.Default"/> when null.</param>
    public WebSocketProtocol(WebSocketRole role, WebSocketProtocolOptions? options = null)
        : this(role, options, null)
    {
    }

    /// <summary>Creates the state machine for one connection whose opening handshake has completed and negotiated permessage-deflate.</summary>
    /// <param name="role">Whether this endpoint is the server or the client.</param>
    /// <param name="options">Limits and behaviours; <see cref="WebSocketProtocolOptions.Default"/> when null. Its
    /// <see cref="WebSocketProtocolOptions.PerMessageDeflate"/> gives the compression level and memory level.</param>
    /// <param name="perMessageDeflate">The parameters the opening handshake agreed,
    /// or null when the extension is not in use. With it, the peer may send compressed messages (RSV1) and every message
    /// this endpoint sends is compressed; the native compression state lives until <see cref="Dispose"/>.</param>
    public WebSocketProtocol(WebSocketRole role, WebSocketProtocolOptions? options, PerMessageDeflateParameters? perMessageDeflate)
    {
        options ??= WebSocketProtocolOptions.Default;
        _role = role;
        _sendMasked = role == WebSocketRole.Client;
        bool expectMasked = role == WebSocketRole.Server;
        _autoPong = options.AutoPong;
        _autoCloseReply = options.AutoCloseReply;
        byte allowedReservedBits = 0;
        if (perMessageDeflate is PerMessageDeflateParameters deflate)
        {
            PerMessageDeflateOptions policy = options.PerMessageDeflate;
            _decompressor = new PerMessageDeflateDecompressor(deflate, role);
            _compressor = new PerMessageDeflateCompressor(deflate, role, policy.CompressionLevel, policy.MemoryLevel);
            _inflateInput = new byte[InflateInputLength];
            allowedReservedBits = FrameHeader.Rsv1Bit;
        }
        _context = new ReceiveContext(expectMasked, allowedReservedBits,
            options.MaxFramePayloadLength, options.MaxMessageLength, options.MaxFragmentsPerMessage);
        _fastPath = new FrameRules.FastPath(in _context);
    }

    /// <summary>Releases the native compression state (if any). Receiving or sending afterwards is not allowed.</summary>
    public void Dispose()
    {
        _compressor?.Dispose();
        _decompressor?.Dispose();
    }

    /// <summary>This endpoint's role.</summary>
    public WebSocketRole Role => _role;

    /// <summary>The closing-handshake state.</summary>
    public CloseHandshakeState State => _state;

    /// <summary>The violation that failed the connection, or <see cref="ProtocolViolation.None"/>.</summary>
    public ProtocolViolation Violation => _violation;

    /// <summary>The code of the peer's close frame (1005 when it carried none); 0 until one arrives.</summary>
    public ushort PeerCloseCode => _peerCloseCode;

    /// <summary>The UTF-8 reason of the peer's close frame (empty until one arrives).</summary>
    public ReadOnlySpan<byte> PeerCloseReason => IsCloseReceived ? ((ReadOnlySpan<byte>)_control).Slice(2, _peerReasonLength) : default;

    /// <summary>The payload of the last ping, pong or close frame received. Valid until the next call to <see cref="Receive"/>.</summary>
    public ReadOnlySpan<byte> ControlPayload => ((ReadOnlySpan<byte>)_control).Slice(0, _controlCount);

    /// <summary>True when frames queued by the engine (a pong, a close) wait to be written.</summary>
    public bool HasPendingOutput => _pendingPong | _pendingClose;

    /// <summary>True once this endpoint has sent or queued its close frame.</summary>
    public bool IsCloseSent => _state is CloseHandshakeState.CloseSent or CloseHandshakeState.Closed; // failing the connection queues one

    /// <summary>True once the peer's close frame has arrived.</summary>
    public bool IsCloseReceived => _peerCloseCode != 0; // a close frame's code is 1005 or a valid code, never 0

    /// <summary>
    /// True when the transport may be closed: the closing handshake is complete (or the connection was failed) and
    /// nothing is left to write. A server closes the TCP connection first (§7.1.1); a client should wait a little for
    /// the server to do so before closing it itself.
    /// </summary>
    public bool CanCloseTransport => _state == CloseHandshakeState.Closed && !HasPendingOutput;

    /// <summary>
    /// The frames with <paramref name="opcode"/> received so far: every frame whose header the engine accepted (a
    /// fragmented message counts its first frame as text or binary and the rest as continuation). A frame whose header
    /// breaks the rules (reserved bits, a reserved opcode, ...) fails the connection and is not counted.
    /// </summary>
    /// <param name="opcode">One of the opcodes RFC 6455 defines; any other is never counted (0).</param>
    public long FramesReceived(WebSocketOpcode opcode) => WebSocketOpcodes.IsDefined(opcode) ? _framesReceived[FrameCounts.IndexOf(opcode)] : 0;

    /// <summary>
    /// The frames with <paramref name="opcode"/> written so far: messages and their fragments (a compressed message
    /// counts the frames it was written in), prepared messages, pings, pongs (the auto-pong included) and close frames
    /// (the close reply and the close that fails the connection included, once written).
    /// </summary>
    /// <param name="opcode">One of the opcodes RFC 6455 defines; any other is never counted (0).</param>
    public long FramesSent(WebSocketOpcode opcode) => WebSocketOpcodes.IsDefined(opcode) ? _framesSent[FrameCounts.IndexOf(opcode)] : 0;

    /// <summary>The received-frame totals by <see cref="FrameCounts.IndexOf"/> (for the adapter's metrics).</summary>
    internal ref readonly FrameCounts FramesReceivedTotals => ref _framesReceived;

    /// <summary>The written-frame totals by <see cref="FrameCounts.IndexOf"/> (for the adapter's metrics).</summary>
    internal ref readonly FrameCounts FramesSentTotals => ref _framesSent;

    /// <summary>Counts one frame written with <paramref name="opcode"/> (a defined one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CountSent(WebSocketOpcode opcode) => _framesSent[FrameCounts.IndexOf(opcode)]++;

    [InlineArray(FrameHeader.MaxControlPayloadLength)]
    private struct ControlBuffer
    {
        private byte _element;
    }
}
