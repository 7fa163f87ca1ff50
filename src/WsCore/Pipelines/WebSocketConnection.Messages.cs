using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using WsCore.Closing;
using WsCore.Protocol;

namespace WsCore.Pipelines;

public sealed partial class WebSocketConnection
{
    // ---- Whole messages, text and string close reasons, beside the chunked API ----

    // One released MessageBuffer kept for the next message (taken and given back with Interlocked: a message may be
    // disposed on any thread). A message whose receive was cancelled midway waits in _partialMessage for the next
    // ReceiveMessageAsync (touched only by the one receive in progress).
    private MessageBuffer? _spareMessageBuffer;
    private MessageBuffer? _partialMessage;

    /// <summary>
    /// Receives the next whole message into pooled memory, up to the engine's <see cref="WebSocketProtocolOptions.MaxMessageLength"/>
    /// (a larger message fails the connection with 1009). Otherwise like <see cref="ReceiveMessageAsync(int, CancellationToken)"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for data; the connection stays usable, and a message begun is resumed by the next call.</param>
    public ValueTask<ReceivedMessage> ReceiveMessageAsync(CancellationToken cancellationToken = default)
        => ReceiveMessageCoreAsync(DefaultMessageLimit, cancellationToken);

    /// <summary>
    /// Receives the next whole message (all its fragments) into pooled memory, answering pings and the peer's close on
    /// the way. Dispose the result to return the memory; in steady state a receive-dispose loop allocates nothing.
    /// Only one receive (this or <see cref="ReceiveAsync"/>) may be in progress at a time.
    /// </summary>
    /// <param name="maxBytes">
    /// The largest message accepted. A message over it fails the connection as the engine's own limit does: the close
    /// frame with 1009 (message too big) is sent, <see cref="Violation"/> is <see cref="ProtocolViolation.MessageTooLarge"/>,
    /// the transport is closed, and the result is <see cref="ConnectionReceiveKind.ProtocolError"/> with
    /// <see cref="ReceivedMessage.CloseCode"/> 1009. The engine's <see cref="WebSocketProtocolOptions.MaxMessageLength"/>
    /// applies too (the same result); memory grows with the message (doubling from 4 KiB), never past the limit.
    /// </param>
    /// <param name="cancellationToken">
    /// Cancels the wait for data; the connection stays usable. The part of a message already received is kept: the next
    /// <see cref="ReceiveMessageAsync(int, CancellationToken)"/> continues it (a <see cref="ReceiveAsync"/> would return the rest in chunks).
    /// </param>
    /// <returns>The message, or the close, failure or end that came instead (its memory is then already released).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBytes"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">A receive is already in progress.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public ValueTask<ReceivedMessage> ReceiveMessageAsync(int maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        return ReceiveMessageCoreAsync(Math.Min(maxBytes, Array.MaxLength - 1), cancellationToken);
    }

    private int DefaultMessageLimit => (int)Math.Min(_options.Protocol.MaxMessageLength, Array.MaxLength - 1);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReceivedMessage> ReceiveMessageCoreAsync(int maxBytes, CancellationToken cancellationToken)
    {
        MessageBuffer message = Interlocked.Exchange(ref _partialMessage, null)
            ?? Interlocked.Exchange(ref _spareMessageBuffer, null) ?? new MessageBuffer(this);
        while (true)
        {
            ConnectionReceiveResult r;
            try
            {
                r = await ReceiveAsync(message.GetSpace(maxBytes), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && message.Started)
            {
                _partialMessage = message; // resumed by the next call
                throw;
            }
            catch (Exception)
            {
                message.Clear();
                ReturnMessageBuffer(message);
                throw;
            }
            if (r.Kind != ConnectionReceiveKind.MessageData)
            {
                message.Clear();
                ReturnMessageBuffer(message);
                return new ReceivedMessage(r.Kind, r.CloseCode, r.Kind == ConnectionReceiveKind.Close ? PeerCloseReason : null);
            }
            message.Advance(r.Count, r.MessageKind);
            if (message.Length > maxBytes)
            {
                message.Clear();
                ReturnMessageBuffer(message);
                return await FailMessageTooLargeAsync().ConfigureAwait(false)
                    ? new ReceivedMessage(ConnectionReceiveKind.ProtocolError, CloseCodes.MessageTooBig, null)
                    : new ReceivedMessage(ConnectionReceiveKind.Aborted, CloseCodes.AbnormalClosure, null);
            }
            if (r.EndOfMessage) return new ReceivedMessage(message, message.Token, message.Length, message.Kind);
        }
    }

    /// <summary>A released message gives its storage back for the next one (one spare is kept; more go to the GC).</summary>
    internal void ReturnMessageBuffer(MessageBuffer buffer) => Interlocked.CompareExchange(ref _spareMessageBuffer, buffer, null);

    /// <summary>
    /// A message went over the caller's limit: the connection is failed with 1009 exactly as for the engine's own limit
    /// (the receive's protocol-error path), holding the receive meanwhile. False when the connection had ended already.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FailMessageTooLargeAsync()
    {
        if (Interlocked.CompareExchange(ref _receiving, ApplicationReceive, 0) != 0) await TakeReceiveFromLivenessReadAsync().ConfigureAwait(false);
        try
        {
            if (_aborted || _inputCompleted) return false;
            lock (_protocolLock)
            {
                if (_disposed) return false;
                _protocol.FailReceive(ProtocolViolation.MessageTooLarge);
            }
            _hasLivenessResult = false;
            RecordViolation();
            StopTimer();
            await WriteControlFramesAsync(CancellationToken.None).ConfigureAwait(false);
            await FinishClosingAsync(fromReceive: true).ConfigureAwait(false);
            return true;
        }
        finally
        {
            Interlocked.Exchange(ref _receiving, 0);
            if (_inputCompleted) CompleteInput();
        }
    }

    /// <summary>
    /// Sends <paramref name="text"/> as one text message, encoded to UTF-8 into a pooled buffer (no intermediate array
    /// or string; nothing is allocated in steady state). Otherwise like <see cref="SendAsync(ReadOnlyMemory{byte}, MessageKind, bool, CancellationToken)"/>.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    /// <returns>
    /// <see cref="SendStatus.Done"/>, or why nothing was sent: <see cref="SendStatus.InvalidUtf16"/> when the text holds a
    /// lone surrogate (it is refused, never replaced with U+FFFD; the connection is untouched), or a status of <see cref="SendAsync(ReadOnlyMemory{byte}, MessageKind, bool, CancellationToken)"/>.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public ValueTask<SendStatus> SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SendTextAsync(text.AsMemory(), cancellationToken);
    }

    /// <summary>
    /// Sends <paramref name="text"/> as one text message, encoded to UTF-8 into a pooled buffer. See <see cref="SendTextAsync(string, CancellationToken)"/>.
    /// </summary>
    /// <param name="text">The text; read before the first await, so the caller may reuse its memory once the call returns.</param>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    /// <returns><see cref="SendStatus.Done"/>, <see cref="SendStatus.InvalidUtf16"/> for a lone surrogate, or a status of <see cref="SendAsync(ReadOnlyMemory{byte}, MessageKind, bool, CancellationToken)"/>.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public ValueTask<SendStatus> SendTextAsync(ReadOnlyMemory<char> text, CancellationToken cancellationToken = default)
    {
        if (text.IsEmpty) return SendAsync(ReadOnlyMemory<byte>.Empty, MessageKind.Text, true, cancellationToken);
        byte[] utf8 = ArrayPool<byte>.Shared.Rent(MaxUtf8Length(text.Span));
        OperationStatus status = Utf8.FromUtf16(text.Span, utf8, out _, out int written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            ArrayPool<byte>.Shared.Return(utf8);
            return ValueTask.FromResult(SendStatus.InvalidUtf16); // InvalidData: the only failure with room for every byte
        }
        return SendPooledAsync(utf8, written, MessageKind.Text, cancellationToken);
    }

    /// <summary>Room for the UTF-8 of <paramref name="text"/>: 3 bytes a char for short text, the exact count (one more pass) for long text.</summary>
    private static int MaxUtf8Length(ReadOnlySpan<char> text)
        => text.Length <= 16 * 1024 ? text.Length * 3 : Encoding.UTF8.GetByteCount(text); // a lone surrogate counts 3 bytes (U+FFFD) too

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SendStatus> SendPooledAsync(byte[] rented, int length, MessageKind type, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync(rented.AsMemory(0, length), type, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Closes the WebSocket with a reason given as a string (encoded to UTF-8); otherwise like
    /// <see cref="CloseAsync(ushort, ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// </summary>
    /// <param name="code">A code that may be sent (1000-1003, 1007-1014, 3000-4999).</param>
    /// <param name="reason">The reason, null or empty for none. Its UTF-8 must fit <see cref="ClosePayload.MaxReasonLength"/> (123) bytes.</param>
    /// <param name="cancellationToken">Bounds the wait for the peer's close; when it fires the connection is aborted.</param>
    /// <returns>
    /// As <see cref="CloseAsync(ushort, ReadOnlyMemory{byte}, CancellationToken)"/>, and, with nothing sent and the
    /// connection untouched: <see cref="SendStatus.PayloadTooLong"/> when the reason's UTF-8 is over 123 bytes (it is
    /// not truncated), <see cref="SendStatus.InvalidUtf16"/> when it holds a lone surrogate.
    /// </returns>
    /// <remarks>A literal <c>null</c> or <c>default</c> reason picks this overload (no reason, as with the byte overload).</remarks>
    [OverloadResolutionPriority(1)]
    public ValueTask<SendStatus> CloseAsync(ushort code, string? reason, CancellationToken cancellationToken = default)
        => CloseWithReasonAsync(code, reason, output: false, cancellationToken);

    /// <summary>
    /// Sends this endpoint's close frame with a reason given as a string (encoded to UTF-8); otherwise like
    /// <see cref="CloseOutputAsync(ushort, ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// </summary>
    /// <param name="code">A code that may be sent (1000-1003, 1007-1014, 3000-4999).</param>
    /// <param name="reason">The reason, null or empty for none. Its UTF-8 must fit <see cref="ClosePayload.MaxReasonLength"/> (123) bytes.</param>
    /// <param name="cancellationToken">Cancels the wait for the send lock or the flush.</param>
    /// <returns>
    /// As <see cref="CloseOutputAsync(ushort, ReadOnlyMemory{byte}, CancellationToken)"/>, and, with nothing sent:
    /// <see cref="SendStatus.PayloadTooLong"/> when the reason's UTF-8 is over 123 bytes, <see cref="SendStatus.InvalidUtf16"/>
    /// when it holds a lone surrogate.
    /// </returns>
    /// <remarks>A literal <c>null</c> or <c>default</c> reason picks this overload (no reason, as with the byte overload).</remarks>
    [OverloadResolutionPriority(1)]
    public ValueTask<SendStatus> CloseOutputAsync(ushort code, string? reason, CancellationToken cancellationToken = default)
        => CloseWithReasonAsync(code, reason, output: true, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SendStatus> CloseWithReasonAsync(ushort code, string? reason, bool output, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(reason))
        {
            return output ? await CloseOutputAsync(code, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false)
                : await CloseAsync(code, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        byte[] utf8 = ArrayPool<byte>.Shared.Rent(ClosePayload.MaxReasonLength);
        try
        {
            switch (Utf8.FromUtf16(reason, utf8.AsSpan(0, ClosePayload.MaxReasonLength), out _, out int written, replaceInvalidSequences: false))
            {
                case OperationStatus.Done:
                    ReadOnlyMemory<byte> bytes = utf8.AsMemory(0, written);
                    return output ? await CloseOutputAsync(code, bytes, cancellationToken).ConfigureAwait(false)
                        : await CloseAsync(code, bytes, cancellationToken).ConfigureAwait(false);
                case OperationStatus.DestinationTooSmall:
                    return SendStatus.PayloadTooLong;
                default:
                    return SendStatus.InvalidUtf16;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }
}
