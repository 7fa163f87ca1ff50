using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>The outcome of one receive on a <see cref="WebSocketConnection"/>.</summary>
public readonly struct ConnectionReceiveResult
{
    internal ConnectionReceiveResult(ConnectionReceiveKind kind, int count, MessageKind messageType, bool endOfMessage, ushort closeCode)
    {
        Kind = kind;
        Count = count;
        MessageKind = messageType;
        EndOfMessage = endOfMessage;
        CloseCode = closeCode;
    }

    /// <summary>What happened.</summary>
    public ConnectionReceiveKind Kind { get; }
    /// <summary>The number of message bytes written into the buffer.</summary>
    public int Count { get; }
    /// <summary>The type of the message the bytes belong to.</summary>
    public MessageKind MessageKind { get; }
    /// <summary>True when these bytes end the message.</summary>
    public bool EndOfMessage { get; }
    /// <summary>For <see cref="ConnectionReceiveKind.Close"/> the peer's code; for a protocol error the code sent; 1006 when aborted.</summary>
    public ushort CloseCode { get; }
}
