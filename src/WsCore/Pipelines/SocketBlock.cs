using System.Buffers;
using System.Runtime.InteropServices;

namespace WsCore.Pipelines;

/// <summary>
/// One pooled buffer of <see cref="SocketDuplexPipe"/>: an array from <see cref="ArrayPool{T}.Shared"/> (the default) or
/// a block of a caller's <see cref="MemoryPool{T}"/>, linked into the reader's received bytes (as a
/// <see cref="ReadOnlySequence{T}"/> segment) or the writer's bytes to send. The buffer goes back to its pool as soon as
/// its bytes are consumed or sent (<see cref="Release"/>); the block object itself goes to a small process-wide cache,
/// so that neither costs an allocation per message.
/// </summary>
internal sealed class SocketBlock : ReadOnlySequenceSegment<byte>
{
    private const int CacheSize = 256;
    private static readonly Lock s_cacheLock = new();
    private static readonly SocketBlock?[] s_cache = new SocketBlock?[CacheSize];
    private static int s_cached;
    [ThreadStatic] private static SocketBlock? t_cached;

    private byte[]? _array;
    private IMemoryOwner<byte>? _owner;
    private Memory<byte> _buffer;

    /// <summary>The first byte not yet sent (writer) .</summary>
    public int Start;

    /// <summary>The end of the bytes written into the block.</summary>
    public int End;

    /// <summary>The next block (the writer's chains; the reader uses <see cref="ReadOnlySequenceSegment{T}.Next"/> too).</summary>
    public SocketBlock? NextBlock;

    /// <summary>The whole buffer.</summary>
    public Memory<byte> Buffer => _buffer;

    /// <summary>The unused space after <see cref="End"/>.</summary>
    public Memory<byte> Free => _buffer.Slice(End);

    /// <summary>The written bytes not yet sent.</summary>
    public ReadOnlyMemory<byte> Unsent => _buffer.Slice(Start, End - Start);

    /// <summary>True when the buffer is an array (the gathering send needs <see cref="ArraySegment{T}"/>s).</summary>
    public bool TryGetUnsentArray(out ArraySegment<byte> segment)
    {
        if (_array is not null)
        {
            segment = new ArraySegment<byte>(_array, Start, End - Start);
            return true;
        }
        return MemoryMarshal.TryGetArray(Unsent, out segment);
    }

    /// <summary>Takes a block with at least <paramref name="size"/> bytes from <paramref name="pool"/> (null: the shared array pool).</summary>
    public static SocketBlock Rent(MemoryPool<byte>? pool, int size)
    {
        SocketBlock block = t_cached ?? TakeCached() ?? new SocketBlock();
        if (ReferenceEquals(block, t_cached)) t_cached = null;
        if (pool is null || size > pool.MaxBufferSize)
        {
            byte[] array = ArrayPool<byte>.Shared.Rent(size);
            block._array = array;
            block._buffer = array;
        }
        else
        {
            IMemoryOwner<byte> owner = pool.Rent(size);
            block._owner = owner;
            block._buffer = owner.Memory;
            if (block._buffer.Length < size)
            {
                // A pool that hands out less than asked for: use an array instead.
                owner.Dispose();
                block._owner = null;
                byte[] array = ArrayPool<byte>.Shared.Rent(size);
                block._array = array;
                block._buffer = array;
            }
        }
        return block;
    }

    private static SocketBlock? TakeCached()
    {
        lock (s_cacheLock)
        {
            if (s_cached == 0) return null;
            SocketBlock block = s_cache[--s_cached]!;
            s_cache[s_cached] = null;
            return block;
        }
    }

    /// <summary>Sets the block's place in the reader's stream and its bytes (<paramref name="end"/> of them).</summary>
    public void SetReceived(long runningIndex, int end)
    {
        RunningIndex = runningIndex;
        End = end;
        Memory = _buffer.Slice(0, end);
    }

    /// <summary>Links <paramref name="next"/> after this block in a reader's sequence.</summary>
    public void SetNext(SocketBlock next)
    {
        Next = next;
        NextBlock = next;
    }

    /// <summary>Gives the buffer back to its pool and the block to the cache.</summary>
    public void Release()
    {
        byte[]? array = _array;
        IMemoryOwner<byte>? owner = _owner;
        _array = null;
        _owner = null;
        _buffer = default;
        Memory = default;
        Next = null;
        NextBlock = null;
        Start = 0;
        End = 0;
        RunningIndex = 0;
        if (array is not null) ArrayPool<byte>.Shared.Return(array);
        owner?.Dispose();
        if (t_cached is null)
        {
            t_cached = this;
            return;
        }
        lock (s_cacheLock)
        {
            if (s_cached < CacheSize) s_cache[s_cached++] = this;
        }
    }
}
