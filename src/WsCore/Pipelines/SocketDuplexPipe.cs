using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace WsCore.Pipelines;

/// <summary>
/// An <see cref="IDuplexPipe"/> over a connected <see cref="Socket"/>: one loop moves received bytes into
/// <see cref="Input"/>, another sends what is written to <see cref="Output"/>. Both pipes are bounded by their
/// <see cref="PipeOptions"/> pause thresholds, so neither a fast peer nor a peer that stops reading grows memory
/// without bound. Completing <see cref="Output"/> closes the connection gracefully: everything written is sent, the
/// sending side is shut down (FIN), and bytes the peer still sends are read and discarded until it closes too or the
/// linger timeout passes. Closing a socket with unread input would make the kernel reset the connection, and a reset
/// can destroy data the peer has not read yet, such as the close frame that was just sent.
/// </summary>
public sealed class SocketDuplexPipe : IWebSocketTransport, IAsyncDisposable
{
    private const int MinimumReceiveSize = 4096;
    private const int MaxGatherSegments = 64;

    private readonly Socket _socket;
    private readonly Pipe _inputPipe;
    private readonly Pipe _outputPipe;
    private readonly Task _receiving;
    private readonly Task _sending;
    private readonly TimeSpan _lingerTimeout;
    private int _closed;
    private Sender? _sender;

    /// <summary>Starts moving bytes between the socket and the pipes.</summary>
    /// <param name="socket">A connected stream socket; this object owns it from now on.</param>
    /// <param name="inputOptions">Options of the receive pipe (pause threshold bounds the bytes read ahead). Default:
    /// <see cref="PipeOptions.Default"/> (continuations on the thread pool).</param>
    /// <param name="outputOptions">Options of the send pipe (pause threshold is the send backpressure point). Default as
    /// for the input.</param>
    /// <param name="lingerTimeout">How long, after the output is complete, to wait for the peer to close its side; default 2 s.</param>
    public SocketDuplexPipe(Socket socket, PipeOptions? inputOptions = null, PipeOptions? outputOptions = null, TimeSpan? lingerTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _lingerTimeout = lingerTimeout ?? TimeSpan.FromSeconds(2);
        _socket.NoDelay = true;
        // PipeOptions.Default resumes readers and writers on the thread pool (without allocating). Measured on the
        // loopback echo: inline schedulers were slower for 16 KiB messages (the receive loop waits while the
        // application sends), a per-connection serial scheduler slower for small ones.
        _inputPipe = new Pipe(inputOptions ?? PipeOptions.Default);
        _outputPipe = new Pipe(outputOptions ?? PipeOptions.Default);
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    /// <summary>Bytes received from the peer.</summary>
    public PipeReader Input => _inputPipe.Reader;

    /// <summary>Bytes to send to the peer; complete it to close the connection.</summary>
    public PipeWriter Output => _outputPipe.Writer;

    /// <summary>The socket.</summary>
    public Socket Socket => _socket;

    /// <summary>Completes when both loops have ended and the socket is closed.</summary>
    public Task Completion => Task.WhenAll(_receiving, _sending);

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        PipeWriter writer = _inputPipe.Writer;
        Exception? error = null;
        try
        {
            bool waitForData = true;
            int emptyWakeups = 0;
            while (true)
            {
                if (waitForData)
                {
                    // Hold no buffer while the peer is silent (an idle connection): wait for bytes with a zero-byte
                    // receive, and only then take a buffer from the pipe (Kestrel's WaitForDataBeforeAllocatingBuffer).
                    // The pipe returns its segments to the pool once the reader has consumed everything, so an idle
                    // connection holds no receive memory at all.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    // The zero-byte receive also completes without data: at the end of the stream, and (seen on Linux,
                    // .NET 10, right after a burst of reads) on a stale readiness event. Wait once more before taking a
                    // buffer; a second wake-up without data in a row is the end of the stream (or an error), which the
                    // receive below reports.
                    if (_socket.Available == 0 && ++emptyWakeups < 2) continue;
                    emptyWakeups = 0;
                }
                Memory<byte> memory = writer.GetMemory(MinimumReceiveSize);
                int received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0) break;
                writer.Advance(received);
                // A receive that did not fill the buffer has drained the socket: wait for data before taking the next
                // buffer. One that filled it probably left more in the kernel (asked, to be sure: otherwise a silence
                // right after a full buffer would hold the next one while idle).
                waitForData = received < memory.Length || _socket.Available == 0;
                FlushResult flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    await DrainAsync().ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (Exception e) { error = e; }
        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendLoopAsync()
    {
        await Task.Yield();
        PipeReader reader = _outputPipe.Reader;
        try
        {
            while (true)
            {
                ReadResult read = await reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                while (!buffer.IsEmpty)
                {
                    // One reusable send operation that lets go of the pipe's buffers when it completes (the socket's
                    // own SendAsync(Memory) keeps the last buffer referenced, which keeps a 4 KiB block alive per idle
                    // connection once the pipe has returned it). Several segments (a large message, or several small
                    // ones written before one flush): one gathering send instead of one system call per segment.
                    _sender ??= new Sender();
                    int sent = buffer.IsSingleSegment
                        ? await _sender.SendAsync(_socket, buffer.First).ConfigureAwait(false)
                        : await _sender.SendAsync(_socket, buffer).ConfigureAwait(false);
                    buffer = buffer.Slice(sent);
                }
                reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled) break;
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (Exception)
        {
            // The writer was completed with an error (an abort): close at once instead of a graceful FIN.
            await reader.CompleteAsync().ConfigureAwait(false);
            Close();
            return;
        }
        await reader.CompleteAsync().ConfigureAwait(false);
        try { _socket.Shutdown(SocketShutdown.Send); } catch (SocketException) { } catch (ObjectDisposedException) { }
        await Task.WhenAny(_receiving ?? Task.CompletedTask, Task.Delay(_lingerTimeout)).ConfigureAwait(false);
        Close();
    }

    /// <summary>The reader is gone: read and discard until the peer closes (or the socket is closed by the linger timeout).</summary>
    private async Task DrainAsync()
    {
        byte[] scratch = new byte[1024];
        while (await _socket.ReceiveAsync(scratch, SocketFlags.None).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>True: completing <see cref="Output"/> sends what was written, shuts down sending and discards input until the peer closes or the linger timeout passes.</summary>
    public bool DrainsInputOnClose => true;

    /// <summary>Closes the socket at once (an aborted WebSocket): unsent output is dropped, both loops end. Never throws.</summary>
    public void Abort()
    {
        Close();
        try { _outputPipe.Reader.CancelPendingRead(); } catch (Exception) { }
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Dispose();
    }

    /// <summary>Closes the socket at once and waits for both loops to end.</summary>
    public async ValueTask DisposeAsync()
    {
        Close();
        _outputPipe.Reader.CancelPendingRead();
        try { await Completion.ConfigureAwait(false); } catch (Exception) { }
    }

    /// <summary>
    /// One reusable send (one buffer, or a gathering sendmsg of several) whose completion is awaited without allocating,
    /// and which drops its references to the sent buffers as it completes: the pipe returns them to the pool, and an idle
    /// connection must not keep them alive. Segments that are not arrays (custom memory pools) are sent one at a time.
    /// </summary>
    private sealed class Sender : SocketAsyncEventArgs, IValueTaskSource<int>
    {
        private List<ArraySegment<byte>>? _segments;
        private ManualResetValueTaskSourceCore<int> _source;

        public Sender() : base(unsafeSuppressExecutionContextFlow: true)
        {
            _source.RunContinuationsAsynchronously = false;
        }

        /// <summary>Sends <paramref name="memory"/> (or its first part); returns the bytes sent.</summary>
        public ValueTask<int> SendAsync(Socket socket, ReadOnlyMemory<byte> memory)
        {
            SetBuffer(MemoryMarshal.AsMemory(memory));
            return Start(socket);
        }

        /// <summary>Sends the first segments of <paramref name="buffer"/> (up to 64) in one call; returns the bytes sent.</summary>
        public ValueTask<int> SendAsync(Socket socket, in ReadOnlySequence<byte> buffer)
        {
            List<ArraySegment<byte>> segments = _segments ??= new List<ArraySegment<byte>>();
            foreach (ReadOnlyMemory<byte> memory in buffer)
            {
                if (memory.IsEmpty) continue;
                if (!MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment))
                {
                    if (segments.Count == 0) return SendAsync(socket, memory);
                    break;
                }
                segments.Add(segment);
                if (segments.Count == MaxGatherSegments) break;
            }
            BufferList = segments;
            return Start(socket);
        }

        private ValueTask<int> Start(Socket socket)
        {
            _source.Reset();
            if (!socket.SendAsync(this)) OnCompleted(this);
            return new ValueTask<int>(this, _source.Version);
        }

        protected override void OnCompleted(SocketAsyncEventArgs e)
        {
            SocketError error = e.SocketError;
            int sent = e.BytesTransferred;
            // Let go of the buffers before the continuation runs (it returns them to the pool).
            BufferList = null;
            SetBuffer(Memory<byte>.Empty);
            _segments?.Clear();
            if (error == SocketError.Success) _source.SetResult(sent);
            else _source.SetException(new SocketException((int)error));
        }

        public int GetResult(short token) => _source.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _source.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _source.OnCompleted(continuation, state, token, flags);
    }
}
