using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace WsCore.Pipelines;

/// <summary>
/// The input of <see cref="SocketDuplexPipe"/>: a <see cref="PipeReader"/> straight over the socket, with no pipe and no
/// receive loop. A read that finds nothing new receives on its caller's behalf: first a zero-byte receive (an idle
/// connection waits holding no buffer), then one non-blocking receive into a fresh pooled block, sized from the previous
/// burst (4 KiB up to 64 KiB). When the bytes are already there the read completes synchronously; otherwise the
/// zero-byte receive's completion, on the thread pool, takes them and runs the reader's continuation right there: one
/// thread hop per message instead of a receive loop's hop plus a pipe's. Blocks go back to the pool as
/// soon as <see cref="AdvanceTo(SequencePosition, SequencePosition)"/> consumes them.
/// </summary>
/// <remarks>
/// Who touches what: every field below is guarded by the lock on this object, except those the receive operation owns
/// while <c>_op</c> is not <see cref="Op.None"/> (the one pump running: <c>_burst</c>, <c>_lastBurst</c>, <c>_grow</c>,
/// <c>_needsData</c>). The block a receive writes into is private to the pump until the receive has completed and links
/// it behind the buffered bytes, so consuming never races with receiving. Waiters
/// are completed outside the lock. A socket error or the peer's FIN ends the input (<see cref="ReadResult.IsCompleted"/>),
/// as a pipe whose writer completed would.
/// </remarks>
internal sealed class SocketPipeReader : PipeReader, IValueTaskSource<ReadResult>
{
    private const int MaxReceiveSize = 64 * 1024;
    /// <summary>Where the drain after <see cref="Complete"/> puts the bytes it throws away (its contents are never read).</summary>
    private static readonly byte[] s_discard = new byte[16 * 1024];

    private enum Op : byte
    {
        None,
        /// <summary>The pump runs (between operations).</summary>
        Running,
        /// <summary>A zero-byte receive waits for data.</summary>
        WaitForData,
    }

    private readonly SocketDuplexPipe _pipe;
    private readonly Socket _socket;
    private readonly Receiver _receiver;
    private readonly MemoryPool<byte>? _pool;
    private readonly int _blockSize;
    private readonly long _limit;

    // Buffered bytes: _head (from _headIndex) .. _tail (to its End); positions are absolute stream offsets.
    private SocketBlock? _head;
    private int _headIndex;
    private SocketBlock? _tail;
    private long _received;
    private long _consumed;
    private long _examined;
    private bool _ended;
    private bool _completed;
    private bool _cancelNext;
    private Op _op;

    private bool _waiting;
    private CancellationToken _waitToken;
    private CancellationTokenRegistration _registration;
    private ManualResetValueTaskSourceCore<ReadResult> _source;

    // The pump's own (see remarks).
    private bool _needsData = true;
    private int _grow;
    private int _burst;
    private int _lastBurst;

    public SocketPipeReader(SocketDuplexPipe pipe, Socket socket, MemoryPool<byte>? pool, int blockSize, long limit)
    {
        _pipe = pipe;
        _socket = socket;
        _pool = pool;
        _blockSize = blockSize;
        _limit = limit;
        _receiver = new Receiver(this);
    }

    /// <summary>True while a receive is in flight or the pump runs.</summary>
    internal bool IsReceiving
    {
        get { lock (this) return _op != Op.None; }
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<ReadResult>(cancellationToken);
        bool pump;
        short version;
        lock (this)
        {
            ThrowIfCompleted();
            if (_waiting) throw new InvalidOperationException("A read is already in progress.");
            if (_cancelNext)
            {
                _cancelNext = false;
                return new ValueTask<ReadResult>(ResultLocked(canceled: true));
            }
            if (_received > _examined || _ended) return new ValueTask<ReadResult>(ResultLocked(canceled: false));
            if (_limit > 0 && _received - _consumed >= _limit)
            {
                return ValueTask.FromException<ReadResult>(new InvalidOperationException(
                    $"The reader examined all {_received - _consumed} buffered bytes without consuming them; the input holds at most {_limit}."));
            }
            _waiting = true;
            _source.Reset();
            version = _source.Version;
            pump = _op == Op.None;
            if (pump) _op = Op.Running;
        }
        if (pump && Pump())
        {
            // Data (or the end) came at once: answer without going through the source, unless a cancel took the waiter.
            lock (this)
            {
                if (_waiting)
                {
                    _waiting = false;
                    return new ValueTask<ReadResult>(ResultLocked(canceled: false));
                }
            }
            return new ValueTask<ReadResult>(this, version);
        }
        if (!cancellationToken.CanBeCanceled) return new ValueTask<ReadResult>(this, version);
        lock (this)
        {
            if (!_waiting) return new ValueTask<ReadResult>(this, version);
            _waitToken = cancellationToken;
        }
        CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(static (state, token) => ((SocketPipeReader)state!).OnTokenCanceled(token), this);
        lock (this)
        {
            if (_waiting)
            {
                _registration = registration;
                return new ValueTask<ReadResult>(this, version);
            }
        }
        registration.Unregister();
        return new ValueTask<ReadResult>(this, version);
    }

    public override bool TryRead(out ReadResult result)
    {
        lock (this)
        {
            ThrowIfCompleted();
            if (_cancelNext)
            {
                _cancelNext = false;
                result = ResultLocked(canceled: true);
                return true;
            }
            if (_received > _examined || _ended)
            {
                result = ResultLocked(canceled: false);
                return true;
            }
        }
        result = default;
        return false;
    }

    private void ThrowIfCompleted()
    {
        if (_completed) throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
    }

    private ReadResult ResultLocked(bool canceled)
    {
        ReadOnlySequence<byte> buffer = _head is null ? default : new ReadOnlySequence<byte>(_head, _headIndex, _tail!, _tail!.End);
        return new ReadResult(buffer, canceled, _ended);
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        lock (this)
        {
            ThrowIfCompleted();
            long c = Absolute(consumed, _consumed);
            long e = Absolute(examined, c);
            if (c < _consumed || c > _received || e < c || e > _received)
                throw new ArgumentOutOfRangeException(nameof(consumed), "The position is not within the buffer the last read returned.");
            _consumed = c;
            _examined = e;
            // Every block that lies wholly before the consumed position goes back to the pool.
            while (_head is { } head && head.RunningIndex + head.End <= c)
            {
                SocketBlock? next = head.NextBlock;
                head.Release();
                _head = next;
            }
            if (_head is null)
            {
                _tail = null;
                _headIndex = 0;
            }
            else
            {
                _headIndex = (int)(c - _head.RunningIndex);
            }
        }
    }

    /// <summary>A position's stream offset; <paramref name="empty"/> for the positions of an empty buffer.</summary>
    private static long Absolute(SequencePosition position, long empty)
    {
        return position.GetObject() is SocketBlock block ? block.RunningIndex + position.GetInteger() : empty;
    }

    public override void CancelPendingRead()
    {
        ReadResult result;
        CancellationTokenRegistration registration;
        lock (this)
        {
            if (!_waiting)
            {
                _cancelNext = true;
                return;
            }
            _waiting = false;
            registration = TakeRegistrationLocked();
            result = ResultLocked(canceled: true);
        }
        registration.Unregister();
        // The reader resumes on the thread pool, not inside the caller of this method (often an abort on a timer).
        _source.RunContinuationsAsynchronously = true;
        _source.SetResult(result);
    }

    private void OnTokenCanceled(CancellationToken token)
    {
        lock (this)
        {
            if (!_waiting || _waitToken != token) return;
            _waiting = false;
            TakeRegistrationLocked();
        }
        _source.RunContinuationsAsynchronously = true;
        _source.SetException(new OperationCanceledException(token));
    }

    private CancellationTokenRegistration TakeRegistrationLocked()
    {
        CancellationTokenRegistration registration = _registration;
        _registration = default;
        _waitToken = default;
        return registration;
    }

    public override void Complete(Exception? exception = null)
    {
        bool drain;
        lock (this)
        {
            if (_completed) return;
            _completed = true;
            SocketBlock? block = _head;
            while (block is not null)
            {
                SocketBlock? next = block.NextBlock;
                block.Release();
                block = next;
            }
            _head = null;
            _tail = null;
            _consumed = _examined = _received;
            // Whatever the peer still sends is read and thrown away until it closes (or the socket is closed): closing a
            // socket with unread input would reset the connection and could destroy what the peer has not read yet.
            drain = _op == Op.None && !_ended;
            if (drain) _op = Op.Running;
        }
        _pipe.OnInputCompleted();
        // On the thread pool: a peer that keeps sending must not hold the caller here.
        if (drain) ThreadPool.UnsafeQueueUserWorkItem(_receiver, preferLocal: false);
    }

    /// <summary>
    /// Receives until there is something for the reader (true) or the zero-byte wait is pending (false: its completion
    /// goes on from <see cref="OnReceiveCompleted"/>). The caller owns the pump (<c>_op</c> is <see cref="Op.Running"/>).
    /// After <see cref="Complete"/> it drains instead, until the input ends.
    /// </summary>
    /// <remarks>
    /// The only operation that waits is the zero-byte receive; the receive that takes the bytes is a non-blocking one
    /// (the socket is non-blocking) into a fresh block. The zero-byte receive can wake without data (on Linux .NET
    /// completes it on the readiness event alone, and an event can be stale, for bytes a receive already took): then the
    /// non-blocking receive finds nothing, the block goes straight back, and the pump waits again, so an idle connection
    /// never holds a block while it waits.
    /// </remarks>
    private bool Pump()
    {
        while (true)
        {
            if (_needsData)
            {
                // Wait for data holding no buffer (Kestrel's WaitForDataBeforeAllocatingBuffer). The reader consumed
                // everything and wants more: a burst ends here (not at a wait that follows one that woke for nothing).
                if (_burst > 0)
                {
                    _lastBurst = _burst;
                    _burst = 0;
                }
                lock (this) _op = Op.WaitForData;
                _receiver.SetBuffer(Memory<byte>.Empty);
                bool pending;
                try
                {
                    pending = _socket.ReceiveAsync(_receiver);
                }
                catch (Exception)
                {
                    // Closed (an abort, the linger timeout) or unusable: the input ends.
                    return End();
                }
                if (pending) return false;
                if (_receiver.SocketError != SocketError.Success) return End();
                if (!Woken()) return true;
                continue;
            }
            if (Volatile.Read(ref _completed))
            {
                // Draining: read and throw away.
                int n;
                SocketError drainError;
                try
                {
                    n = _socket.Receive(s_discard, 0, s_discard.Length, SocketFlags.None, out drainError);
                }
                catch (Exception)
                {
                    return End();
                }
                if (drainError == SocketError.WouldBlock)
                {
                    _needsData = true;
                    continue;
                }
                if (drainError != SocketError.Success || n == 0) return End();
                _needsData = n < s_discard.Length;
                continue;
            }
            // Sized for what the last burst brought (one receive takes a whole 16 KiB message, not four), and growing
            // while receives keep filling their blocks.
            int size = Math.Max(_blockSize, Math.Min(Math.Max(_lastBurst, _grow), MaxReceiveSize));
            if (_limit > 0)
            {
                long room;
                lock (this) room = _limit - (_received - _consumed);
                if (room < size) size = (int)Math.Max(room, 1);
            }
            SocketBlock block = SocketBlock.Rent(_pool, size);
            int received;
            SocketError error;
            try
            {
                received = _socket.Receive(block.Buffer.Span, SocketFlags.None, out error);
            }
            catch (Exception)
            {
                received = 0;
                error = SocketError.OperationAborted;
            }
            if (error == SocketError.WouldBlock)
            {
                // Woken without data: give the block back and wait again.
                block.Release();
                _needsData = true;
                _grow = 0;
                continue;
            }
            if (error != SocketError.Success || received == 0)
            {
                block.Release();
                return End();
            }
            _burst += received;
            // A receive that filled its block probably left more in the kernel: the next one tries at once (a
            // non-blocking receive that finds nothing costs what asking how much is there would).
            bool filled = received == block.Buffer.Length;
            _needsData = !filled;
            _grow = filled ? 2 * block.Buffer.Length : 0;
            lock (this)
            {
                if (!_completed)
                {
                    block.SetReceived(_received, received);
                    if (_tail is null)
                    {
                        _head = block;
                        _headIndex = 0;
                    }
                    else
                    {
                        _tail.SetNext(block);
                    }
                    _tail = block;
                    _received += received;
                    _op = Op.None;
                    return true;
                }
            }
            block.Release(); // the reader was completed meanwhile: drain from now on
        }
    }

    /// <summary>
    /// The zero-byte wait ended without an error; false when the pump stops here: nobody reads now (a canceled read, or
    /// the watch for the peer's FIN), so no block is taken; the bytes stay in the kernel for the next read.
    /// </summary>
    private bool Woken()
    {
        _needsData = false;
        lock (this)
        {
            if (_waiting || _completed)
            {
                _op = Op.Running;
                return true;
            }
        }
        Span<byte> one = stackalloc byte[1];
        int n;
        SocketError error;
        try
        {
            n = _socket.Receive(one, SocketFlags.Peek, out error);
        }
        catch (Exception)
        {
            n = 0;
            error = SocketError.OperationAborted;
        }
        if (error == SocketError.WouldBlock)
        {
            _needsData = true; // a stale wake-up: wait again
            lock (this) _op = Op.Running;
            return true;
        }
        if (error != SocketError.Success || n == 0)
        {
            End();
            return false;
        }
        lock (this) _op = Op.None;
        return false;
    }

    /// <summary>Not reached (the pump guards its socket calls): ends the input and completes a waiting read.</summary>
    private void Fail()
    {
        try
        {
            End();
            CompleteWaiter();
        }
        catch (Exception)
        {
        }
    }

    /// <summary>The input ended (the peer's FIN, or a socket error: a reset, or closed under us). Returns true (the pump stops).</summary>
    private bool End()
    {
        _receiver.SetBuffer(Memory<byte>.Empty);
        lock (this)
        {
            _ended = true;
            _op = Op.None;
        }
        _pipe.OnInputEnded();
        return true;
    }

    /// <summary>
    /// The output is done (FIN sent): when no read is in progress, waits (holding no buffer) for the peer's FIN, so that
    /// the socket closes as soon as the peer has closed too, not only at the linger timeout.
    /// </summary>
    internal void WatchForEnd()
    {
        lock (this)
        {
            if (_op != Op.None || _ended || _completed || !_needsData) return;
            _op = Op.Running;
        }
        if (Pump()) CompleteWaiter();
    }

    /// <summary>The zero-byte wait completed on the thread pool: go on, and complete the waiting read if there is one.</summary>
    private void OnReceiveCompleted()
    {
        bool stop = _receiver.SocketError != SocketError.Success ? End() : !Woken();
        if (!stop && !Pump()) return;
        CompleteWaiter();
    }

    private void CompleteWaiter()
    {
        ReadResult result;
        CancellationTokenRegistration registration;
        lock (this)
        {
            if (!_waiting) return;
            _waiting = false;
            registration = TakeRegistrationLocked();
            result = ResultLocked(canceled: false);
        }
        registration.Unregister();
        _source.RunContinuationsAsynchronously = false;
        _source.SetResult(result);
    }

    /// <summary>The drain Complete started, on the thread pool.</summary>
    private void RunQueuedPump()
    {
        if (Pump()) CompleteWaiter();
    }

    public ReadResult GetResult(short token) => _source.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _source.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _source.OnCompleted(continuation, state, token, flags);

    /// <summary>The reader's one receive operation (zero-byte waits and receives), for the connection's life.</summary>
    private sealed class Receiver(SocketPipeReader reader) : SocketAsyncEventArgs(unsafeSuppressExecutionContextFlow: true), IThreadPoolWorkItem
    {
        // On thread pool threads: nothing may escape (every socket call in the pump is guarded; this is the last line).
        protected override void OnCompleted(SocketAsyncEventArgs e)
        {
            try { reader.OnReceiveCompleted(); }
            catch (Exception) { reader.Fail(); }
        }

        public void Execute()
        {
            try { reader.RunQueuedPump(); }
            catch (Exception) { reader.Fail(); }
        }
    }
}
