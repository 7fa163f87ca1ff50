using System.Collections.Concurrent;
using System.IO.Pipelines;

namespace WsCore.Pipelines;

/// <summary>
/// A <see cref="PipeScheduler"/> that runs a connection's pipe continuations on the thread pool, one at a time and in
/// order, without allocating per continuation. <see cref="PipeScheduler.ThreadPool"/> allocates a work item for every
/// continuation it schedules (about 40 bytes, two or three times per message); this one queues value-type entries and
/// keeps at most one thread-pool work item (itself) in flight.
/// </summary>
internal sealed class ConnectionScheduler : PipeScheduler, IThreadPoolWorkItem
{
    private readonly ConcurrentQueue<(Action<object?> Callback, object? State)> _work = new();
    private int _running;

    /// <inheritdoc/>
    public override void Schedule(Action<object?> action, object? state)
    {
        _work.Enqueue((action, state));
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        while (true)
        {
            while (_work.TryDequeue(out (Action<object?> Callback, object? State) item))
            {
                item.Callback(item.State);
            }
            Volatile.Write(ref _running, 0);
            // Work queued after the last TryDequeue but before _running was cleared saw _running == 1 and did not
            // queue this item: take it here unless another Schedule call has already queued us again.
            if (_work.IsEmpty || Interlocked.CompareExchange(ref _running, 1, 0) != 0) return;
        }
    }
}
