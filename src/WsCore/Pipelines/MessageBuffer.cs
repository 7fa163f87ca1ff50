using System.Buffers;
using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>
/// The pooled storage of one whole message received by <see cref="WebSocketConnection.ReceiveMessageAsync(int, CancellationToken)"/>:
/// an array rented from <see cref="ArrayPool{T}.Shared"/> that grows (doubling) while the message arrives, and is returned
/// to the pool when the caller disposes the <see cref="ReceivedMessage"/>. The object itself is reused by its connection
/// (one spare kept), so a receive-dispose loop allocates nothing; it holds no array while no message is held.
/// </summary>
/// <remarks>
/// A <see cref="ReceivedMessage"/> is a struct and may be copied: each copy carries the token of the message it was made
/// for, and only the first <see cref="Release"/> with the current token returns the array (a second dispose, or a copy's,
/// does nothing; reading a released message throws <see cref="ObjectDisposedException"/> instead of reading the pool).
/// </remarks>
internal sealed class MessageBuffer
{
    private const int InitialLength = 4096;

    private readonly WebSocketConnection _owner;
    private byte[]? _array;
    private int _token;

    internal MessageBuffer(WebSocketConnection owner)
    {
        _owner = owner;
    }

    /// <summary>The message bytes received so far.</summary>
    internal int Length { get; private set; }

    /// <summary>The message's type (valid once <see cref="Started"/>).</summary>
    internal MessageKind Kind { get; private set; }

    /// <summary>True once a first piece (possibly empty) of the message arrived.</summary>
    internal bool Started { get; private set; }

    /// <summary>The token a <see cref="ReceivedMessage"/> made now carries.</summary>
    internal int Token => Volatile.Read(ref _token);

    /// <summary>
    /// Room for the next piece: at least one byte, at most up to <paramref name="maxBytes"/> + 1 bytes in all (one byte
    /// past the limit tells a message over it from one exactly at it).
    /// </summary>
    internal Memory<byte> GetSpace(int maxBytes)
    {
        int cap = maxBytes + 1; // callers keep maxBytes below Array.MaxLength
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent(Math.Min(cap, InitialLength));
        }
        else if (Length >= Math.Min(_array.Length, cap) && Length < cap)
        {
            int next = (int)Math.Min(cap, Math.Max(2L * _array.Length, InitialLength));
            byte[] grown = ArrayPool<byte>.Shared.Rent(next);
            _array.AsSpan(0, Length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_array);
            _array = grown;
        }
        int end = Math.Min(_array.Length, cap);
        return _array.AsMemory(Length, end - Length);
    }

    /// <summary>Records a piece of <paramref name="count"/> bytes written into the last <see cref="GetSpace"/>.</summary>
    internal void Advance(int count, MessageKind kind)
    {
        Length += count;
        Kind = kind;
        Started = true;
    }

    /// <summary>The message's bytes, for the holder of <paramref name="token"/>.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    internal ReadOnlyMemory<byte> GetData(int token, int length)
    {
        byte[]? array = _array;
        if (Volatile.Read(ref _token) != token || array is null) throw new ObjectDisposedException(nameof(ReceivedMessage));
        return array.AsMemory(0, length);
    }

    /// <summary>Returns the array to the pool and this object to its connection, once per token.</summary>
    internal void Release(int token)
    {
        if (Interlocked.CompareExchange(ref _token, unchecked(token + 1), token) != token) return;
        Clear();
        _owner.ReturnMessageBuffer(this);
    }

    /// <summary>Drops the message (its receive failed or the connection closed): the array goes back to the pool.</summary>
    internal void Clear()
    {
        byte[]? array = _array;
        _array = null;
        Length = 0;
        Started = false;
        Kind = default;
        if (array is not null) ArrayPool<byte>.Shared.Return(array);
    }
}
