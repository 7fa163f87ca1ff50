using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace WsCore.Framing;

/// <summary>
/// Reads frame headers (RFC 6455 §5.2) from input that may end anywhere, a header included: the bytes of a header that
/// is not complete yet (at most <see cref="FrameHeader.MaxLength"/>) are kept until the next call completes it. Like
/// <see cref="FrameHeader.TryRead"/>, it checks only what the header's own encoding allows; the rules that depend on
/// the connection are the state machine's.
/// </summary>
/// <remarks>
/// A mutable struct, like <see cref="Text.Utf8Validator"/>: keep it in a field (not a <c>readonly</c> one) and call it
/// there. A header that arrives whole is decoded straight from the input, without copying.
/// </remarks>
public struct FrameReader
{
    private HeaderBuffer _buffer;
    private int _count;

    /// <summary>How many bytes of an incomplete header are held from earlier calls; 0 between headers.</summary>
    public readonly int BufferedLength => _count;

    /// <summary>Drops any header bytes held from earlier calls.</summary>
    public void Reset() => _count = 0;

    /// <summary>
    /// Reads the next header: the bytes held from earlier calls, then the start of <paramref name="source"/>.
    /// </summary>
    /// <param name="source">The bytes that follow those given to earlier calls.</param>
    /// <param name="header">The header, when the result is <see cref="OperationStatus.Done"/>.</param>
    /// <param name="bytesConsumed">
    /// With <see cref="OperationStatus.Done"/>, how many bytes of <paramref name="source"/> belonged to the header (the
    /// payload starts right after them); with <see cref="OperationStatus.NeedMoreData"/>, all of
    /// <paramref name="source"/> (now held by the reader); with <see cref="OperationStatus.InvalidData"/>, 0.
    /// </param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> (nothing is held afterwards); <see cref="OperationStatus.NeedMoreData"/> when
    /// the source ended inside the header; <see cref="OperationStatus.InvalidData"/> when a 64-bit length has its most
    /// significant bit set (§5.2): nothing is held afterwards, and the stream cannot be read on.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public OperationStatus TryRead(ReadOnlySpan<byte> source, out FrameHeader header, out int bytesConsumed)
    {
        // A header that arrives whole is decoded from the source as it stands; the rest of a split one is first added
        // to the held bytes (out of line), then those are decoded here, so the header never goes through memory.
        int held = _count;
        ReadOnlySpan<byte> bytes = held == 0 ? source : Fill(source);
        OperationStatus status = FrameHeader.TryRead(bytes, out header, out int headerLength);
        if (status == OperationStatus.Done)
        {
            _count = 0;
            bytesConsumed = headerLength - held;
        }
        else if (status == OperationStatus.NeedMoreData)
        {
            // Shorter than the header it starts, hence shorter than the buffer (Fill took all of a split one's rest).
            if (held == 0) source.CopyTo(_buffer);
            _count = held + source.Length;
            bytesConsumed = source.Length;
        }
        else
        {
            _count = 0;
            bytesConsumed = 0;
        }
        return status;
    }

    /// <summary>
    /// Adds bytes from <paramref name="source"/> to those held, up to the end of the header (or of the source), and
    /// returns the bytes held. Never takes a byte past the header.
    /// </summary>
    [UnscopedRef]
    private ReadOnlySpan<byte> Fill(ReadOnlySpan<byte> source)
    {
        Span<byte> buffer = _buffer;
        int count = _count;
        int held = count;
        // The header's length is known once byte 1 is held: at once if it was already, else after the first copy.
        int needed = RequiredLength(buffer, count);
        int take = Math.Min(needed - count, source.Length);
        source.Slice(0, take).CopyTo(buffer.Slice(count));
        count += take;
        if (held < 2 && count == 2)
        {
            // Byte 1 just arrived: the header may be longer than two bytes (mask key, extended length).
            needed = RequiredLength(buffer, 2);
            int more = Math.Min(needed - 2, source.Length - take);
            source.Slice(take, more).CopyTo(buffer.Slice(2));
            count += more;
        }
        // TryRead sets the count (NeedMoreData: the held bytes plus all of the source, which Fill has taken).
        return buffer.Slice(0, count);
    }

    /// <summary>The header's length as far as the first <paramref name="count"/> bytes tell (2 until they hold byte 1).</summary>
    private static int RequiredLength(ReadOnlySpan<byte> buffer, int count)
    {
        if (count < 2) return 2;
        byte b1 = buffer[1];
        int length = (b1 & 0x80) != 0 ? 6 : 2;
        int len7 = b1 & 0x7F;
        return len7 == 126 ? length + 2 : len7 == 127 ? length + 8 : length;
    }

    [InlineArray(FrameHeader.MaxLength)]
    private struct HeaderBuffer
    {
        private byte _element;
    }
}
