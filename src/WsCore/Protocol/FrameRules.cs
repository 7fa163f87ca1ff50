using System.Runtime.CompilerServices;
using WsCore.Framing;

namespace WsCore.Protocol;

/// <summary>
/// The rules a received frame header must follow, in one place: RFC 6455 §5.1 (masking per role), §5.2 (reserved
/// bits and opcodes), §5.4 (fragmentation), §5.5 (control frames), RFC 7692 §6 (RSV1 on the first frame of a data
/// message when permessage-deflate is in use), and this endpoint's limits.
/// </summary>
/// <remarks>
/// <see cref="Check"/> is a pure function of the header and the <see cref="ReceiveContext"/>; the state machine calls
/// it for every header it reads, then records the frame with <see cref="ReceiveContext.StartFrame"/>. The receive fast
/// path reads whole small frames without decoding a <see cref="FrameHeader"/>: <see cref="FastPath.Accepts"/> is its
/// test on the first two bytes, and accepts exactly the headers that <see cref="Check"/> accepts when no message is open
/// (<c>FrameRulesProperties</c> proves it for every two-byte header and every context).
/// </remarks>
internal static class FrameRules
{
    /// <summary>
    /// The first violation of the rules by a frame with this header, in a fixed order (reserved bits, opcode, masking,
    /// control frame rules or fragmentation, frame length, fragment count, message length); <see cref="ProtocolViolation.None"/>
    /// when the frame may be read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ProtocolViolation Check(in FrameHeader header, in ReceiveContext context)
    {
        WebSocketOpcode opcode = header.Opcode;
        byte rsv = header.ReservedBits;
        if (rsv != 0)
        {
            // A negotiated RSV1 is allowed only on the first frame of a data message (RFC 7692 §6).
            if ((rsv & ~context.AllowedReservedBits) != 0 || opcode is not (WebSocketOpcode.Text or WebSocketOpcode.Binary))
                return ProtocolViolation.ReservedBitsSet;
        }
        if (!WebSocketOpcodes.IsDefined(opcode)) return ProtocolViolation.ReservedOpcode;
        if (header.IsMasked != context.ExpectMasked)
            return context.ExpectMasked ? ProtocolViolation.UnmaskedFrameFromClient : ProtocolViolation.MaskedFrameFromServer;

        long length = header.PayloadLength;
        if (WebSocketOpcodes.IsControl(opcode))
        {
            if (!header.Fin) return ProtocolViolation.FragmentedControlFrame;
            if (length > FrameHeader.MaxControlPayloadLength) return ProtocolViolation.ControlFrameTooLong;
            return ProtocolViolation.None;
        }

        // A data frame: a continuation needs an open message, a text or binary frame opens a new one.
        bool opens = opcode != WebSocketOpcode.Continuation;
        if (opens == context.InMessage) return opens ? ProtocolViolation.ExpectedContinuation : ProtocolViolation.UnexpectedContinuation;
        if (length > context.MaxFramePayload) return ProtocolViolation.FrameTooLarge;
        int fragments = opens ? 0 : context.MessageFragments;
        if (fragments >= context.MaxFragments) return ProtocolViolation.TooManyFragments; // compared before counting: never wraps
        bool compressed = opens ? rsv != 0 : context.MessageCompressed;
        if (!compressed)
        {
            // A compressed message is measured after inflating, while it inflates.
            long messageLength = opens ? 0 : context.MessageLength;
            if (length > context.MaxMessage - messageLength) return ProtocolViolation.MessageTooLarge;
        }
        return ProtocolViolation.None;
    }

    /// <summary>
    /// The receive fast path's test on a frame's first two bytes, fixed for a connection by its <see cref="ReceiveContext"/>:
    /// FIN, no reserved bits, text or binary, masked as the role requires, a 7-bit length that fits both length limits.
    /// Such a frame, received while no message is open, passes <see cref="Check"/> and is a whole message.
    /// </summary>
    internal readonly struct FastPath
    {
        private readonly int _expectedMaskBit; // 0x80 for a server, 0 for a client
        private readonly long _maxLength;      // at most 125, within both length limits

        public FastPath(in ReceiveContext context)
        {
            _expectedMaskBit = context.ExpectMasked ? 0x80 : 0;
            // With MaxFragments at least 1, every limit allows a one-frame message of this length.
            _maxLength = Math.Min(FrameHeader.MaxControlPayloadLength, Math.Min(context.MaxFramePayload, context.MaxMessage));
        }

        /// <summary>True when the frame whose first two bytes these are may be read by the fast path.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Accepts(int b0, int b1)
            => (b0 & 0xF0) == 0x80 && (uint)((b0 & 0x0F) - 1) <= 1u && (b1 & 0x80) == _expectedMaskBit && (b1 & 0x7F) <= _maxLength;
    }
}
