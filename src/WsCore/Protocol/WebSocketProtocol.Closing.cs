using System.Buffers;
using WsCore.Closing;
using WsCore.Framing;

namespace WsCore.Protocol;

// The closing handshake (RFC 6455 §7): the peer's close, this endpoint's close, and failing the connection.
public sealed partial class WebSocketProtocol
{
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
        if (IsCloseSent) return SendStatus.Closed;
        switch (ClosePayload.CheckOutgoing(code, reason))
        {
            case ClosePayloadStatus.InvalidCode: return SendStatus.InvalidCloseCode;
            case ClosePayloadStatus.TooLong: return SendStatus.PayloadTooLong;
            case ClosePayloadStatus.InvalidUtf8Reason: return SendStatus.InvalidUtf8;
        }
        Span<byte> payload = stackalloc byte[FrameHeader.MaxControlPayloadLength];
        int length = ClosePayload.WriteChecked(payload, code, reason); // checked above; the buffer holds any valid payload
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
        if (IsCloseSent) return SendStatus.Closed;
        WriteCloseFrame(output, default);
        return SendStatus.Done;
    }

    private void WriteCloseFrame(IBufferWriter<byte> output, ReadOnlySpan<byte> payload)
    {
        if (HasPendingOutput) WritePendingOutput(output);
        WriteControl(output, WebSocketOpcode.Close, payload);
        _state = IsCloseReceived ? CloseHandshakeState.Closed : CloseHandshakeState.CloseSent;
    }

    /// <summary>
    /// The peer's close frame is whole in the control buffer: a valid one ends receiving (<see cref="ReceivePhase.Closed"/>)
    /// and, unless this endpoint has closed already, is answered (auto-close-reply) or left to the application.
    /// </summary>
    private ReceiveStatus ReceiveClose(int inputLength, out ReceiveResult result)
    {
        ReadOnlySpan<byte> payload = ControlPayload;
        // ClosePayloadStatus.TooLong cannot come: FrameRules.Check refused a control frame over 125 bytes before its payload.
        switch (ClosePayload.Read(payload, out ushort code, out ReadOnlySpan<byte> reason))
        {
            case ClosePayloadStatus.OneByte: return Fail(ProtocolViolation.OneByteClosePayload, inputLength, out result);
            case ClosePayloadStatus.InvalidCode: return Fail(ProtocolViolation.InvalidCloseCode, inputLength, out result);
            case ClosePayloadStatus.InvalidUtf8Reason: return Fail(ProtocolViolation.InvalidUtf8CloseReason, inputLength, out result);
        }
        bool closeSent = IsCloseSent;
        _peerCloseCode = code;
        _peerReasonLength = reason.Length;
        _phase = ReceivePhase.Closed;
        if (closeSent)
        {
            _state = CloseHandshakeState.Closed;
        }
        else if (_autoCloseReply)
        {
            // Echo the peer's code (§5.5.1); an empty close is answered with an empty close.
            QueueClose(code == CloseCodes.NoStatusReceived ? default : payload.Slice(0, 2));
            _state = CloseHandshakeState.Closed;
        }
        else
        {
            _state = CloseHandshakeState.CloseReceived;
        }
        // Data after the peer's close is ignored.
        result = new ReceiveResult(inputLength, 0, default, false);
        return ReceiveStatus.Close;
    }

    /// <summary>
    /// Fails the connection for a violation the adapter detected (a message over the limit a
    /// <c>WebSocketConnection.ReceiveMessageAsync</c> caller gave: <see cref="ProtocolViolation.MessageTooLarge"/>), exactly
    /// as if the engine had: receiving stops and the close frame with the violation's code is queued.
    /// </summary>
    internal void FailReceive(ProtocolViolation violation) => Fail(violation, 0, out _);

    /// <summary>
    /// Fails the connection (§7.1.7) for a violation by the peer: receiving stops (<see cref="ReceivePhase.Closed"/>,
    /// all input consumed), and unless this endpoint has closed already, a close frame with the violation's code is queued.
    /// </summary>
    private ReceiveStatus Fail(ProtocolViolation violation, int inputLength, out ReceiveResult result)
    {
        _violation = violation;
        _phase = ReceivePhase.Closed;
        // Receiving is over: drop any compressed input or inflater output still held, so HasPendingReceiveData is false.
        _inflateStart = _inflateEnd = 0;
        _inflatePending = false;
        if (!IsCloseSent)
        {
            Span<byte> payload = stackalloc byte[2];
            ushort code = ProtocolViolations.GetCloseCode(violation);
            payload[0] = (byte)(code >> 8);
            payload[1] = (byte)code;
            QueueClose(payload);
        }
        _state = CloseHandshakeState.Closed;
        result = new ReceiveResult(inputLength, 0, default, false);
        return ReceiveStatus.ProtocolError;
    }

    /// <summary>Queues a close frame for <see cref="WritePendingOutput"/>; the caller moves <see cref="_state"/> on.</summary>
    private void QueueClose(ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(_pendingClosePayload);
        _pendingCloseLength = payload.Length;
        _pendingClose = true;
    }
}
