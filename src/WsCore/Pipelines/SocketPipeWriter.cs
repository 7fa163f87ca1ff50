using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace WsCore.Pipelines;

/// <summary>
/// The output of <see cref="SocketDuplexPipe"/>: a <see cref="PipeWriter"/> straight over the socket, with no pipe and
/// no send loop. Writes go into pooled blocks; <see cref="FlushAsync"/> hands them to the send queue and sends the
/// queue with one (gathering) send per round, on the caller's thread; it completes when the kernel has taken every
/// byte, so a peer that stops reading stops the writer there (backpressure at the socket's own buffer). A send the
/// kernel cannot take at once goes on when the socket is writable (on the thread pool) and completes the flush.
/// Blocks go back to the pool as they are sent; an idle writer holds no block and no send operation.
/// </summary>
/// <remarks>
/// Who touches what:
/// <list type="bullet">
/// <item>The writer's own chain (<c>_head</c>.. <c>_tail</c>, <c>_unflushed</c>) belongs to the writer's caller
/// (PipeWriter's contract: one writer at a time), never to the send side.</item>
/// <item>The send queue (<c>_queueHead</c>.. <c>_queueTail</c>), <c>_sending</c>, <c>_failed</c>, <c>_completed</c>,
/// the flush waiter and <c>_cancelNext</c> are guarded by the lock on this object. While <c>_sending</c> is true the
/// queue's head and the <see cref="SocketSender"/> belong to the one send pump running (the flush that started it, or
/// the send completion on the thread pool); a flush meanwhile only appends to the queue's tail.</item>
/// <item>Waiters are completed outside the lock.</item>
/// </list>
/// </remarks>
internal sealed class SocketPipeWriter : PipeWriter, IValueTaskSource<FlushResult>
{
    /// <summary>The largest block a writer rents for a message that keeps growing (bigger writes ask for it themselves).</summary>
    private const int MaxGrowBlockSize = 256 * 1024;

    private readonly SocketDuplexPipe _pipe;
    private readonly Socket _socket;
    private readonly MemoryPool<byte>? _pool;
    private readonly int _blockSize;

    // The writer's chain (the caller's).
    private SocketBlock? _head;
    private SocketBlock? _tail;
    private long _unflushed;
    private bool _completed;

    // The send side (the lock on this object).
    private SocketBlock? _queueHead;
    private SocketBlock? _queueTail;
    private bool _sending;
    private bool _failed;
    private bool _doneSignalled;
    private bool _outputCompleted;
    private bool _cancelNext;
    private bool _waiting;
    private SocketSender? _sender;
    private CancellationToken _waitToken;
    private CancellationTokenRegistration _registration;
    private ManualResetValueTaskSourceCore<FlushResult> _source;

    public SocketPipeWriter(SocketDuplexPipe pipe, Socket socket, MemoryPool<byte>? pool, int blockSize)
    {
        _pipe = pipe;
        _socket = socket;
        _pool = pool;
        _blockSize = blockSize;
    }

    /// <summary>True while a send is in flight (or about to be started).</summary>
    internal bool IsSending
    {
        get { lock (this) return _sending; }
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _unflushed;

    public override Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint).Free;

    public override Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).Free.Span;

    private SocketBlock Reserve(int sizeHint)
    {
        if (_completed) throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        int needed = Math.Max(sizeHint, 1);
        SocketBlock? tail = _tail;
        if (tail is not null && tail.Buffer.Length - tail.End >= needed) return tail;
        // A message that keeps growing (a large frame written in pieces) gets larger blocks: fewer segments to gather.
        int size = Math.Max(needed, _blockSize);
        if (_unflushed > size) size = (int)Math.Min(_unflushed, Math.Max(size, MaxGrowBlockSize));
        SocketBlock block = SocketBlock.Rent(_pool, size);
        if (tail is null) _head = block;
        else tail.NextBlock = block;
        _tail = block;
        return block;
    }

    public override void Advance(int bytes)
    {
        SocketBlock? tail = _tail;
        if (tail is null)
        {
            if (bytes == 0) return;
            throw new InvalidOperationException("Advance was called without a buffer from GetMemory or GetSpan.");
        }
        if ((uint)bytes > (uint)(tail.Buffer.Length - tail.End)) throw new ArgumentOutOfRangeException(nameof(bytes));
        tail.End += bytes;
        _unflushed += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_completed) throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<FlushResult>(cancellationToken);
        bool pump;
        bool canceled;
        short version = 0;
        lock (this)
        {
            if (_waiting) throw new InvalidOperationException("A flush is already in progress.");
            canceled = _cancelNext;
            _cancelNext = false;
            if (_failed)
            {
                ReleaseChain(_head);
                DetachChain();
                return new ValueTask<FlushResult>(new FlushResult(canceled, isCompleted: true));
            }
            // Nothing new to send: nothing to wait for (a send a canceled flush left in flight goes on by itself).
            if (_head is null) return new ValueTask<FlushResult>(new FlushResult(canceled, isCompleted: false));
            Enqueue();
            pump = !_sending;
            _sending = true;
            if (!canceled)
            {
                _waiting = true;
                _source.Reset();
                version = _source.Version;
            }
        }
        if (pump) SendPump();
        if (canceled)
        {
            // CancelPendingFlush came before this flush: it returns at once; its bytes still go out.
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }
        lock (this)
        {
            if (!_waiting)
            {
                // The pump sent everything (the common case): the result without going through the source.
                if (_source.GetStatus(version) == ValueTaskSourceStatus.Succeeded) return new ValueTask<FlushResult>(_source.GetResult(version));
                return new ValueTask<FlushResult>(this, version);
            }
            if (!cancellationToken.CanBeCanceled) return new ValueTask<FlushResult>(this, version);
            _waitToken = cancellationToken;
        }
        CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(static (state, token) => ((SocketPipeWriter)state!).OnTokenCanceled(token), this);
        lock (this)
        {
            if (_waiting)
            {
                _registration = registration;
                return new ValueTask<FlushResult>(this, version);
            }
        }
        registration.Unregister();
        return new ValueTask<FlushResult>(this, version);
    }

    private void OnTokenCanceled(CancellationToken token)
    {
        lock (this)
        {
            if (!_waiting || _waitToken != token) return;
            _waiting = false;
            _registration = default;
            _waitToken = default;
        }
        _source.RunContinuationsAsynchronously = true;
        _source.SetException(new OperationCanceledException(token));
    }

    /// <summary>Moves the writer's chain to the send queue (caller holds the lock).</summary>
    private void Enqueue()
    {
        SocketBlock? head = _head;
        if (head is null) return;
        if (_queueTail is null) _queueHead = head;
        else _queueTail.NextBlock = head;
        _queueTail = _tail;
        DetachChain();
    }

    private void DetachChain()
    {
        _head = null;
        _tail = null;
        _unflushed = 0;
    }

    private static void ReleaseChain(SocketBlock? block)
    {
        while (block is not null)
        {
            SocketBlock? next = block.NextBlock;
            block.Release();
            block = next;
        }
    }

    /// <summary>
    /// Sends the queue until it is empty, a send is pending (its completion goes on from <see cref="OnSendCompleted"/>)
    /// or the socket failed. Only one pump runs at a time (the caller set <c>_sending</c>).
    /// </summary>
    private void SendPump()
    {
        while (true)
        {
            SocketSender? sender = null;
            SocketBlock? first = null;
            bool completeWaiter = false, signalDone = false;
            lock (this)
            {
                // Blocks with nothing left to send (sent, or never written into) go back to the pool.
                while (_queueHead is { } h && h.Start == h.End)
                {
                    _queueHead = h.NextBlock;
                    if (_queueHead is null) _queueTail = null;
                    h.Release();
                }
                if (_queueHead is not null && !_failed)
                {
                    first = _queueHead;
                    sender = _sender ??= SocketSender.Rent();
                    sender.Owner = this;
                }
                else
                {
                    FinishPumpLocked(out completeWaiter, out signalDone);
                }
            }
            if (sender is null || first is null)
            {
                FinishPump(completeWaiter, signalDone);
                return;
            }
            bool pending;
            try
            {
                pending = sender.Send(_socket, first);
            }
            catch (Exception)
            {
                // The socket was closed (an abort) or cannot send.
                sender.Clear();
                lock (this) _failed = true;
                continue;
            }
            if (pending) return;
            Sent(sender);
        }
    }

    /// <summary>A send completed on the thread pool: carry on.</summary>
    internal void OnSendCompleted()
    {
        SocketSender? sender = _sender;
        if (sender is null) return;
        Sent(sender);
        SendPump();
    }

    /// <summary>Not reached (the pump guards its socket calls): the output fails, and the pump finishes with that.</summary>
    internal void Fail()
    {
        try
        {
            lock (this) _failed = true;
            SendPump();
        }
        catch (Exception)
        {
        }
    }

    /// <summary>Accounts a finished send: advances the queue (the pump releases what was sent), or marks the failure.</summary>
    private void Sent(SocketSender sender)
    {
        SocketError error = sender.SocketError;
        long sent = sender.BytesTransferred;
        sender.Clear();
        lock (this)
        {
            if (error != SocketError.Success)
            {
                _failed = true;
                return;
            }
            for (SocketBlock? h = _queueHead; sent > 0 && h is not null; h = h.NextBlock)
            {
                int left = h.End - h.Start;
                if (sent < left)
                {
                    h.Start += (int)sent;
                    break;
                }
                sent -= left;
                h.Start = h.End;
            }
        }
    }

    /// <summary>The pump stops (caller holds the lock): the sender goes back, the queue is dropped after a failure.</summary>
    private void FinishPumpLocked(out bool completeWaiter, out bool signalDone)
    {
        _sending = false;
        if (_sender is not null)
        {
            SocketSender.Return(_sender);
            _sender = null;
        }
        if (_failed)
        {
            ReleaseChain(_queueHead);
            _queueHead = null;
            _queueTail = null;
        }
        completeWaiter = _waiting;
        if (completeWaiter)
        {
            _waiting = false;
            _waitToken = default;
        }
        signalDone = !_doneSignalled && (_failed || _outputCompleted);
        if (signalDone) _doneSignalled = true;
    }

    /// <summary>After the pump stopped, outside the lock: completes the flush and tells the pipe.</summary>
    private void FinishPump(bool completeWaiter, bool signalDone)
    {
        if (completeWaiter)
        {
            CancellationTokenRegistration registration;
            bool failed;
            lock (this)
            {
                registration = _registration;
                _registration = default;
                failed = _failed;
            }
            registration.Unregister();
            _source.RunContinuationsAsynchronously = false;
            _source.SetResult(new FlushResult(isCanceled: false, isCompleted: failed));
        }
        if (signalDone) _pipe.OnOutputDone();
        else _pipe.OnWriterIdle();
    }

    public override void CancelPendingFlush()
    {
        CancellationTokenRegistration registration;
        lock (this)
        {
            if (!_waiting)
            {
                _cancelNext = true;
                return;
            }
            _waiting = false;
            registration = _registration;
            _registration = default;
            _waitToken = default;
        }
        registration.Unregister();
        // The send goes on; the flush's caller resumes on the thread pool, not inside the caller of this method.
        _source.RunContinuationsAsynchronously = true;
        _source.SetResult(new FlushResult(isCanceled: true, isCompleted: false));
    }

    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        if (exception is not null)
        {
            // Completed with an error (an abort): nothing more goes out; the socket is closed at once.
            ReleaseChain(_head);
            DetachChain();
            lock (this) _outputCompleted = true;
            _pipe.Abort();
            return;
        }
        bool pump;
        bool done = false;
        lock (this)
        {
            _outputCompleted = true;
            if (_failed)
            {
                ReleaseChain(_head);
                DetachChain();
            }
            else
            {
                Enqueue(); // written but not flushed: sent too, as a pipe's reader would see it
            }
            pump = !_sending && _queueHead is not null && !_failed;
            if (pump) _sending = true;
            else if (!_sending && !_doneSignalled)
            {
                _doneSignalled = true;
                done = true;
            }
        }
        if (pump) SendPump();
        else if (done) _pipe.OnOutputDone();
    }

    public FlushResult GetResult(short token) => _source.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _source.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _source.OnCompleted(continuation, state, token, flags);
}
