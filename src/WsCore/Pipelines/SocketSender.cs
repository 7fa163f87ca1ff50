using System.Net.Sockets;

namespace WsCore.Pipelines;

/// <summary>
/// A reusable send operation of <see cref="SocketPipeWriter"/>: one buffer, or a gathering send (sendmsg) of up to
/// <see cref="MaxGatherSegments"/> blocks. Senders are shared: a writer takes one from a small process-wide pool when a
/// flush starts and gives it back when everything is sent, so an idle connection holds none (Kestrel's socket
/// transport pools its senders the same way). A sender keeps no reference to the bytes it sent.
/// </summary>
internal sealed class SocketSender : SocketAsyncEventArgs
{
    /// <summary>At most this many blocks per send: .NET gathers up to 8 buffers without allocating (Linux's UIO_FASTIOV).</summary>
    public const int MaxGatherSegments = 8;

    private const int PoolSize = 64;
    private static readonly Lock s_poolLock = new();
    private static readonly SocketSender?[] s_pool = new SocketSender?[PoolSize];
    private static int s_pooled;

    private readonly List<ArraySegment<byte>> _segments = new(MaxGatherSegments);
    private bool _usesList;

    private SocketSender() : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>The writer whose send is in flight.</summary>
    public SocketPipeWriter? Owner { get; set; }

    public static SocketSender Rent()
    {
        lock (s_poolLock)
        {
            if (s_pooled > 0)
            {
                SocketSender sender = s_pool[--s_pooled]!;
                s_pool[s_pooled] = null;
                return sender;
            }
        }
        return new SocketSender();
    }

    public static void Return(SocketSender sender)
    {
        sender.Owner = null;
        lock (s_poolLock)
        {
            if (s_pooled < PoolSize)
            {
                s_pool[s_pooled++] = sender;
                return;
            }
        }
        sender.Dispose();
    }

    /// <summary>
    /// Starts sending the unsent bytes of <paramref name="first"/> and of the blocks after it (up to
    /// <see cref="MaxGatherSegments"/>, and only array blocks past the first); false when it completed synchronously.
    /// </summary>
    public bool Send(Socket socket, SocketBlock first)
    {
        if (first.NextBlock is null || !first.TryGetUnsentArray(out ArraySegment<byte> segment))
        {
            SetBuffer(System.Runtime.InteropServices.MemoryMarshal.AsMemory(first.Unsent));
        }
        else
        {
            _segments.Add(segment);
            for (SocketBlock? block = first.NextBlock; block is not null && _segments.Count < MaxGatherSegments; block = block.NextBlock)
            {
                if (block.End == block.Start) continue;
                if (!block.TryGetUnsentArray(out segment)) break;
                _segments.Add(segment);
            }
            _usesList = true;
            BufferList = _segments;
        }
        return socket.SendAsync(this);
    }

    /// <summary>Lets go of the sent buffers (before they go back to their pool).</summary>
    public void Clear()
    {
        if (_usesList)
        {
            BufferList = null;
            _segments.Clear();
            _usesList = false;
        }
        else
        {
            SetBuffer(Memory<byte>.Empty);
        }
    }

    // On a thread pool thread: nothing may escape (the writer guards its socket calls; this is the last line).
    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        SocketPipeWriter? owner = Owner;
        try { owner?.OnSendCompleted(); }
        catch (Exception) { owner?.Fail(); }
    }
}
