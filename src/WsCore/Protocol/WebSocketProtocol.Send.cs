using System.Buffers;
using WsCore.Framing;

namespace WsCore.Protocol;

// The send side: messages, pings and pongs, and the frames the engine queues on its own.
public sealed partial class WebSocketProtocol
{
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
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not <see cref="MessageKind.Text"/> or <see cref="MessageKind.Binary"/>.</exception>
    public SendStatus WriteMessage(IBufferWriter<byte> output, ReadOnlySpan<byte> payload, MessageKind type, bool endOfMessage)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (type is not (MessageKind.Text or MessageKind.Binary)) throw new ArgumentOutOfRangeException(nameof(type));
        if (IsCloseSent) return SendStatus.Closed;
        WebSocketOpcode opcode;
        if (_sendInMessage)
        {
            // Checked before any queued frame is written: a refused call writes nothing.
            if (type != _sendMessageType) return SendStatus.MessageKindMismatch;
            opcode = WebSocketOpcode.Continuation;
        }
        else
        {
            opcode = (WebSocketOpcode)type;
            _sendMessageType = type;
        }
        if (HasPendingOutput) WritePendingOutput(output);
        _sendInMessage = !endOfMessage;
        if (_compressor is not null)
        {
            WriteCompressed(output, payload, type, endOfMessage); // counts the frames it writes
        }
        else if (payload.Length <= FrameWriter.SingleSpanPayloadLength)
        {
            FrameWriter.WriteFrame(output, opcode, payload, endOfMessage, 0, _sendMasked, _sendMasked ? MaskKeys.Next() : 0);
            CountSent(opcode);
        }
        else
        {
            FrameWriter.WriteLargeFrame(output, opcode, payload, endOfMessage, _sendMasked, _sendMasked ? MaskKeys.Next() : 0);
            CountSent(opcode);
        }
        return SendStatus.Done;
    }

    /// <summary>
    /// Writes a prepared message (a whole message framed, and compressed, once for many connections) as one final frame.
    /// Queued engine frames are written first. With permessage-deflate the compressed frame for this connection's window
    /// size is written (made on first use); a compressor that keeps its context then forgets it before its next message
    /// (see <see cref="PreparedMessage"/>). A client masks the frame while copying it.
    /// </summary>
    /// <param name="output">Where to write.</param>
    /// <param name="message">The message.</param>
    /// <returns><see cref="SendStatus.Done"/>; <see cref="SendStatus.Closed"/> after this endpoint's close frame;
    /// <see cref="SendStatus.MessageInProgress"/> while a fragmented message is being sent. Nothing is written unless Done.</returns>
    public SendStatus WritePreparedMessage(IBufferWriter<byte> output, PreparedMessage message)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(message);
        if (IsCloseSent) return SendStatus.Closed;
        if (_sendInMessage) return SendStatus.MessageInProgress;
        ReadOnlySpan<byte> frame = message.GetFrame(_compressor?.WindowBits ?? 0, out bool compressed);
        if (HasPendingOutput) WritePendingOutput(output);
        PreparedMessage.WriteFrame(output, frame, _sendMasked);
        CountSent((WebSocketOpcode)message.Kind);
        if (compressed)
        {
            _compressor!.ForgetHistory();
            _deflateInput += message.Length; // counted as if this connection had compressed it (the wire's ratio)
            _deflateOutput += frame.Length - PreparedMessage.HeaderLength(frame);
        }
        return SendStatus.Done;
    }

    /// <summary>The bytes <see cref="WritePreparedMessage"/> writes for <paramref name="message"/> on this connection (an
    /// upper bound while its compressed frame for this connection's window size is not made yet).</summary>
    internal int GetPreparedFrameLength(PreparedMessage message)
        => message.GetFrameLength(_compressor?.WindowBits ?? 0) + (_sendMasked ? 4 : 0);

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
        if (IsCloseSent) return SendStatus.Closed;
        if (payload.Length > FrameHeader.MaxControlPayloadLength) return SendStatus.PayloadTooLong;
        if (HasPendingOutput) WritePendingOutput(output);
        WriteControl(output, opcode, payload);
        return SendStatus.Done;
    }

    private int WriteControl(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        uint key = _sendMasked ? MaskKeys.Next() : 0;
        int written = FrameWriter.WriteFrame(output, opcode, payload, true, 0, _sendMasked, key);
        CountSent(opcode);
        return written;
    }

    /// <summary>Queues the auto-pong that answers a ping with its payload (§5.5.2); a later ping replaces it.</summary>
    private void QueuePong(ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(_pendingPongPayload);
        _pendingPongLength = payload.Length;
        _pendingPong = true;
    }
}
