using System.Runtime.CompilerServices;
using WsCore.Framing;

namespace WsCore.Protocol;

/// <summary>
/// What the frame rules (<see cref="FrameRules.Check"/>) need to know about the receiving endpoint: its role's masking
/// rule, the negotiated reserved bits and the limits (fixed for the connection), and the message in progress (updated
/// by <see cref="StartFrame"/> as each data frame starts).
/// </summary>
internal struct ReceiveContext
{
    /// <summary>True for a server: every frame it receives must be masked; false for a client: none may be (§5.1).</summary>
    public readonly bool ExpectMasked;
    /// <summary>The reserved bits an extension allows: <see cref="FrameHeader.Rsv1Bit"/> with permessage-deflate, else 0.</summary>
    public readonly byte AllowedReservedBits;
    /// <summary>The largest payload one frame may announce.</summary>
    public readonly long MaxFramePayload;
    /// <summary>The largest message (all fragments; after inflating for a compressed one).</summary>
    public readonly long MaxMessage;
    /// <summary>The most frames one message may have (at least 1).</summary>
    public readonly int MaxFragments;

    /// <summary>True while a text or binary message has started and its final frame has not been read.</summary>
    public bool InMessage;
    /// <summary>The open message's type.</summary>
    public MessageKind MessageKind;
    /// <summary>The open message's first frame had RSV1 (permessage-deflate): its frames are inflated.</summary>
    public bool MessageCompressed;
    /// <summary>The open message's length so far: the frames' payload lengths, or the inflated bytes when compressed.</summary>
    public long MessageLength;
    /// <summary>How many frames of the open message have started.</summary>
    public int MessageFragments;

    public ReceiveContext(bool expectMasked, byte allowedReservedBits, long maxFramePayload, long maxMessage, int maxFragments)
    {
        ExpectMasked = expectMasked;
        AllowedReservedBits = allowedReservedBits;
        MaxFramePayload = maxFramePayload;
        MaxMessage = maxMessage;
        MaxFragments = maxFragments;
    }

    /// <summary>
    /// Records the start of a data frame that <see cref="FrameRules.Check"/> accepted: a text or binary frame opens a
    /// message, every data frame counts as a fragment and, unless the message is compressed, adds its length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StartFrame(in FrameHeader header)
    {
        if (header.Opcode != WebSocketOpcode.Continuation)
        {
            InMessage = true;
            MessageKind = (MessageKind)header.Opcode;
            MessageCompressed = header.ReservedBits != 0; // RSV1, the only bit the rules let through here
            MessageLength = 0;
            MessageFragments = 0;
        }
        MessageFragments++;
        if (!MessageCompressed) MessageLength += header.PayloadLength; // a compressed message is measured while it inflates
    }
}
