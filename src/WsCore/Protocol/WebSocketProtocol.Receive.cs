using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using WsCore.Framing;
using WsCore.Text;

namespace WsCore.Protocol;

// The receive side: the fast path, then one method per ReceivePhase.
public sealed partial class WebSocketProtocol
{
    /// <summary>Text payload is unmasked and validated in blocks of this size, so validation reads from cache.</summary>
    private const int TextBlockLength = 16 * 1024;

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
        // requires, no message in progress, that fits the destination and the limits. FrameRules.FastPath.Accepts is the
        // test on its first two bytes: exactly the headers FrameRules.Check accepts as such a message, so the fast path
        // needs no other check (FrameRulesProperties proves it); anything else takes the phases below.
        if (input.Length >= 2 && IsAtMessageBoundary)
        {
            int b0 = input[0], b1 = input[1];
            int length = b1 & 0x7F;
            int headerLength = (b1 >> 5) & 4 | 2; // 6 when masked, 2 otherwise
            if (_fastPath.Accepts(b0, b1) && input.Length >= headerLength + length && destination.Length >= length)
            {
                Span<byte> target = destination.Slice(0, length);
                ReadOnlySpan<byte> payload = input.Slice(headerLength, length);
                bool masked = _context.ExpectMasked;
                uint key = masked ? BinaryPrimitives.ReadUInt32LittleEndian(input.Slice(2)) : 0;
                MessageKind type = (MessageKind)(b0 & 0x0F);
                _framesReceived[(int)type]++; // text (1) or binary (2): FrameCounts.IndexOf is the opcode itself
                if (type == MessageKind.Text)
                {
                    // The unmasking pass (a copy with key 0) tells whether the text is all ASCII, hence valid.
                    Masking.ApplyAndCheckAscii(payload, target, key, 0, out bool allAscii);
                    if (!allAscii && !Utf8Validator.IsValid(target)) return Fail(ProtocolViolation.InvalidUtf8, input.Length, out result);
                }
                else if (masked) Masking.Apply(payload, target, key, 0);
                else payload.CopyTo(target);
                result = new ReceiveResult(headerLength + length, length, type, true);
                return ReceiveStatus.MessageData;
            }
        }
        return ReceiveSlow(input, destination, out result);
    }

    /// <summary>
    /// True when the next bytes start a frame that may open a message: the Header phase (0), no header bytes held, no
    /// message open. Only then may the fast path read.
    /// </summary>
    private bool IsAtMessageBoundary
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ((int)_phase | _frameReader.BufferedLength | (_context.InMessage ? 1 : 0)) == 0;
    }

    /// <summary>
    /// Runs the phase the receive side is in, then the next one, while input is left. Each payload phase method returns
    /// the call's answer; NeedMoreData with the phase changed means "the rest of the input is the next phase's" (a frame
    /// that ended with nothing to report), and the loop goes on with that phase. The header phase goes straight on to
    /// the payload phase of the frame it started.
    /// </summary>
    private ReceiveStatus ReceiveSlow(ReadOnlySpan<byte> input, Span<byte> destination, out ReceiveResult result)
    {
        int consumed = 0;
        while (true)
        {
            ReceivePhase phase = _phase;
            if (phase == ReceivePhase.Header)
            {
                if (!TryReceiveHeader(input, ref consumed, out phase, out ReceiveStatus headerStatus, out result)) return headerStatus;
            }
            ReceiveStatus status;
            if (phase == ReceivePhase.DataPayload) status = ReceiveDataPayload(input, consumed, destination, out result);
            else if (phase == ReceivePhase.ControlPayload) status = ReceiveControlPayload(input, consumed, out result);
            else if (phase == ReceivePhase.CompressedPayload) status = ReceiveCompressedPayload(input, ref consumed, destination, out result);
            else return NeedMore(input.Length, out result); // Closed: the peer's close arrived or the connection failed; input is ignored
            if (status != ReceiveStatus.NeedMoreData || _phase == phase) return status;
        }
    }

    /// <summary>
    /// <see cref="ReceivePhase.Header"/>: reads a header (the <see cref="FrameReader"/> keeps a split one), checks it
    /// with <see cref="FrameRules.Check"/> and starts its frame in the payload phase its opcode and message call for.
    /// </summary>
    /// <returns>True when a frame started in <paramref name="phase"/>; false when <paramref name="status"/> and
    /// <paramref name="result"/> are the call's answer (the header is incomplete, or the connection failed).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReceiveHeader(ReadOnlySpan<byte> input, ref int consumed, out ReceivePhase phase, out ReceiveStatus status, out ReceiveResult result)
    {
        phase = ReceivePhase.Header;
        OperationStatus read = _frameReader.TryRead(input.Slice(consumed), out FrameHeader header, out int headerLength);
        if (read != OperationStatus.Done)
        {
            status = read == OperationStatus.NeedMoreData
                ? NeedMore(input.Length, out result)
                : Fail(ProtocolViolation.InvalidPayloadLength, input.Length, out result);
            return false;
        }
        consumed += headerLength;
        ProtocolViolation violation = FrameRules.Check(in header, in _context);
        if (violation != ProtocolViolation.None)
        {
            status = Fail(violation, input.Length, out result);
            return false;
        }
        phase = StartFrame(in header);
        Unsafe.SkipInit(out status);
        Unsafe.SkipInit(out result); // the payload phase answers
        return true;
    }

    /// <summary>Starts reading a frame that <see cref="FrameRules.Check"/> accepted; returns its payload phase.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReceivePhase StartFrame(in FrameHeader header)
    {
        WebSocketOpcode opcode = header.Opcode;
        _framesReceived[FrameCounts.IndexOf(opcode)]++;
        ReceivePhase phase;
        if (WebSocketOpcodes.IsControl(opcode))
        {
            _controlCount = 0;
            phase = ReceivePhase.ControlPayload;
        }
        else
        {
            if (opcode != WebSocketOpcode.Continuation) _utf8.Reset();
            _context.StartFrame(in header);
            phase = _context.MessageCompressed ? ReceivePhase.CompressedPayload : ReceivePhase.DataPayload;
        }
        _phase = phase;
        _frameOpcode = opcode;
        _frameFin = header.Fin;
        _frameRemaining = header.PayloadLength;
        _frameMaskKey = header.MaskKey;
        _frameMaskOffset = 0;
        return phase;
    }

    /// <summary>
    /// <see cref="ReceivePhase.DataPayload"/>: unmasks as much of the frame as the input and destination hold into the
    /// destination (validating text as it goes) and reports it; back to <see cref="ReceivePhase.Header"/> at the frame's end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReceiveStatus ReceiveDataPayload(ReadOnlySpan<byte> input, int consumed, Span<byte> destination, out ReceiveResult result)
    {
        int available = input.Length - consumed;
        if (available == 0 && _frameRemaining != 0) return NeedMore(consumed, out result);
        if (destination.IsEmpty && _frameRemaining == 0 && !_frameFin)
        {
            // A zero-byte receive waits for payload: an empty frame in the middle of a message has none and
            // tells nothing, so it is consumed and the next frame read (with a destination it is reported as
            // 0 bytes, not the end of the message).
            _phase = ReceivePhase.Header;
            result = default;
            return ReceiveStatus.NeedMoreData;
        }
        int take = (int)Math.Min(Math.Min(_frameRemaining, available), destination.Length);
        ReadOnlySpan<byte> source = input.Slice(consumed, take);
        Span<byte> target = destination.Slice(0, take);
        bool frameDone = _frameRemaining == take;
        bool endOfMessage = frameDone & _frameFin;
        if (_context.MessageKind == MessageKind.Text)
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
        else if (_context.ExpectMasked)
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
            _phase = ReceivePhase.Header;
            if (endOfMessage) _context.InMessage = false;
        }
        result = new ReceiveResult(consumed, take, _context.MessageKind, endOfMessage);
        return ReceiveStatus.MessageData;
    }

    /// <summary>
    /// <see cref="ReceivePhase.ControlPayload"/>: gathers a ping, pong or close payload (at most 125 bytes, unmasked in
    /// place) and reports the frame once it is whole; back to <see cref="ReceivePhase.Header"/>, or
    /// <see cref="ReceivePhase.Closed"/> after a close.
    /// </summary>
    private ReceiveStatus ReceiveControlPayload(ReadOnlySpan<byte> input, int consumed, out ReceiveResult result)
    {
        int take = (int)Math.Min(_frameRemaining, input.Length - consumed);
        Span<byte> target = ((Span<byte>)_control).Slice(_controlCount, take);
        input.Slice(consumed, take).CopyTo(target);
        if (_context.ExpectMasked) _frameMaskOffset = Masking.Apply(target, _frameMaskKey, _frameMaskOffset);
        _controlCount += take;
        _frameRemaining -= take;
        consumed += take;
        if (_frameRemaining != 0) return NeedMore(consumed, out result);

        _phase = ReceivePhase.Header;
        switch (_frameOpcode)
        {
            case WebSocketOpcode.Ping:
                if (_autoPong && !IsCloseSent) QueuePong(ControlPayload);
                result = new ReceiveResult(consumed, 0, default, false);
                return ReceiveStatus.Ping;

            case WebSocketOpcode.Pong:
                result = new ReceiveResult(consumed, 0, default, false);
                return ReceiveStatus.Pong;

            default: // Close
                return ReceiveClose(input.Length, out result);
        }
    }

    /// <summary>The answer to a call that used up its input (<paramref name="consumed"/> bytes) without an event.</summary>
    private static ReceiveStatus NeedMore(int consumed, out ReceiveResult result)
    {
        result = new ReceiveResult(consumed, 0, default, false);
        return ReceiveStatus.NeedMoreData;
    }
}
