using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;

namespace WsCore.Pipelines;

/// <summary>
/// An <see cref="IWebSocketTransport"/> over a connected stream, for TLS (an authenticated <see cref="SslStream"/> over
/// the socket's <see cref="NetworkStream"/>): the stream's <see cref="PipeReader"/> (zero-byte reads first, so an idle
/// connection holds no buffer) and <see cref="PipeWriter"/>, with the ending a WebSocket needs. Completing the output
/// ends the sending side gracefully: TLS close_notify, then FIN. Once both sides are complete the stream (and the
/// socket) are disposed; <see cref="Abort"/> closes the socket at once, ending pending reads and flushes.
/// </summary>
/// <remarks>
/// The reader and writer are thin wrappers that only learn of completion; every other call goes straight to the
/// stream's own reader and writer, so the data path costs nothing extra.
/// </remarks>
internal sealed class StreamTransport : IWebSocketTransport, IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly Socket? _socket;
    private readonly TimeSpan _shutdownTimeout;
    private readonly NotifyingReader _reader;
    private readonly NotifyingWriter _writer;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private bool _inputDone;
    private bool _outputDone;
    private Task? _shutdown;
    private int _closed;

    /// <summary>Wraps a connected stream.</summary>
    /// <param name="stream">A readable and writable stream (an authenticated <see cref="SslStream"/>); this object owns it.</param>
    /// <param name="socket">The socket under it (shut down for FIN and closed by <see cref="Abort"/>), or null.</param>
    /// <param name="shutdownTimeout">How long the graceful end of the output (close_notify) may take; default 2 s.</param>
    internal StreamTransport(Stream stream, Socket? socket, TimeSpan? shutdownTimeout = null)
    {
        _stream = stream;
        _socket = socket;
        _shutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(2);
        if (socket is not null) socket.NoDelay = true;
        _reader = new NotifyingReader(this, PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true, useZeroByteReads: true)));
        _writer = new NotifyingWriter(this, PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
    }

    /// <summary>Bytes from the peer.</summary>
    public PipeReader Input => _reader;

    /// <summary>Bytes to the peer; complete it to end the sending side (close_notify, FIN).</summary>
    public PipeWriter Output => _writer;

    /// <summary>False: the connection drains input itself after a failure.</summary>
    public bool DrainsInputOnClose => false;

    /// <summary>Completes once the stream is disposed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Closes the socket and the stream at once. Never throws.</summary>
    public void Abort() => Close();

    /// <summary>Closes at once and waits for nothing else.</summary>
    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    private void OnInputCompleted()
    {
        lock (_lock)
        {
            if (_inputDone) return;
            _inputDone = true;
        }
        CloseIfDone();
    }

    private void OnOutputCompleted(Exception? error)
    {
        lock (_lock)
        {
            if (_outputDone) return;
            _outputDone = true;
            if (error is null && Volatile.Read(ref _closed) == 0) _shutdown = ShutdownOutputAsync();
        }
        CloseIfDone();
    }

    /// <summary>close_notify (bounded in time: a peer that reads nothing cannot hold it), then FIN; never throws.</summary>
    private async Task ShutdownOutputAsync()
    {
        await Task.Yield(); // Complete() returns at once; the shutdown goes on on the thread pool
        try
        {
            if (_stream is SslStream ssl) await Quietly(ssl.ShutdownAsync()).WaitAsync(_shutdownTimeout).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Timed out: Close (below, or an Abort) disposes the socket, which ends the write; Quietly observes it.
        }
        try { _socket?.Shutdown(SocketShutdown.Send); } catch (Exception) { }
        lock (_lock) _shutdown = null;
        CloseIfDone();
    }

    private static async Task Quietly(Task task)
    {
        try { await task.ConfigureAwait(false); } catch (Exception) { }
    }

    private void CloseIfDone()
    {
        lock (_lock)
        {
            if (!_inputDone || !_outputDone || _shutdown is not null) return;
        }
        Close();
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        // The socket first: a read or write in flight on another thread ends with an error instead of racing the dispose.
        try { _socket?.Dispose(); } catch (Exception) { }
        try { _stream.Dispose(); } catch (Exception) { }
        _completion.TrySetResult();
    }

    /// <summary>The stream's reader, telling the transport when it is completed.</summary>
    private sealed class NotifyingReader(StreamTransport owner, PipeReader inner) : PipeReader
    {
        private int _completed;

        public override bool TryRead(out ReadResult result) => inner.TryRead(out result);

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => inner.ReadAsync(cancellationToken);

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0) return;
            try { inner.Complete(exception); } catch (Exception) { }
            owner.OnInputCompleted();
        }
    }

    /// <summary>The stream's writer, telling the transport when it is completed.</summary>
    private sealed class NotifyingWriter(StreamTransport owner, PipeWriter inner) : PipeWriter
    {
        private int _completed;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Complete(Exception? exception = null)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0) return;
            // A writer completed without an error writes what it still holds (synchronously); one completed with an error drops it.
            try { inner.Complete(exception); } catch (Exception e) { exception ??= e; }
            owner.OnOutputCompleted(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0) return;
            try { await inner.CompleteAsync(exception).ConfigureAwait(false); } catch (Exception e) { exception ??= e; }
            owner.OnOutputCompleted(exception);
        }
    }
}
