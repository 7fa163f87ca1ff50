using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using WsCore.Closing;
using WsCore.Diagnostics;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Pipelines;

public sealed partial class WebSocketConnection
{
    // ---- Receiving ----

    /// <summary>
    /// Receives the next piece of message data into <paramref name="buffer"/>, answering pings and the peer's close
    /// on the way. Only one receive may be in progress at a time.
    /// </summary>
    /// <param name="buffer">
    /// Where message bytes are written. When empty, the call waits for a data frame's payload and returns a result with
    /// <see cref="ConnectionReceiveResult.Count"/> 0 without consuming it (a zero-byte read).
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for data.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ConnectionReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _receiving, 1) != 0) throw new InvalidOperationException("A receive is already in progress.");
        try
        {
            while (true)
            {
                if (_aborted || _inputCompleted) return Aborted();
                if (_protocol.HasPendingReceiveData)
                {
                    // The engine still holds received bytes (inflated output that did not fit the last buffer): drain
                    // them before waiting for the transport, which may have nothing more to say.
                    ReceiveStatus pendingStatus;
                    ReceiveResult pendingResult;
                    lock (_protocolLock)
                    {
                        if (_disposed) return Aborted();
                        pendingStatus = _protocol.Receive(default, buffer.Span, out pendingResult);
                    }
                    if (pendingStatus == ReceiveStatus.MessageData)
                    {
                        RecordData(pendingResult.BytesWritten, pendingResult.MessageType, pendingResult.EndOfMessage, received: true);
                        return new ConnectionReceiveResult(ConnectionReceiveKind.MessageData, pendingResult.BytesWritten, pendingResult.MessageType, pendingResult.EndOfMessage, 0);
                    }
                    if (pendingStatus == ReceiveStatus.ProtocolError)
                    {
                        RecordViolation();
                        StopTimer();
                        await WriteControlFramesAsync(cancellationToken).ConfigureAwait(false);
                        await FinishClosingAsync(fromReceive: true).ConfigureAwait(false);
                        return new ConnectionReceiveResult(ConnectionReceiveKind.ProtocolError, 0, default, true, ProtocolViolations.GetCloseCode(_protocol.Violation));
                    }
                }
                ReadResult read;
                try
                {
                    read = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    return InputFailed();
                }
                if (_aborted)
                {
                    _input.AdvanceTo(read.Buffer.Start);
                    return Aborted();
                }
                ReadOnlySequence<byte> sequence = read.Buffer;
                ReceiveStatus status;
                ReceiveResult result;
                long consumed;
                TaskCompletionSource<TimeSpan?>? pongWaiter = null;
                TimeSpan roundTrip = default;
                lock (_protocolLock)
                {
                    if (_disposed)
                    {
                        _input.AdvanceTo(sequence.Start);
                        return Aborted();
                    }
                    if (_keepAliveEnabled && !sequence.IsEmpty) _keepAlive.OnFrameReceived(Now);
                    status = Process(sequence, buffer.Span, out consumed, out result);
                    if (status == ReceiveStatus.Pong) pongWaiter = OnPongLocked(out roundTrip);
                }
                if (status == ReceiveStatus.NeedMoreData)
                {
                    _input.AdvanceTo(sequence.End);
                    if (read.IsCompleted || read.IsCanceled)
                    {
                        return InputFailed();
                    }
                    continue;
                }
                _input.AdvanceTo(sequence.GetPosition(consumed));

                switch (status)
                {
                    case ReceiveStatus.MessageData:
                        RecordData(result.BytesWritten, result.MessageType, result.EndOfMessage, received: true);
                        return new ConnectionReceiveResult(ConnectionReceiveKind.MessageData, result.BytesWritten, result.MessageType, result.EndOfMessage, 0);
                    case ReceiveStatus.Ping:
                        await WriteControlFramesAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                    case ReceiveStatus.Pong:
                        pongWaiter?.TrySetResult(roundTrip);
                        pongWaiter = null;
                        continue;
                    case ReceiveStatus.Close:
                        WsCoreMetrics.ClosesReceived.Add(1, _roleTag, WsCoreMetrics.CloseCode(_protocol.PeerCloseCode));
                        if (_protocol.IsCloseSent || _protocol.HasPendingOutput) RecordCloseSent(_protocol.PeerCloseCode); // the auto-reply echoes the code
                        await WriteControlFramesAsync(cancellationToken).ConfigureAwait(false);
                        if (_protocol.State == WebSocketState.Closed)
                        {
                            StopTimer();
                            await FinishClosingAsync(fromReceive: true).ConfigureAwait(false);
                        }
                        return new ConnectionReceiveResult(ConnectionReceiveKind.Close, 0, default, true, _protocol.PeerCloseCode);
                    default: // ProtocolError
                        RecordViolation();
                        StopTimer();
                        await WriteControlFramesAsync(cancellationToken).ConfigureAwait(false);
                        await FinishClosingAsync(fromReceive: true).ConfigureAwait(false);
                        return new ConnectionReceiveResult(ConnectionReceiveKind.ProtocolError, 0, default, true, ProtocolViolations.GetCloseCode(_protocol.Violation));
                }
            }
        }
        finally
        {
            Interlocked.Exchange(ref _receiving, 0);
            if (_inputCompleted) CompleteInput();
        }
    }

    private ReceiveStatus Process(in ReadOnlySequence<byte> sequence, Span<byte> destination, out long consumed, out ReceiveResult result)
    {
        consumed = 0;
        result = default;
        foreach (ReadOnlyMemory<byte> segment in sequence)
        {
            ReceiveStatus status = _protocol.Receive(segment.Span, destination, out result);
            consumed += result.BytesConsumed;
            if (status != ReceiveStatus.NeedMoreData) return status;
            // NeedMoreData always consumes the whole span.
        }
        return ReceiveStatus.NeedMoreData;
    }

    /// <summary>
    /// The transport's input failed or ended without a closing handshake: the connection is dead both ways (1006), so it
    /// is aborted (the output completed, timers stopped, <see cref="IsAborted"/> set) instead of leaving the output open
    /// for sends that no peer will read.
    /// </summary>
    private ConnectionReceiveResult InputFailed()
    {
        Abort();
        return Aborted();
    }

    private static ConnectionReceiveResult Aborted()
    {
        return new ConnectionReceiveResult(ConnectionReceiveKind.Aborted, 0, default, true, CloseCodes.AbnormalClosure);
    }

    /// <summary>A protocol violation failed the connection: counted, and so is the close frame the engine sends for it.</summary>
    private void RecordViolation()
    {
        ProtocolViolation violation = _protocol.Violation;
        WsCoreMetrics.Violations.Add(1, _roleTag, WsCoreMetrics.Violation(violation));
        RecordCloseSent(ProtocolViolations.GetCloseCode(violation));
    }
}
