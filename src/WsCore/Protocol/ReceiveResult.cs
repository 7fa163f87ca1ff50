namespace WsCore.Protocol;

/// <summary>The counts and flags that accompany a <see cref="ReceiveStatus"/>.</summary>
public readonly struct ReceiveResult
{
    internal ReceiveResult(int bytesConsumed, int bytesWritten, MessageKind messageType, bool endOfMessage)
    {
        BytesConsumed = bytesConsumed;
        BytesWritten = bytesWritten;
        MessageKind = messageType;
        EndOfMessage = endOfMessage;
    }

    /// <summary>How many input bytes the call consumed; the caller passes the rest (and anything new) next time.</summary>
    public int BytesConsumed { get; }

    /// <summary>How many payload bytes were written to the destination (for <see cref="ReceiveStatus.MessageData"/>).</summary>
    public int BytesWritten { get; }

    /// <summary>The type of the message the data belongs to (for <see cref="ReceiveStatus.MessageData"/>).</summary>
    public MessageKind MessageKind { get; }

    /// <summary>True when the data ends its message (for <see cref="ReceiveStatus.MessageData"/>).</summary>
    public bool EndOfMessage { get; }
}
