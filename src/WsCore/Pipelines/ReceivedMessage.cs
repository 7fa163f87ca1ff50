using System.Buffers;
using System.Text;
using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>
/// The outcome of <see cref="WebSocketConnection.ReceiveMessageAsync(int, CancellationToken)"/>: a whole message in pooled
/// memory, or why there is none (the peer closed, broke the protocol, the message was over the limit, or the connection
/// ended). Dispose it when done with <see cref="Data"/>: that returns the memory to the pool. Disposing twice, or disposing
/// a copy too, is harmless; reading <see cref="Data"/> after disposing throws <see cref="ObjectDisposedException"/>.
/// </summary>
public readonly struct ReceivedMessage : IDisposable
{
    private readonly MessageBuffer? _buffer;
    private readonly int _token;

    internal ReceivedMessage(MessageBuffer buffer, int token, int length, MessageKind messageKind)
    {
        _buffer = buffer;
        _token = token;
        Length = length;
        MessageKind = messageKind;
        Kind = ConnectionReceiveKind.MessageData;
    }

    internal ReceivedMessage(ConnectionReceiveKind kind, ushort closeCode, string? closeReason)
    {
        Kind = kind;
        CloseCode = closeCode;
        CloseReason = closeReason;
    }

    /// <summary>
    /// <see cref="ConnectionReceiveKind.MessageData"/>: a whole message is in <see cref="Data"/>.
    /// <see cref="ConnectionReceiveKind.Close"/>: the peer closed (<see cref="CloseCode"/>, <see cref="CloseReason"/>).
    /// <see cref="ConnectionReceiveKind.ProtocolError"/>: the peer broke the protocol or sent a message over the limit
    /// (<see cref="CloseCode"/> 1009, <see cref="WebSocketConnection.Violation"/> <see cref="ProtocolViolation.MessageTooLarge"/>);
    /// the close frame was sent and the transport closed. <see cref="ConnectionReceiveKind.Aborted"/>: the connection
    /// ended without a closing handshake (1006).
    /// </summary>
    public ConnectionReceiveKind Kind { get; }

    /// <summary>The message's type (for <see cref="ConnectionReceiveKind.MessageData"/>).</summary>
    public MessageKind MessageKind { get; }

    /// <summary>The message's length in bytes (0 unless <see cref="ConnectionReceiveKind.MessageData"/>).</summary>
    public int Length { get; }

    /// <summary>The message's payload (unmasked, inflated, and for text valid UTF-8), valid until <see cref="Dispose"/>.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public ReadOnlyMemory<byte> Data => _buffer is null ? default : _buffer.GetData(_token, Length);

    /// <summary>The payload as a sequence (one segment, no allocation), for readers that take one; valid until <see cref="Dispose"/>.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public ReadOnlySequence<byte> Sequence => new(Data);

    /// <summary>
    /// For <see cref="ConnectionReceiveKind.Close"/> the peer's code (1005 when its close frame had none); for a protocol
    /// error the code sent (1009 for a message over the limit); 1006 when aborted; 0 for a message.
    /// </summary>
    public ushort CloseCode { get; }

    /// <summary>For <see cref="ConnectionReceiveKind.Close"/> the peer's reason (null when it gave none); null otherwise.</summary>
    public string? CloseReason { get; }

    /// <summary>
    /// The text message as a <see cref="string"/>: one allocation, the string. The engine has checked that the bytes
    /// are valid UTF-8, so the decoding replaces nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">This is not a text message.</exception>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public string GetText()
    {
        if (Kind != ConnectionReceiveKind.MessageData || MessageKind != MessageKind.Text) throw new InvalidOperationException("Not a text message.");
        return Encoding.UTF8.GetString(Data.Span);
    }

    /// <summary>Returns the message's memory to the pool. Safe to call more than once, and on copies.</summary>
    public void Dispose() => _buffer?.Release(_token);
}
