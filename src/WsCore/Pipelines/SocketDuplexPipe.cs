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
public sealed class SocketDuplexPipe : IDuplexPipe, IAsyncDisposable
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
    private GatherSender? _gatherSender;

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
            while (true)
            {
                Memory<byte> memory = writer.GetMemory(MinimumReceiveSize);
                int received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0) break;
                writer.Advance(received);
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
                    int sent;
                    if (buffer.IsSingleSegment)
                    {
                        sent = await _socket.SendAsync(buffer.First, SocketFlags.None).ConfigureAwait(false);
                    }
                    else
                    {
                        // Several segments (a large message, or several small ones written before one flush): one
                        // gathering send instead of one system call per segment.
                        _gatherSender ??= new GatherSender();
                        sent = await _gatherSender.SendAsync(_socket, buffer).ConfigureAwait(false);
                    }
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

    /// <summary>Closes the socket at once (an aborted WebSocket): unsent output is dropped, both loops end.</summary>
    internal void Abort()
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
    /// One reusable gathering send (sendmsg with several buffers) whose completion is awaited without allocating.
    /// Segments that are not arrays (custom memory pools) are sent one at a time instead.
    /// </summary>
    private sealed class GatherSender : SocketAsyncEventArgs, IValueTaskSource<int>
    {
        private readonly List<ArraySegment<byte>> _segments = new(MaxGatherSegments);
        private ManualResetValueTaskSourceCore<int> _source;

        public GatherSender() : base(unsafeSuppressExecutionContextFlow: true)
        {
            _source.RunContinuationsAsynchronously = false;
        }

        /// <summary>Sends the first segments of <paramref name="buffer"/> (up to 64) in one call; returns the bytes sent.</summary>
        public ValueTask<int> SendAsync(Socket socket, in ReadOnlySequence<byte> buffer)
        {
            _segments.Clear();
            foreach (ReadOnlyMemory<byte> memory in buffer)
            {
                if (memory.IsEmpty) continue;
                if (!MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment))
                {
                    if (_segments.Count == 0) return socket.SendAsync(memory, SocketFlags.None);
                    break;
                }
                _segments.Add(segment);
                if (_segments.Count == MaxGatherSegments) break;
            }
            BufferList = _segments;
            _source.Reset();
            if (!socket.SendAsync(this)) OnCompleted(this);
            return new ValueTask<int>(this, _source.Version);
        }

        protected override void OnCompleted(SocketAsyncEventArgs e)
        {
            if (e.SocketError == SocketError.Success) _source.SetResult(e.BytesTransferred);
            else _source.SetException(new SocketException((int)e.SocketError));
        }

        public int GetResult(short token)
        {
            try
            {
                return _source.GetResult(token);
            }
            finally
            {
                BufferList = null; // do not keep the pipe's arrays reachable between sends
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _source.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _source.OnCompleted(continuation, state, token, flags);
    }
}
