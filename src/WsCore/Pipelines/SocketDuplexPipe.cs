using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace WsCore.Pipelines;

/// <summary>
/// An <see cref="IDuplexPipe"/> over a connected <see cref="Socket"/>, with no pipe and no loop in between:
/// <see cref="Input"/> receives when its reader asks for data (on the reader's own await: a zero-byte receive first, so
/// an idle connection holds no buffer, then one receive into a pooled block), and <see cref="Output"/> sends what was
/// written when it is flushed (one gathering send of the pooled blocks; the flush completes when the kernel has taken
/// every byte, so a peer that stops reading stops the writer at the socket's buffer). Memory is bounded both ways: the
/// input holds what its reader has not consumed (at most the input options' pause threshold), the output what the kernel
/// has not taken yet. Blocks go back to the pool as soon as they are consumed or sent, and an idle connection holds no
/// block and no send operation.
/// Completing <see cref="Output"/> closes the connection gracefully: everything written is sent, the sending side is
/// shut down (FIN), and bytes the peer still sends are read and discarded (once the input is completed too) until it
/// closes or the linger timeout passes. Closing a socket with unread input would make the kernel reset the connection,
/// and a reset can destroy data the peer has not read yet, such as the close frame that was just sent.
/// </summary>
/// <remarks>
/// Continuations run where the socket completes: a read or flush that can complete at once completes synchronously; one
/// that has to wait resumes its caller on the thread pool thread of the socket's completion (the options' schedulers are
/// not used). Of the options, the pool and the minimum segment size are used for both sides, and the input's pause
/// threshold bounds the bytes its reader may leave unconsumed (a read past it fails); the output has no threshold of its
/// own: the socket's send buffer is its bound.
/// </remarks>
public sealed class SocketDuplexPipe : IWebSocketTransport, IAsyncDisposable
{
    private const int DefaultBlockSize = 4096;

    private readonly Socket _socket;
    private readonly SocketPipeReader _reader;
    private readonly SocketPipeWriter _writer;
    private readonly TimeSpan _lingerTimeout;
    private int _closed;
    private int _inputEnded;
    private int _outputDone;
    private Timer? _linger;
    private TaskCompletionSource? _completion;
    private int _finished;

    /// <summary>Wraps a connected socket.</summary>
    /// <param name="socket">A connected stream socket; this object owns it from now on.</param>
    /// <param name="inputOptions">Options of the input: its pool and minimum block size, and its pause threshold (the most
    /// bytes the reader may leave unconsumed). Default: <see cref="PipeOptions.Default"/> (4 KiB blocks from the shared
    /// array pool, 64 KiB).</param>
    /// <param name="outputOptions">Options of the output: its pool and minimum block size. Default as for the input.</param>
    /// <param name="lingerTimeout">How long, after the output is complete, to wait for the peer to close its side; default 2 s.</param>
    public SocketDuplexPipe(Socket socket, PipeOptions? inputOptions = null, PipeOptions? outputOptions = null, TimeSpan? lingerTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _lingerTimeout = lingerTimeout ?? TimeSpan.FromSeconds(2);
        _socket.NoDelay = true;
        // The input takes received bytes with a non-blocking receive once a zero-byte receive has said they are there
        // (which it can say wrongly): a receive that would wait must return at once instead.
        _socket.Blocking = false;
        PipeOptions input = inputOptions ?? PipeOptions.Default;
        PipeOptions output = outputOptions ?? PipeOptions.Default;
        _reader = new SocketPipeReader(this, socket, PoolOf(input), BlockSizeOf(input), input.PauseWriterThreshold);
        _writer = new SocketPipeWriter(this, socket, PoolOf(output), BlockSizeOf(output));
    }

    /// <summary>The shared pool is used through <see cref="ArrayPool{T}.Shared"/> directly (as <see cref="Pipe"/> does): no owner object per block.</summary>
    private static MemoryPool<byte>? PoolOf(PipeOptions options) => ReferenceEquals(options.Pool, MemoryPool<byte>.Shared) ? null : options.Pool;

    private static int BlockSizeOf(PipeOptions options) => options.MinimumSegmentSize > 0 ? options.MinimumSegmentSize : DefaultBlockSize;

    /// <summary>Bytes received from the peer.</summary>
    public PipeReader Input => _reader;

    /// <summary>Bytes to send to the peer; complete it to close the connection.</summary>
    public PipeWriter Output => _writer;

    /// <summary>The socket.</summary>
    public Socket Socket => _socket;

    /// <summary>Completes when the socket is closed and no receive or send is in flight any more.</summary>
    public Task Completion
    {
        get
        {
            TaskCompletionSource? completion = Volatile.Read(ref _completion);
            if (completion is null)
            {
                completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                completion = Interlocked.CompareExchange(ref _completion, completion, null) ?? completion;
                TryFinish();
            }
            return completion.Task;
        }
    }

    /// <summary>The writer was completed and everything sent, or a send failed: FIN, then close once the input has ended or the linger timeout passed.</summary>
    internal void OnOutputDone()
    {
        if (Interlocked.Exchange(ref _outputDone, 1) != 0) return;
        if (Volatile.Read(ref _closed) != 0)
        {
            TryFinish();
            return;
        }
        try { _socket.Shutdown(SocketShutdown.Send); } catch (SocketException) { } catch (ObjectDisposedException) { }
        if (Volatile.Read(ref _inputEnded) != 0)
        {
            Close();
            return;
        }
        _reader.WatchForEnd();
        if (Volatile.Read(ref _closed) != 0) return;
        var linger = new Timer(static state => ((SocketDuplexPipe)state!).Close(), this, Timeout.Infinite, Timeout.Infinite);
        Volatile.Write(ref _linger, linger);
        linger.Change(_lingerTimeout, Timeout.InfiniteTimeSpan);
        // The input may have ended meanwhile (or the socket been closed): then nobody else closes, or disposes the timer.
        if (Volatile.Read(ref _inputEnded) != 0 || Volatile.Read(ref _closed) != 0) Close();
    }

    /// <summary>The peer closed its side, or the socket failed: close now if the output is done too.</summary>
    internal void OnInputEnded()
    {
        Interlocked.Exchange(ref _inputEnded, 1);
        if (Volatile.Read(ref _outputDone) != 0) Close();
        else TryFinish();
    }

    /// <summary>The reader was completed; it drains until the input ends.</summary>
    internal void OnInputCompleted()
    {
    }

    /// <summary>The writer has no send in flight any more.</summary>
    internal void OnWriterIdle()
    {
        if (Volatile.Read(ref _closed) != 0) TryFinish();
    }

    /// <summary>Closes the socket at once (an aborted WebSocket): unsent output is dropped, pending reads end.</summary>
    /// <summary>True: completing <see cref="Output"/> sends what was written, shuts down sending and discards input until the peer closes or the linger timeout passes.</summary>
    public bool DrainsInputOnClose => true;

    /// <summary>Closes the socket at once (an aborted WebSocket): unsent output is dropped, pending reads and flushes end. Never throws.</summary>
    public void Abort() => Close();

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            // Closed already; a linger timer set up meanwhile is disposed here, and the caller's side may be the last
            // one to go idle.
            Interlocked.Exchange(ref _linger, null)?.Dispose();
            TryFinish();
            return;
        }
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        try { _socket.Dispose(); } catch (Exception) { }
        Interlocked.Exchange(ref _linger, null)?.Dispose();
        TryFinish();
    }

    /// <summary>Completes <see cref="Completion"/> once the socket is closed and neither side has an operation in flight.</summary>
    private void TryFinish()
    {
        if (Volatile.Read(ref _closed) == 0 || _reader.IsReceiving || _writer.IsSending) return;
        TaskCompletionSource? completion = Volatile.Read(ref _completion);
        if (completion is null) return; // created (and finished) by the first read of Completion
        if (Interlocked.Exchange(ref _finished, 1) == 0) completion.TrySetResult();
    }

    /// <summary>Closes the socket at once and waits until no receive or send is in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        Close();
        try { await Completion.ConfigureAwait(false); } catch (Exception) { }
    }
}
