using System.Buffers;
using System.IO.Pipelines;

namespace WsCore.Pipelines;

/// <summary>
/// Where a <see cref="WebSocketConnection"/> with a non-waiting backpressure policy writes frames while the transport's
/// writer is busy with a flush it has not completed: a list of segments rented from <see cref="ArrayPool{T}.Shared"/>.
/// Nothing is rented until the first write; <see cref="MoveTo"/> copies everything into the transport's writer and
/// returns every segment, so a connection that is not pushed back holds no buffer. Not thread-safe: the connection's
/// writer-ownership rule guards it.
/// </summary>
internal sealed class OutboundBuffer : IBufferWriter<byte>
{
    /// <summary>The smallest segment rented; a larger size hint rents a larger one.</summary>
    internal const int SegmentSize = 32 * 1024;

    private byte[]?[] _segments = new byte[]?[4];
    private int[] _lengths = new int[4];
    private int _count;
    private long _length;
    private long _capacity;

    /// <summary>The bytes written and not yet moved.</summary>
    public long Length => _length;

    /// <summary>The bytes of the segments rented (what this buffer costs in memory right now).</summary>
    public long Capacity => _capacity;

    /// <inheritdoc />
    public void Advance(int count)
    {
        if (_count == 0 || count < 0 || _lengths[_count - 1] + count > _segments[_count - 1]!.Length)
            throw new ArgumentOutOfRangeException(nameof(count));
        _lengths[_count - 1] += count;
        _length += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        byte[] segment = Current(sizeHint);
        return segment.AsMemory(_lengths[_count - 1]);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        byte[] segment = Current(sizeHint);
        return segment.AsSpan(_lengths[_count - 1]);
    }

    private byte[] Current(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_count > 0)
        {
            byte[] last = _segments[_count - 1]!;
            if (last.Length - _lengths[_count - 1] >= needed) return last;
        }
        if (_count == _segments.Length)
        {
            Array.Resize(ref _segments, _count * 2);
            Array.Resize(ref _lengths, _count * 2);
        }
        byte[] segment = ArrayPool<byte>.Shared.Rent(Math.Max(needed, SegmentSize));
        _segments[_count] = segment;
        _lengths[_count] = 0;
        _count++;
        _capacity += segment.Length;
        return segment;
    }

    /// <summary>Copies everything written into <paramref name="writer"/> (without flushing it) and returns the segments.</summary>
    /// <returns>The number of bytes moved.</returns>
    public long MoveTo(PipeWriter writer)
    {
        long moved = _length;
        try
        {
            for (int i = 0; i < _count; i++)
            {
                writer.Write(new ReadOnlySpan<byte>(_segments[i], 0, _lengths[i]));
            }
        }
        finally
        {
            Reset();
        }
        return moved;
    }

    /// <summary>Drops everything written and returns the segments.</summary>
    public void Reset()
    {
        for (int i = 0; i < _count; i++)
        {
            ArrayPool<byte>.Shared.Return(_segments[i]!);
            _segments[i] = null;
            _lengths[i] = 0;
        }
        _count = 0;
        _length = 0;
        _capacity = 0;
    }
}
