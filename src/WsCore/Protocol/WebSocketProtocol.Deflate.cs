using System.Buffers;
using WsCore.Compression;
using WsCore.Framing;

namespace WsCore.Protocol;

// permessage-deflate (RFC 7692), when negotiated: the compressed receive phase and compressed sending.
public sealed partial class WebSocketProtocol
{
    private const int InflateInputLength = 16 * 1024;
    private readonly PerMessageDeflateDecompressor? _decompressor;
    private readonly PerMessageDeflateCompressor? _compressor;
    private readonly byte[]? _inflateInput;   // unmasked compressed bytes not yet inflated
    private int _inflateStart;
    private int _inflateEnd;
    private bool _inflatePending;             // the inflater filled the last destination and may hold more output
    private bool _sendFrameStarted;           // the compressed message being sent has emitted its first frame
    private long _deflateInput;
    private long _deflateOutput;
    private long _inflateInputBytes;
    private long _inflateOutput;

    /// <summary>
    /// Message bytes given to the compressor so far (the uncompressed size of what was sent compressed, prepared messages
    /// sent compressed included); with <see cref="DeflateOutputBytes"/> it gives the send direction's compression ratio.
    /// 0 without permessage-deflate.
    /// </summary>
    public long DeflateInputBytes => _deflateInput;

    /// <summary>Compressed bytes the compressor produced so far: the payload of the compressed frames sent (prepared messages' included).</summary>
    public long DeflateOutputBytes => _deflateOutput;

    /// <summary>Compressed frame payload bytes received so far (of messages the peer sent compressed).</summary>
    public long InflateInputBytes => _inflateInputBytes;

    /// <summary>Bytes the decompressor produced so far from <see cref="InflateInputBytes"/>: the received messages' uncompressed size.</summary>
    public long InflateOutputBytes => _inflateOutput;

    /// <summary>
    /// True when the engine can go on receiving without new input: it holds received bytes it has not turned into events
    /// yet (compressed input, or inflated data of a compressed message that did not fit the last destination), or a
    /// compressed frame's payload has all arrived and what is left of it needs only a destination. Call
    /// <see cref="Receive"/> again (with empty input if nothing new arrived) before waiting for the transport.
    /// </summary>
    public bool HasPendingReceiveData => _inflatePending || _inflateStart != _inflateEnd || (_phase == ReceivePhase.CompressedPayload && _frameRemaining == 0);

    /// <summary>True when permessage-deflate is in use on this connection.</summary>
    public bool IsCompressionEnabled => _compressor is not null;

    /// <summary>
    /// <see cref="ReceivePhase.CompressedPayload"/>: unmask into the inflate buffer, inflate into the destination, count
    /// the inflated bytes against the message limit while inflating (a small message that inflates to gigabytes ends with
    /// 1009 at most one destination past the limit), validate text as it inflates. Back to <see cref="ReceivePhase.Header"/>
    /// when the frame is all inflated (and goes on reading when that is all there is to tell).
    /// </summary>
    private ReceiveStatus ReceiveCompressedPayload(ReadOnlySpan<byte> input, ref int consumed, Span<byte> destination, out ReceiveResult result)
    {
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
                        return NeedMore(consumed, out result);
                    }
                    int take = (int)Math.Min(Math.Min(_frameRemaining, available), pending.Length);
                    if (_context.ExpectMasked) _frameMaskOffset = Masking.Apply(input.Slice(consumed, take), pending, _frameMaskKey, _frameMaskOffset);
                    else input.Slice(consumed, take).CopyTo(pending);
                    consumed += take;
                    _frameRemaining -= take;
                    _inflateInputBytes += take;
                    _inflateStart = 0;
                    _inflateEnd = take;
                }
                else if (!_frameFin)
                {
                    // This frame is all inflated; the message goes on in the next frame.
                    _phase = ReceivePhase.Header;
                    if (written > 0) break;
                    result = default;
                    return ReceiveStatus.NeedMoreData; // nothing to report: the next header is read
                }
            }
            if (written == destination.Length) break;

            bool endOfInput = _frameFin && _frameRemaining == 0;
            OperationStatus inflated = _decompressor!.Decompress(pending.Slice(_inflateStart, _inflateEnd - _inflateStart),
                destination.Slice(written), endOfInput, out int used, out int produced);
            _inflateStart += used;
            if (inflated == OperationStatus.InvalidData)
            {
                return Fail(ProtocolViolation.InvalidCompressedData, input.Length, out result);
            }
            if (produced > _context.MaxMessage - _context.MessageLength)
            {
                return Fail(ProtocolViolation.MessageTooLarge, input.Length, out result);
            }
            _context.MessageLength += produced;
            _inflateOutput += produced;
            bool endOfMessage = endOfInput && inflated == OperationStatus.Done;
            if (_context.MessageKind == MessageKind.Text && !_utf8.Validate(destination.Slice(written, produced), endOfMessage))
            {
                return Fail(ProtocolViolation.InvalidUtf8, input.Length, out result);
            }
            written += produced;
            _inflatePending = inflated == OperationStatus.DestinationTooSmall;
            if (endOfMessage)
            {
                _phase = ReceivePhase.Header;
                _context.InMessage = false;
                _inflateStart = _inflateEnd = 0;
                result = new ReceiveResult(consumed, written, _context.MessageKind, true);
                return ReceiveStatus.MessageData;
            }
            if (_inflatePending) break;
        }
        result = new ReceiveResult(consumed, written, _context.MessageKind, false);
        return ReceiveStatus.MessageData;
    }

    /// <summary>
    /// Compresses a message (or a fragment of it) into frames of at most 64 KiB - 1 compressed bytes each, each
    /// compressed straight into the output and framed there (<see cref="FrameWriter.WriteHeaderInPlace"/>). Only the first
    /// frame of the message carries the opcode and RSV1 (RFC 7692 §6.1); a fragment whose bytes the compressor keeps back
    /// emits no frame, and the last fragment always ends the message with a final frame.
    /// </summary>
    private void WriteCompressed(IBufferWriter<byte> output, ReadOnlySpan<byte> payload, MessageKind type, bool endOfMessage)
    {
        int reserve = FrameWriter.GetInPlaceHeaderReserve(_sendMasked);
        while (true)
        {
            Span<byte> span = output.GetSpan(reserve + Math.Min(FrameWriter.MaxInPlacePayloadLength, Math.Max(payload.Length + 64, 256)));
            int capacity = Math.Min(span.Length - reserve, FrameWriter.MaxInPlacePayloadLength);
            OperationStatus compressed = _compressor!.Compress(payload, span.Slice(reserve, capacity), endOfMessage, out int used, out int produced);
            payload = payload.Slice(used);
            _deflateInput += used;
            _deflateOutput += produced;
            bool final = endOfMessage && compressed == OperationStatus.Done;
            if (produced > 0 || final)
            {
                WebSocketOpcode opcode = _sendFrameStarted ? WebSocketOpcode.Continuation : (WebSocketOpcode)type;
                byte rsv = _sendFrameStarted ? (byte)0 : FrameHeader.Rsv1Bit;
                uint key = _sendMasked ? MaskKeys.Next() : 0;
                output.Advance(FrameWriter.WriteHeaderInPlace(span, produced, opcode, final, rsv, _sendMasked, key));
                CountSent(opcode);
                _sendFrameStarted = true;
            }
            if (final)
            {
                _sendFrameStarted = false;
                return;
            }
            if (compressed == OperationStatus.Done) return; // all taken; the compressor holds the rest until the next fragment
        }
    }
}
