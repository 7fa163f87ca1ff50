using System.Buffers;
using System.Runtime.CompilerServices;
using WsCore.Closing;
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
public sealed class WebSocketProtocol : IDisposable
{
    /// <summary>Text payload is unmasked and validated in blocks of this size, so validation reads from cache.</summary>
    private const int TextBlockLength = 16 * 1024;

    private readonly WebSocketRole _role;
    private readonly bool _sendMasked;
    private readonly bool _expectMasked;
    private readonly long _maxFramePayload;
    private readonly long _maxMessage;
    private readonly int _maxFragments;
    private readonly bool _autoPong;
    private readonly bool _autoCloseReply;
    private readonly int _expectedMaskBit;
    private readonly long _fastPathMaxLength;
    private readonly byte _allowedReservedBits;

    // Receive side: the frame being read.
    private bool _inFrame;
    private WebSocketOpcode _frameOpcode;
    private bool _frameFin;
    private long _frameRemaining;
    private uint _frameMaskKey;
    private int _frameMaskOffset;
    private HeaderBuffer _header;
    private int _headerCount;

    // Receive side: the message being read.
    private bool _inMessage;
    private MessageType _messageType;
    private long _messageLength;
    private int _messageFragments;
    private Utf8Validator _utf8;

    // Control frame payload being read (and, once complete, the last control payload).
    private ControlBuffer _control;
    private int _controlCount;

    // Closing.
    private WebSocketState _state;
    private bool _receiveStopped;
    private bool _closeSent;
    private bool _closeReceived;
    private ProtocolViolation _violation;
    private ushort _peerCloseCode;
    private int _peerReasonLength;

    // Send side.
    private bool _sendInMessage;
    private MessageType _sendMessageType;

    // Frames queued by the engine itself.
    private bool _pendingPong;
    private ControlBuffer _pendingPongPayload;
    private int _pendingPongLength;
    private bool _pendingClose;
    private ControlBuffer _pendingClosePayload;
    private int _pendingCloseLength;

    // permessage-deflate (RFC 7692), when negotiated.
    private const int InflateInputLength = 16 * 1024;
    private const int DeflateFrameCapacity = 64 * 1024 - 1; // keeps every compressed frame in the 16-bit length form
    private readonly PerMessageDeflateDecompressor? _decompressor;
    private readonly PerMessageDeflateCompressor? _compressor;
    private readonly byte[]? _inflateInput;   // unmasked compressed bytes not yet inflated
    private int _inflateStart;
    private int _inflateEnd;
    private bool _inflatePending;             // the inflater filled the last destination and may hold more output
    private bool _messageCompressed;
    private bool _sendCompressed;
    private bool _sendFrameStarted;

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
        _expectMasked = role == WebSocketRole.Server;
        _maxFramePayload = options.MaxFramePayloadLength;
        _maxMessage = options.MaxMessageLength;
        _maxFragments = options.MaxFragmentsPerMessage;
        _autoPong = options.AutoPong;
        _autoCloseReply = options.AutoCloseReply;
        _expectedMaskBit = _expectMasked ? 0x80 : 0;
        _fastPathMaxLength = options.MaxFragmentsPerMessage < 1 ? -1 : Math.Min(FrameHeader.MaxControlPayloadLength, Math.Min(_maxFramePayload, _maxMessage));
        if (perMessageDeflate is PerMessageDeflateParameters deflate)
        {
            bool isServer = role == WebSocketRole.Server;
            PerMessageDeflateOptions policy = options.PerMessageDeflate;
            _decompressor = new PerMessageDeflateDecompressor(deflate, isServer);
            _compressor = new PerMessageDeflateCompressor(deflate, isServer, policy.CompressionLevel, policy.MemoryLevel);
            _inflateInput = new byte[InflateInputLength];
            _allowedReservedBits = FrameHeader.Rsv1Bit;
        }
    }

    /// <summary>
    /// True when the engine can go on receiving without new input: it holds received bytes it has not turned into events
    /// yet (compressed input, or inflated data of a compressed message that did not fit the last destination), or a
    /// compressed frame's payload has all arrived and what is left of it needs only a destination. Call
    /// <see cref="Receive"/> again (with empty input if nothing new arrived) before waiting for the transport.
    /// </summary>
    public bool HasPendingReceiveData => _inflatePending || _inflateStart != _inflateEnd || (_inFrame && _messageCompressed && _frameRemaining == 0);

    /// <summary>True when permessage-deflate is in use on this connection.</summary>
    public bool IsCompressionEnabled => _compressor is not null;

    /// <summary>Releases the native compression state (if any). Receiving or sending afterwards is not allowed.</summary>
    public void Dispose()
    {
        _compressor?.Dispose();
        _decompressor?.Dispose();
    }

    /// <summary>This endpoint's role.</summary>
    public WebSocketRole Role => _role;

    /// <summary>The closing-handshake state.</summary>
    public WebSocketState State => _state;

    /// <summary>The violation that failed the connection, or <see cref="ProtocolViolation.None"/>.</summary>
    public ProtocolViolation Violation => _violation;

    /// <summary>The code of the peer's close frame (1005 when it carried none); 0 until one arrives.</summary>
    public ushort PeerCloseCode => _peerCloseCode;

    /// <summary>The UTF-8 reason of the peer's close frame (empty until one arrives).</summary>
    public ReadOnlySpan<byte> PeerCloseReason => _closeReceived ? ((ReadOnlySpan<byte>)_control).Slice(2, _peerReasonLength) : default;

    /// <summary>The payload of the last ping, pong or close frame received. Valid until the next call to <see cref="Receive"/>.</summary>
    public ReadOnlySpan<byte> ControlPayload => ((ReadOnlySpan<byte>)_control).Slice(0, _controlCount);

    /// <summary>True when frames queued by the engine (a pong, a close) wait to be written.</summary>
    public bool HasPendingOutput => _pendingPong | _pendingClose;

    /// <summary>True once this endpoint has sent or queued its close frame.</summary>
    public bool IsCloseSent => _closeSent;

    /// <summary>True once the peer's close frame has arrived.</summary>
    public bool IsCloseReceived => _closeReceived;

    /// <summary>
    /// True when the transport may be closed: the closing handshake is complete (or the connection was failed) and
    /// nothing is left to write. A server closes the TCP connection first (§7.1.1); a client should wait a little for
    /// the server to do so before closing it itself.
    /// </summary>
    public bool CanCloseTransport => _state == WebSocketState.Closed && !HasPendingOutput;


    /// <summary>
    /// Processes received bytes until one event is complete or the input is used up.
    /// </summary>
    /// <param name="input">Received bytes that follow those consumed by earlier calls, split anywhere.</param>
    /// <param name="destination">Where message payload is written, unmasked. Must not be empty while a data frame's payload is pending.</param>
    /// <param name="result">How many bytes were consumed and written, and the message type and end flag for data.</param>
    /// <returns>The event; <see cref="ReceiveStatus.NeedMoreData"/> when the input was used up without one.</returns>
    public ReceiveStatus Receive(ReadOnlySpan<byte> input, Span<byte> destination, out ReceiveResult result)
    {
        // Fast path: a whole unfragmented text or binary frame with a 7-bit length, no reserved bits, masked as the role
        // requires, no message in progress, that fits the destination and the limits.
        if (input.Length >= 2 && !SlowPathOnly)
        {
            int b0 = input[0], b1 = input[1];
            int length = b1 & 0x7F;
            int headerLength = (b1 >> 5) & 4 | 2; // 6 when masked, 2 otherwise
            if ((b0 & 0xF0) == 0x80 && (uint)((b0 & 0x0F) - 1) <= 1u && (b1 & 0x80) == _expectedMaskBit
                && length <= _fastPathMaxLength && input.Length >= headerLength + length && destination.Length >= length)
            {
                Span<byte> target = destination.Slice(0, length);
                ReadOnlySpan<byte> payload = input.Slice(headerLength, length);
                uint key = _expectMasked ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(input.Slice(2)) : 0;
                MessageType type = (MessageType)(b0 & 0x0F);
                if (type == MessageType.Text)
                {
                    // The unmasking pass (a copy with key 0) tells whether the text is all ASCII, hence valid.
                    Masking.ApplyAndCheckAscii(payload, target, key, 0, out bool allAscii);
                    if (!allAscii && !Utf8Validator.IsValid(target)) return Fail(ProtocolViolation.InvalidUtf8, input.Length, out result);
                }
                else if (_expectMasked) Masking.Apply(payload, target, key, 0);
                else payload.CopyTo(target);
                result = new ReceiveResult(headerLength + length, length, type, true);
                return ReceiveStatus.MessageData;
            }
        }
        return ReceiveSlow(input, destination, out result);
    }

    /// <summary>True while the fast path may not be taken: a frame, header or message is in progress, or receiving stopped.</summary>
    private bool SlowPathOnly => _inFrame | _inMessage | _receiveStopped | (_headerCount != 0);

    private ReceiveStatus ReceiveSlow(ReadOnlySpan<byte> input, Span<byte> destination, out ReceiveResult result)
    {
        int consumed = 0;
        while (true)
        {
            if (!_inFrame)
            {
                if (_receiveStopped)
                {
                    result = new ReceiveResult(input.Length, 0, default, false);
                    return ReceiveStatus.NeedMoreData;
                }

                FrameHeader header;
                if (_headerCount == 0)
                {
                    OperationStatus hs = FrameHeader.TryRead(input.Slice(consumed), out header, out int headerLength);
                    if (hs == OperationStatus.Done)
                    {
                        consumed += headerLength;
                    }
                    else if (hs == OperationStatus.NeedMoreData)
                    {
                        ReadOnlySpan<byte> rest = input.Slice(consumed);
                        rest.CopyTo(_header);
                        _headerCount = rest.Length;
                        result = new ReceiveResult(input.Length, 0, default, false);
                        return ReceiveStatus.NeedMoreData;
                    }
                    else
                    {
                        return Fail(ProtocolViolation.InvalidPayloadLength, input.Length, out result);
                    }
                }
                else
                {
                    if (!ContinueHeader(input, ref consumed, out header))
                    {
                        if (_headerCount < 0) return Fail(ProtocolViolation.InvalidPayloadLength, input.Length, out result);
                        result = new ReceiveResult(input.Length, 0, default, false);
                        return ReceiveStatus.NeedMoreData;
                    }
                }

                ProtocolViolation v = StartFrame(in header);
                if (v != ProtocolViolation.None) return Fail(v, input.Length, out result);
            }

            int available = input.Length - consumed;
            if (WebSocketOpcodes.IsControl(_frameOpcode))
            {
                int take = (int)Math.Min(_frameRemaining, available);
                Span<byte> controlSpan = ((Span<byte>)_control).Slice(_controlCount, take);
                input.Slice(consumed, take).CopyTo(controlSpan);
                if (_expectMasked) _frameMaskOffset = Masking.Apply(controlSpan, _frameMaskKey, _frameMaskOffset);
                _controlCount += take;
                _frameRemaining -= take;
                consumed += take;
                if (_frameRemaining != 0)
                {
                    result = new ReceiveResult(consumed, 0, default, false);
                    return ReceiveStatus.NeedMoreData;
                }
                _inFrame = false;
                ReceiveStatus cs = CompleteControlFrame(consumed, input.Length, out result);
                return cs;
            }
            else if (_messageCompressed)
            {
                ReceiveStatus compressed = ReceiveCompressed(input, ref consumed, destination, out result, out bool frameEnded);
                if (frameEnded) continue; // the frame ended inside the message with nothing to report: read the next header
                return compressed;
            }
            else
            {
                if (available == 0 && _frameRemaining != 0)
                {
                    result = new ReceiveResult(consumed, 0, default, false);
                    return ReceiveStatus.NeedMoreData;
                }
                if (destination.IsEmpty && _frameRemaining == 0 && !_frameFin)
                {
                    // A zero-byte receive waits for payload: an empty frame in the middle of a message has none and
                    // tells nothing, so it is consumed and the next frame read (with a destination it is reported as
                    // 0 bytes, not the end of the message).
                    _inFrame = false;
                    continue;
                }
                int take = (int)Math.Min(Math.Min(_frameRemaining, available), destination.Length);
                ReadOnlySpan<byte> source = input.Slice(consumed, take);
                Span<byte> target = destination.Slice(0, take);
                bool frameDone = _frameRemaining == take;
                bool endOfMessage = frameDone & _frameFin;
                if (_messageType == MessageType.Text)
                {
                    // Unmask (or copy: an unmasked frame's key is 0) and validate block by block. The unmasking pass
                    // also tells whether the block is all ASCII; such a block, starting at a code point boundary, is
                    // valid as it stands and the validator need not read it again. Any other block is validated while
                    // it is still in cache.
                    int offset = 0;
                    do
                    {
                        int block = Math.Min(TextBlockLength, take - offset);
                        Span<byte> targetBlock = target.Slice(offset, block);
                        _frameMaskOffset = Masking.ApplyAndCheckAscii(source.Slice(offset, block), targetBlock, _frameMaskKey, _frameMaskOffset, out bool allAscii);
                        offset += block;
                        if (!(allAscii && !_utf8.IsInsideCodePoint) && !_utf8.Validate(targetBlock, endOfMessage && offset == take))
                        {
                            return Fail(ProtocolViolation.InvalidUtf8, input.Length, out result);
                        }
                    }
                    while (offset < take);
                }
                else if (_expectMasked)
                {
                    _frameMaskOffset = Masking.Apply(source, target, _frameMaskKey, _frameMaskOffset);
                }
                else
                {
                    source.CopyTo(target);
                }
                consumed += take;
                _frameRemaining -= take;
                if (frameDone)
                {
                    _inFrame = false;
                    if (endOfMessage) _inMessage = false;
                }
                result = new ReceiveResult(consumed, take, _messageType, endOfMessage);
                return ReceiveStatus.MessageData;
            }
        }
    }

    /// <summary>
    /// The payload of a compressed message: unmask into the inflate buffer, inflate into the destination, count the
    /// inflated bytes against the message limit while inflating (a small message that inflates to gigabytes ends with
    /// 1009 at most one destination past the limit), validate text as it inflates.
    /// </summary>
    private ReceiveStatus ReceiveCompressed(ReadOnlySpan<byte> input, ref int consumed, Span<byte> destination, out ReceiveResult result, out bool frameEnded)
    {
        frameEnded = false;
        Span<byte> pending = _inflateInput;
        int written = 0;
        while (true)
        {
            if (_inflateStart == _inflateEnd && !_inflatePending)
            {
                if (_frameRemaining > 0)
                {
                    int available = input.Length - consumed;
                    if (available == 0)
                    {
                        if (written > 0) break;
                        result = new ReceiveResult(consumed, 0, default, false);
                        return ReceiveStatus.NeedMoreData;
                    }
                    int take = (int)Math.Min(Math.Min(_frameRemaining, available), pending.Length);
                    if (_expectMasked) _frameMaskOffset = Masking.Apply(input.Slice(consumed, take), pending, _frameMaskKey, _frameMaskOffset);
                    else input.Slice(consumed, take).CopyTo(pending);
                    consumed += take;
                    _frameRemaining -= take;
                    _inflateStart = 0;
                    _inflateEnd = take;
                }
                else if (!_frameFin)
                {
                    // This frame is all inflated; the message goes on in the next frame.
                    _inFrame = false;
                    if (written > 0) break;
                    frameEnded = true;
                    result = default;
                    return ReceiveStatus.NeedMoreData;
                }
            }
            if (written == destination.Length) break;

            bool endOfInput = _frameFin && _frameRemaining == 0;
            OperationStatus status = _decompressor!.Decompress(pending.Slice(_inflateStart, _inflateEnd - _inflateStart),
                destination.Slice(written), endOfInput, out int used, out int produced);
            _inflateStart += used;
            if (status == OperationStatus.InvalidData) return Fail(ProtocolViolation.InvalidCompressedData, input.Length, out result);
            if (produced > _maxMessage - _messageLength) return Fail(ProtocolViolation.MessageTooLarge, input.Length, out result);
            _messageLength += produced;
            bool endOfMessage = endOfInput && status == OperationStatus.Done;
            if (_messageType == MessageType.Text && !_utf8.Validate(destination.Slice(written, produced), endOfMessage))
            {
                return Fail(ProtocolViolation.InvalidUtf8, input.Length, out result);
            }
            written += produced;
            _inflatePending = status == OperationStatus.DestinationTooSmall;
            if (endOfMessage)
            {
                _inFrame = false;
                _inMessage = false;
                _inflateStart = _inflateEnd = 0;
                result = new ReceiveResult(consumed, written, _messageType, true);
                return ReceiveStatus.MessageData;
            }
            if (_inflatePending) break;
        }
        result = new ReceiveResult(consumed, written, _messageType, false);
        return ReceiveStatus.MessageData;
    }

    /// <summary>Adds header bytes to those buffered from earlier input; true when the header is complete.</summary>
    private bool ContinueHeader(ReadOnlySpan<byte> input, ref int consumed, out FrameHeader header)
    {
        Span<byte> buffer = _header;
        while (true)
        {
            int needed = RequiredHeaderLength(buffer, _headerCount);
            int take = Math.Min(needed - _headerCount, input.Length - consumed);
            input.Slice(consumed, take).CopyTo(buffer.Slice(_headerCount));
            _headerCount += take;
            consumed += take;
            if (_headerCount < needed)
            {
                header = default;
                return false;
            }
            OperationStatus hs = FrameHeader.TryRead(buffer.Slice(0, _headerCount), out header, out _);
            if (hs == OperationStatus.Done)
            {
                _headerCount = 0;
                return true;
            }
            if (hs == OperationStatus.InvalidData)
            {
                _headerCount = -1;
                return false;
            }
            // NeedMoreData: the first two bytes were only now complete and announce a longer header.
        }
    }

    private static int RequiredHeaderLength(ReadOnlySpan<byte> buffer, int count)
    {
        if (count < 2) return 2;
        byte b1 = buffer[1];
        int length = 2 + ((b1 & 0x80) != 0 ? 4 : 0);
        int len7 = b1 & 0x7F;
        return len7 == 126 ? length + 2 : len7 == 127 ? length + 8 : length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ProtocolViolation StartFrame(in FrameHeader header)
    {
        WebSocketOpcode opcode = header.Opcode;
        byte rsv = header.ReservedBits;
        if (rsv != 0)
        {
            // A negotiated RSV1 is allowed only on the first frame of a data message (RFC 7692 §6).
            if ((rsv & ~_allowedReservedBits) != 0 || opcode is not (WebSocketOpcode.Text or WebSocketOpcode.Binary))
                return ProtocolViolation.ReservedBitsSet;
        }
        if (!WebSocketOpcodes.IsDefined(opcode)) return ProtocolViolation.ReservedOpcode;
        if (header.IsMasked != _expectMasked)
            return _expectMasked ? ProtocolViolation.UnmaskedFrameFromClient : ProtocolViolation.MaskedFrameFromServer;

        long length = header.PayloadLength;
        if (WebSocketOpcodes.IsControl(opcode))
        {
            if (!header.Fin) return ProtocolViolation.FragmentedControlFrame;
            if (length > FrameHeader.MaxControlPayloadLength) return ProtocolViolation.ControlFrameTooLong;
            _controlCount = 0;
        }
        else
        {
            if (opcode == WebSocketOpcode.Continuation)
            {
                if (!_inMessage) return ProtocolViolation.UnexpectedContinuation;
            }
            else
            {
                if (_inMessage) return ProtocolViolation.ExpectedContinuation;
                _inMessage = true;
                _messageType = (MessageType)opcode;
                _messageLength = 0;
                _messageFragments = 0;
                _messageCompressed = rsv != 0; // RSV1, the only bit that can be allowed here
                _utf8.Reset();
            }
            if (length > _maxFramePayload) return ProtocolViolation.FrameTooLarge;
            if (_messageFragments >= _maxFragments) return ProtocolViolation.TooManyFragments; // compare first: the count never wraps
            _messageFragments++;
            if (!_messageCompressed)
            {
                // A compressed message is measured after inflating, while it inflates.
                if (length > _maxMessage - _messageLength) return ProtocolViolation.MessageTooLarge;
                _messageLength += length;
            }
        }

        _inFrame = true;
        _frameOpcode = opcode;
        _frameFin = header.Fin;
        _frameRemaining = length;
        _frameMaskKey = header.MaskKey;
        _frameMaskOffset = 0;
        return ProtocolViolation.None;
    }

    private ReceiveStatus CompleteControlFrame(int consumed, int inputLength, out ReceiveResult result)
    {
        ReadOnlySpan<byte> payload = ((ReadOnlySpan<byte>)_control).Slice(0, _controlCount);
        switch (_frameOpcode)
        {
            case WebSocketOpcode.Ping:
                if (_autoPong && !_closeSent)
                {
                    payload.CopyTo(_pendingPongPayload);
                    _pendingPongLength = payload.Length;
                    _pendingPong = true;
                }
                result = new ReceiveResult(consumed, 0, default, false);
                return ReceiveStatus.Ping;

            case WebSocketOpcode.Pong:
                result = new ReceiveResult(consumed, 0, default, false);
                return ReceiveStatus.Pong;

            default: // Close
                ClosePayloadStatus cs = ClosePayload.Read(payload, out ushort code, out ReadOnlySpan<byte> reason);
                switch (cs)
                {
                    case ClosePayloadStatus.OneByte: return Fail(ProtocolViolation.OneByteClosePayload, inputLength, out result);
                    case ClosePayloadStatus.InvalidCode: return Fail(ProtocolViolation.InvalidCloseCode, inputLength, out result);
                    case ClosePayloadStatus.InvalidUtf8Reason: return Fail(ProtocolViolation.InvalidUtf8CloseReason, inputLength, out result);
                    case ClosePayloadStatus.TooLong: return Fail(ProtocolViolation.ControlFrameTooLong, inputLength, out result);
                }
                _closeReceived = true;
                _peerCloseCode = code;
                _peerReasonLength = reason.Length;
                _receiveStopped = true;
                if (_closeSent)
                {
                    _state = WebSocketState.Closed;
                }
                else if (_autoCloseReply)
                {
                    // Echo the peer's code (§5.5.1); an empty close is answered with an empty close.
                    QueueClose(code == CloseCodes.NoStatusReceived ? default : payload.Slice(0, 2));
                    _state = WebSocketState.Closed;
                }
                else
                {
                    _state = WebSocketState.CloseReceived;
                }
                // Data after the peer's close is ignored.
                result = new ReceiveResult(inputLength, 0, default, false);
                return ReceiveStatus.Close;
        }
    }

    private ReceiveStatus Fail(ProtocolViolation violation, int inputLength, out ReceiveResult result)
    {
        _violation = violation;
        _receiveStopped = true;
        _inFrame = false;
        // Receiving is over: drop any compressed input or inflater output still held, so HasPendingReceiveData is false.
        _inflateStart = _inflateEnd = 0;
        _inflatePending = false;
        if (!_closeSent)
        {
            Span<byte> payload = stackalloc byte[2];
            ushort code = ProtocolViolations.GetCloseCode(violation);
            payload[0] = (byte)(code >> 8);
            payload[1] = (byte)code;
            QueueClose(payload);
        }
        _state = WebSocketState.Closed;
        result = new ReceiveResult(inputLength, 0, default, false);
        return ReceiveStatus.ProtocolError;
    }

    private void QueueClose(ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(_pendingClosePayload);
        _pendingCloseLength = payload.Length;
        _pendingClose = true;
        _closeSent = true;
    }

    /// <summary>Writes the frames the engine queued on its own (a pong, then a close), if any.</summary>
    /// <param name="output">Where to write.</param>
    /// <returns>The number of bytes written.</returns>
    public int WritePendingOutput(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int written = 0;
        if (_pendingPong)
        {
            _pendingPong = false;
            written += WriteControl(output, WebSocketOpcode.Pong, ((ReadOnlySpan<byte>)_pendingPongPayload).Slice(0, _pendingPongLength));
        }
        if (_pendingClose)
        {
            _pendingClose = false;
            written += WriteControl(output, WebSocketOpcode.Close, ((ReadOnlySpan<byte>)_pendingClosePayload).Slice(0, _pendingCloseLength));
        }
        return written;
    }

    /// <summary>
    /// Writes a message, or one fragment of it, as one frame. Queued engine frames are written first.
    /// </summary>
    /// <param name="output">Where to write.</param>
    /// <param name="payload">The payload (this fragment's part of the message).</param>
    /// <param name="type">The message's type; a continuation fragment must give the same type as the first.</param>
    /// <param name="endOfMessage">True for the last (or only) fragment.</param>
    /// <returns><see cref="SendStatus.Done"/>, or why nothing was written.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not <see cref="MessageType.Text"/> or <see cref="MessageType.Binary"/>.</exception>
    public SendStatus WriteMessage(IBufferWriter<byte> output, ReadOnlySpan<byte> payload, MessageType type, bool endOfMessage)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (type is not (MessageType.Text or MessageType.Binary)) throw new ArgumentOutOfRangeException(nameof(type));
        if (_closeSent) return SendStatus.Closed;
        WebSocketOpcode opcode;
        if (_sendInMessage)
        {
            // Checked before any queued frame is written: a refused call writes nothing.
            if (type != _sendMessageType) return SendStatus.MessageTypeMismatch;
            opcode = WebSocketOpcode.Continuation;
        }
        else
        {
            opcode = (WebSocketOpcode)type;
            _sendMessageType = type;
        }
        if (HasPendingOutput) WritePendingOutput(output);
        if (!_sendInMessage) _sendCompressed = _compressor is not null;
        _sendInMessage = !endOfMessage;
        if (_sendCompressed)
        {
            WriteCompressed(output, payload, type, endOfMessage);
        }
        else if (payload.Length <= SingleSpanFrameLength)
        {
            FrameWriter.WriteFrame(output, opcode, payload, endOfMessage, 0, _sendMasked, _sendMasked ? MaskKeys.Next() : 0);
        }
        else
        {
            WriteLargeFrame(output, opcode, payload, endOfMessage);
        }
        return SendStatus.Done;
    }

    /// <summary>Frames up to this payload length are written with one GetSpan/Advance; longer ones in pieces.</summary>
    private const int SingleSpanFrameLength = 16 * 1024;

    /// <summary>Writes a frame whose payload is long: the header, then the payload in pieces of whatever size the writer offers.</summary>
    private void WriteLargeFrame(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fin)
    {
        uint key = _sendMasked ? MaskKeys.Next() : 0;
        Span<byte> headerSpan = output.GetSpan(FrameHeader.MaxLength);
        output.Advance(FrameHeader.Write(headerSpan, fin, 0, opcode, payload.Length, _sendMasked, key));
        int maskOffset = 0;
        while (!payload.IsEmpty)
        {
            Span<byte> span = output.GetSpan(Math.Min(payload.Length, SingleSpanFrameLength));
            int n = Math.Min(span.Length, payload.Length);
            if (_sendMasked) maskOffset = Masking.Apply(payload.Slice(0, n), span, key, maskOffset);
            else payload.Slice(0, n).CopyTo(span);
            output.Advance(n);
            payload = payload.Slice(n);
        }
    }

    /// <summary>
    /// Compresses a message (or a fragment of it) into frames of at most 64 KiB - 1 compressed bytes each. Only the first
    /// frame of the message carries the opcode and RSV1 (RFC 7692 §6.1); a fragment whose bytes the compressor keeps back
    /// emits no frame, and the last fragment always ends the message with a final frame.
    /// </summary>
    private void WriteCompressed(IBufferWriter<byte> output, ReadOnlySpan<byte> payload, MessageType type, bool endOfMessage)
    {
        int reserve = _sendMasked ? 8 : 4; // header with a 16-bit length, plus the mask key
        while (true)
        {
            Span<byte> span = output.GetSpan(reserve + Math.Min(DeflateFrameCapacity, Math.Max(payload.Length + 64, 256)));
            int capacity = Math.Min(span.Length - reserve, DeflateFrameCapacity);
            OperationStatus status = _compressor!.Compress(payload, span.Slice(reserve, capacity), endOfMessage, out int used, out int produced);
            payload = payload.Slice(used);
            bool final = endOfMessage && status == OperationStatus.Done;
            if (produced > 0 || final)
            {
                int headerLength = FrameHeader.GetEncodedLength(produced, _sendMasked);
                if (headerLength < reserve) span.Slice(reserve, produced).CopyTo(span.Slice(headerLength)); // short form: close the gap
                WebSocketOpcode opcode = _sendFrameStarted ? WebSocketOpcode.Continuation : (WebSocketOpcode)type;
                byte rsv = _sendFrameStarted ? (byte)0 : FrameHeader.Rsv1Bit;
                uint key = _sendMasked ? MaskKeys.Next() : 0;
                FrameHeader.Write(span, final, rsv, opcode, produced, _sendMasked, key);
                if (_sendMasked) Masking.Apply(span.Slice(headerLength, produced), key, 0);
                output.Advance(headerLength + produced);
                _sendFrameStarted = true;
            }
            if (final)
            {
                _sendFrameStarted = false;
                return;
            }
            if (status == OperationStatus.Done) return; // all taken; the compressor holds the rest until the next fragment
        }
    }

    /// <summary>Writes a ping. Queued engine frames are written first.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="payload">At most 125 bytes of application data.</param>
    public SendStatus WritePing(IBufferWriter<byte> output, ReadOnlySpan<byte> payload) => WriteControlFrame(output, WebSocketOpcode.Ping, payload);

    /// <summary>Writes an unsolicited pong (a heartbeat that expects no answer, §5.5.3). Queued engine frames are written first.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="payload">At most 125 bytes of application data.</param>
    public SendStatus WritePong(IBufferWriter<byte> output, ReadOnlySpan<byte> payload) => WriteControlFrame(output, WebSocketOpcode.Pong, payload);

    private SendStatus WriteControlFrame(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_closeSent) return SendStatus.Closed;
        if (payload.Length > FrameHeader.MaxControlPayloadLength) return SendStatus.PayloadTooLong;
        if (HasPendingOutput) WritePendingOutput(output);
        WriteControl(output, opcode, payload);
        return SendStatus.Done;
    }

    /// <summary>
    /// Starts (or answers) the closing handshake with a close frame. Nothing may be sent after it. Queued engine frames
    /// are written first.
    /// </summary>
    /// <param name="output">Where to write.</param>
    /// <param name="code">A code that may be sent: 1000-1003, 1007-1014 or 3000-4999.</param>
    /// <param name="reason">A UTF-8 reason of at most 123 bytes.</param>
    public SendStatus WriteClose(IBufferWriter<byte> output, ushort code, ReadOnlySpan<byte> reason)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_closeSent) return SendStatus.Closed;
        Span<byte> payload = stackalloc byte[FrameHeader.MaxControlPayloadLength];
        OperationStatus s = ClosePayload.TryWrite(payload, code, reason, out int length);
        if (s != OperationStatus.Done)
        {
            if (!CloseCodes.IsValidToSend(code)) return SendStatus.InvalidCloseCode;
            return reason.Length > ClosePayload.MaxReasonLength ? SendStatus.PayloadTooLong : SendStatus.InvalidUtf8;
        }
        WriteCloseFrame(output, payload.Slice(0, length));
        return SendStatus.Done;
    }

    /// <summary>
    /// Starts (or answers) the closing handshake with an empty close frame: no status code and no reason (RFC 6455
    /// §5.5.1 allows a close frame without a body; the peer sees it as 1005, no status received). Nothing may be sent
    /// after it. Queued engine frames are written first.
    /// </summary>
    /// <param name="output">Where to write.</param>
    public SendStatus WriteClose(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_closeSent) return SendStatus.Closed;
        WriteCloseFrame(output, default);
        return SendStatus.Done;
    }

    private void WriteCloseFrame(IBufferWriter<byte> output, ReadOnlySpan<byte> payload)
    {
        if (HasPendingOutput) WritePendingOutput(output);
        WriteControl(output, WebSocketOpcode.Close, payload);
        _closeSent = true;
        _state = _closeReceived ? WebSocketState.Closed : WebSocketState.CloseSent;
    }

    private int WriteControl(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        uint key = _sendMasked ? MaskKeys.Next() : 0;
        return FrameWriter.WriteFrame(output, opcode, payload, true, 0, _sendMasked, key);
    }

    [InlineArray(FrameHeader.MaxLength)]
    private struct HeaderBuffer
    {
        private byte _element;
    }

    [InlineArray(FrameHeader.MaxControlPayloadLength)]
    private struct ControlBuffer
    {
        private byte _element;
    }
}
